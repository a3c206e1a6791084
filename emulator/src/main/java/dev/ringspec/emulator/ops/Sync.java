package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_FSYNC_DATASYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_FALLOCATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYNC_FILE_RANGE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.model.Rules;
import java.util.List;

/**
 * io_uring/sync.c: FSYNC, SYNC_FILE_RANGE and FALLOCATE on the application's real descriptors. Each prep sets
 * REQ_F_FORCE_ASYNC in the kernel (the call always blocks): here the issue on the ring's task answers -EAGAIN for an
 * opcode that cannot poll, which sends the request to io-wq at the same point, and the {@link EmuOp.Blocking} form
 * makes the call. Replaces the model's own FSYNC (model/Sync.java, which has no files) in the emulator's table.
 */
public final class Sync {
    private Sync() {
    }

    /** The opcodes of sync.c, with opdef.c's flags. */
    public static List<EmuOp> ops(EmulatorServices services) {
        return List.of(
                new EmuOp(new OpDef(IORING_OP_FSYNC, "FSYNC", OpDef.NEEDS_FILE, Sync::fsyncPrep, Sync::forceAsync),
                        Sync::fsync),
                new EmuOp(new OpDef(IORING_OP_SYNC_FILE_RANGE, "SYNC_FILE_RANGE", OpDef.NEEDS_FILE, Sync::sfrPrep,
                        Sync::forceAsync), Sync::syncFileRange),
                new EmuOp(new OpDef(IORING_OP_FALLOCATE, "FALLOCATE", OpDef.NEEDS_FILE, Sync::fallocatePrep,
                        Sync::forceAsync), Sync::fallocate));
    }

    /** {@code struct io_sync}. */
    private record State(long off, long len, int flags, int mode) {
    }

    /** {@code io_fsync_prep}. */
    static int fsyncPrep(Req req, IssueContext ctx) {
        // io_fsync_prep: addr, buf_index or splice_fd_in set -> -EINVAL; fsync_flags beyond DATASYNC -> -EINVAL;
        // a negative offset -> -EINVAL
        if (req.addr() != 0 || req.bufIndex() != 0 || req.fileIndex() != 0
                || (req.opFlags() & ~IORING_FSYNC_DATASYNC) != 0 || req.off() < 0) {
            ctx.fire(Rules.FSYNC_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        req.opState(new State(req.off(), Integer.toUnsignedLong(req.len()), req.opFlags(), 0));
        return 0;
    }

    /** {@code io_sfr_prep}. */
    static int sfrPrep(Req req, IssueContext ctx) {
        // io_sfr_prep: addr, buf_index or splice_fd_in set -> -EINVAL; the range and flags are sync_file_range's
        if (req.addr() != 0 || req.bufIndex() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        req.opState(new State(req.off(), Integer.toUnsignedLong(req.len()), req.opFlags(), 0));
        return 0;
    }

    /** {@code io_fallocate_prep}. */
    static int fallocatePrep(Req req, IssueContext ctx) {
        // io_fallocate_prep: buf_index, rw_flags or splice_fd_in set -> -EINVAL; off, len (from addr), mode (len)
        if (req.bufIndex() != 0 || req.opFlags() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        req.opState(new State(req.off(), req.addr(), 0, req.len()));
        return 0;
    }

    /** REQ_F_FORCE_ASYNC: the request belongs to io-wq. */
    private static int forceAsync(Req req, IssueContext ctx) {
        return -EAGAIN;
    }

    /** {@code io_fsync}: {@code vfs_fsync_range} of the whole file (what the syscalls offer; the result is the same). */
    static int fsync(Req req, IssueContext ctx) {
        State s = (State) req.opState();
        int fd = ctx.fileDescriptor(req);
        // io_assign_file in the worker: an empty fixed slot fails the request
        return fd < 0 ? -EBADF : done(req, ctx, RealFiles.fsync(fd, (s.flags() & IORING_FSYNC_DATASYNC) != 0));
    }

    /** {@code io_sync_file_range}. */
    static int syncFileRange(Req req, IssueContext ctx) {
        State s = (State) req.opState();
        int fd = ctx.fileDescriptor(req);
        // io_assign_file in the worker: an empty fixed slot fails the request
        return fd < 0 ? -EBADF : done(req, ctx, RealFiles.syncFileRange(fd, s.off(), s.len(), s.flags()));
    }

    private static final int FALLOC_FL_KEEP_SIZE = 1;

    /** {@code io_fallocate}. */
    static int fallocate(Req req, IssueContext ctx) {
        State s = (State) req.opState();
        int fd = ctx.fileDescriptor(req);
        // io_assign_file in the worker: an empty fixed slot fails the request
        if (fd < 0) {
            return -EBADF;
        }
        // the file system's inode_newsize_ok: growing the file past a served program's RLIMIT_FSIZE -> -EFBIG
        int tooBig = (s.mode() & FALLOC_FL_KEEP_SIZE) == 0 ? ProgramTransfers.growable(fd, s.off() + s.len()) : 0;
        return done(req, ctx, tooBig < 0 ? tooBig : RealFiles.fallocate(fd, s.mode(), s.off(), s.len()));
    }

    /**
     * {@code io_req_set_res(req, ret, 0)} and IOU_COMPLETE: an error is only the CQE's result, without
     * {@code req_set_fail}, so a link after a failed sync goes on.
     */
    static int done(Req req, IssueContext ctx, int ret) {
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }
}
