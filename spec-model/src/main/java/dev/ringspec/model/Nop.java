package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

/**
 * {@code IORING_OP_NOP} and {@code IORING_OP_NOP128} (io_uring/nop.c, identical in 6.18 and 7.1;
 * ring-semantics.md A4): the prep checks the flags, the issue looks up the file and buffer it was asked to and
 * completes with the injected result, inline or through task work. Its state is the SQE's generic fields:
 * {@code nop_flags} is {@link Req#opFlags()}, the injected result {@code len}, the extra CQE32 bytes {@code off}
 * and {@code addr}.
 */
final class Nop {
    /** The {@code nop_flags} bits 6.18 and later accept; {@link KernelProfile#nopFlags} per kernel. */
    static final int NOP_FLAGS_6_18 = IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_FIXED_FILE
            | IORING_NOP_FIXED_BUFFER | IORING_NOP_TW | IORING_NOP_CQE32;

    private Nop() {
    }

    /** {@code io_nop_prep}. */
    static int prep(Req req, IssueContext ctx) {
        int nopFlags = req.opFlags();
        // The common NOP has no flags and nothing to check (one test keeps the hot path small enough to inline)
        if (nopFlags == 0) {
            return 0;
        }
        // io_nop_prep: unknown nop_flags bits -> -EINVAL; 6.12 knows only INJECT_RESULT (6.12.117 nop.c), 6.1
        // refuses any non-zero rw_flags word and ignores len (6.1.192 nop.c, io_nop_prep)
        if ((nopFlags & ~ctx.profile().nopFlags()) != 0) {
            ctx.fire(Rules.NOP_PREP_UNKNOWN_FLAGS, req.userData());
            return -EINVAL;
        }
        // io_nop_prep: NOP_FIXED_FILE sets REQ_F_FIXED_FILE, which a BPF filter's context shows in sqe_flags (7.0+)
        if ((nopFlags & IORING_NOP_FIXED_FILE) != 0) {
            req.addFlags(IOSQE_FIXED_FILE);
        }
        // io_nop_prep: NOP_CQE32 needs a CQE32 or CQE_MIXED ring -> -EINVAL
        if ((nopFlags & IORING_NOP_CQE32) != 0
                && (ctx.setupFlags() & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) == 0) {
            ctx.fire(Rules.NOP_PREP_CQE32_NEEDS_BIG_CQ, req.userData());
            return -EINVAL;
        }
        return 0;
    }

    /** {@code io_nop}. */
    static int issue(Req req, IssueContext ctx) {
        int nopFlags = req.opFlags();
        // The common NOP has no flags: result 0, completed inline (one test keeps the hot path small)
        if (nopFlags == 0) {
            ctx.setRes(req, 0, 0);
            return OpDef.COMPLETE;
        }
        // io_nop_prep: len is the result only with INJECT_RESULT
        int ret = (nopFlags & IORING_NOP_INJECT_RESULT) != 0 ? req.len() : 0;
        boolean fileFailed = false;
        if ((nopFlags & IORING_NOP_FILE) != 0) {
            boolean found;
            if ((nopFlags & IORING_NOP_FIXED_FILE) != 0) {
                // io_file_get_fixed: out of range or empty slot -> no file
                found = ctx.fixedFileValid(req.fd());
            } else {
                if ((req.flags() & IOSQE_FIXED_FILE) != 0) {
                    ctx.fire(Rules.NOP_FILE_FIXED_FLAG_MISMATCH, req.userData());
                }
                // io_file_get_normal: the process's descriptor table
                found = ctx.processFileOpen(req.fd());
            }
            // io_nop: no file -> -EBADF, which overrides an injected result (6.18+)
            if (!found) {
                ctx.fire(Rules.NOP_NO_FILE, req.userData());
                ret = -EBADF;
                fileFailed = true;
            }
        }
        // io_nop: NOP_FIXED_BUFFER and io_find_buf_node finds nothing -> -EFAULT
        if (!fileFailed && (nopFlags & IORING_NOP_FIXED_BUFFER) != 0 && !ctx.fixedBufferValid(req.bufIndex())) {
            ctx.fire(Rules.NOP_NO_BUFFER, req.userData());
            ret = -EFAULT;
        }
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        if ((nopFlags & IORING_NOP_CQE32) != 0) {
            // io_req_set_res32: big_cqe = {off, addr}; F_32 only on a CQE_MIXED ring
            ctx.setRes32(req, ret, (ctx.setupFlags() & IORING_SETUP_CQE_MIXED) != 0 ? IORING_CQE_F_32 : 0,
                    req.off(), req.addr());
        } else {
            ctx.setRes(req, ret, 0);
        }
        if ((nopFlags & IORING_NOP_TW) != 0) {
            // io_nop: NOP_TW completes through task work
            ctx.completeInTaskWork(req);
            return OpDef.SKIP_COMPLETE;
        }
        return OpDef.COMPLETE;
    }
}
