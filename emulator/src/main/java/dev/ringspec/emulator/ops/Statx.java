package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/statx.c: STATX. The prep copies the path in ({@code getname}: -EFAULT, -ENAMETOOLONG, and -ENOENT for an
 * empty one without AT_EMPTY_PATH), so the application may reuse its memory once it submitted; the request always
 * goes to io-wq (REQ_F_FORCE_ASYNC), whose form calls {@code statx(2)} with the copied path and the application's
 * buffer (the kernel checks it: -EFAULT). The directory descriptor is {@code sqe->fd}, never a fixed file; the
 * path is the application's ({@link PathAt}).
 */
public final class Statx {
    private static final int AT_EMPTY_PATH = 0x1000;
    /** AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH and AT_STATX_SYNC_TYPE: the flags vfs_statx takes. */
    private static final int VFS_STATX_FLAGS = 0x100 | 0x800 | AT_EMPTY_PATH | 0x6000;

    private Statx() {
    }

    /** STATX's entry: no file to look up (the descriptor is the lookup's directory), no poll. */
    public static List<EmuOp> ops(EmulatorServices services) {
        ProcessDescriptorTable table = services.processDescriptors();
        return List.of(new EmuOp(new OpDef(IORING_OP_STATX, "STATX", 0, Statx::prep, (req, ctx) -> -EAGAIN),
                (req, ctx) -> statx(req, ctx, table)));
    }

    /** {@code struct io_statx}: the path as copied in, and the rest of the SQE's fields. */
    private record State(int dfd, int mask, int flags, MemorySegment path, long buffer) {
    }

    /** {@code io_statx_prep}. */
    static int prep(Req req, IssueContext ctx) {
        // io_statx_prep: buf_index or splice_fd_in set -> -EINVAL; a fixed file -> -EBADF
        if (req.bufIndex() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        if ((req.flags() & IOSQE_FIXED_FILE) != 0) {
            return -EBADF;
        }
        int flags = req.opFlags();
        // getname_flags: the path is copied now
        int[] error = new int[1];
        MemorySegment path = UserPath.copy(ctx, req.addr(), (flags & AT_EMPTY_PATH) != 0, error);
        if (path == null) {
            return error[0];
        }
        req.opState(new State(req.fd(), req.len(), flags, path, req.off()));
        return 0;
    }

    /** {@code io_statx}: {@code do_statx}, whose answer is the result (an error does not fail the links). */
    static int statx(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        State s = (State) req.opState();
        // vfs_statx: flags outside its set -> -EINVAL before the lookup. statx(2) with an empty path, AT_EMPTY_PATH
        // and a descriptor takes do_statx_fd instead, which never checks them: io_statx always goes through vfs_statx
        if (s.path().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 0 && (s.flags() & ~VFS_STATX_FLAGS) != 0) {
            return Sync.done(req, ctx, -EINVAL);
        }
        try (PathAt at = PathAt.of(table, s.dfd(), s.path())) {
            return Sync.done(req, ctx, RealFiles.statx(at.dirfd(), at.path(), s.flags(), s.mask(), s.buffer()));
        }
    }
}
