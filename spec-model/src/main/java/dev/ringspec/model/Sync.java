package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_FSYNC_DATASYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;

/**
 * {@code IORING_OP_FSYNC} (io_uring/sync.c, 6.12 and later): the prep's checks in the kernel's order; the request
 * always goes to io-wq (prep sets REQ_F_FORCE_ASYNC), where a missing file is -EBADF ({@code io_assign_file}). The
 * model has no files to sync: an FSYNC that finds its file throws.
 */
final class Sync {
    private Sync() {
    }

    /** FSYNC's entry: needs a file. */
    static OpDef fsyncDef() {
        return new OpDef(IORING_OP_FSYNC, "FSYNC", OpDef.NEEDS_FILE, Sync::fsyncPrep, Sync::fsync);
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
        // io_fsync_prep: fsync always blocks, so it goes to io-wq
        req.addFlags(Req.REQ_F_FORCE_ASYNC);
        return 0;
    }

    /** {@code io_fsync}: reached only with a file. */
    static int fsync(Req req, IssueContext ctx) {
        throw new UnsupportedOperationException("FSYNC of a file (fd " + req.fd() + ") is not modelled: the model "
                + "has no files to sync");
    }
}
