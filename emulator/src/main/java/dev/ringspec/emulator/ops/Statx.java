package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENAMETOOLONG;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/statx.c: STATX. The prep copies the path in ({@code getname}: -EFAULT, -ENAMETOOLONG, and -ENOENT for an
 * empty one without AT_EMPTY_PATH), so the application may reuse its memory once it submitted; the request always
 * goes to io-wq (REQ_F_FORCE_ASYNC), whose form calls {@code statx(2)} with the copied path and the application's
 * buffer (the kernel checks it: -EFAULT). The directory descriptor is {@code sqe->fd}, never a fixed file.
 */
public final class Statx {
    /** {@code PATH_MAX}: a path and its NUL. */
    static final int PATH_MAX = 4096;
    private static final int AT_EMPTY_PATH = 0x1000;

    private Statx() {
    }

    /** STATX's entry: no file to look up (the descriptor is the lookup's directory), no poll. */
    public static List<EmuOp> ops(EmulatorServices services) {
        return List.of(new EmuOp(new OpDef(IORING_OP_STATX, "STATX", 0, Statx::prep, (req, ctx) -> -EAGAIN),
                Statx::statx));
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
        MemorySegment path = Arena.ofAuto().allocate(PATH_MAX);
        int ret = getname(ctx, req.addr(), (flags & AT_EMPTY_PATH) != 0, path);
        if (ret < 0) {
            return ret;
        }
        req.opState(new State(req.fd(), req.len(), flags, path, req.off()));
        return 0;
    }

    /**
     * {@code getname_flags}: the NUL-terminated string at {@code address} into {@code into}; -EFAULT where it cannot
     * be read, -ENAMETOOLONG without a NUL in PATH_MAX bytes, -ENOENT for an empty path unless AT_EMPTY_PATH.
     */
    static int getname(IssueContext ctx, long address, boolean emptyAllowed, MemorySegment into) {
        MemorySegment whole = ctx.userMemory(address, PATH_MAX);
        for (int i = 0; i < PATH_MAX; i++) {
            MemorySegment at = whole != null ? whole.asSlice(i, 1) : ctx.userMemory(address + i, 1);
            if (at == null) {
                return -EFAULT;
            }
            byte b = at.get(JAVA_BYTE, 0);
            into.set(JAVA_BYTE, i, b);
            if (b == 0) {
                return i == 0 && !emptyAllowed ? -ENOENT : 0;
            }
        }
        return -ENAMETOOLONG;
    }

    /** {@code io_statx}: {@code do_statx}, whose answer is the result (an error does not fail the links). */
    static int statx(Req req, IssueContext ctx) {
        State s = (State) req.opState();
        return Sync.done(req, ctx, RealFiles.statx(s.dfd(), s.path(), s.flags(), s.mask(), s.buffer()));
    }
}
