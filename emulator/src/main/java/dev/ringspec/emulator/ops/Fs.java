package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MKDIRAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RENAMEAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYMLINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_UNLINKAT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/fs.c: RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT and LINKAT. Each prep copies its paths in ({@code getname}:
 * -EFAULT, -ENAMETOOLONG, -ENOENT for an empty one) and sets REQ_F_FORCE_ASYNC; io-wq makes the real call from the
 * application's directories ({@link PathAt}), and its answer is the result, without req_set_fail. A directory
 * descriptor is always {@code sqe->fd} (or {@code sqe->len}), never a fixed file (-EBADF).
 *
 * <p>From 7.0 the paths are copied with {@code delayed_getname}, which leaves an empty path's -ENOENT to the lookup;
 * here it is the prep's on every version (the CQE's result is the same; a link after it is cancelled here).
 */
public final class Fs {
    private static final boolean ARM = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_MKDIRAT = ARM ? 34 : 258;
    private static final long SYS_UNLINKAT = ARM ? 35 : 263;
    private static final long SYS_SYMLINKAT = ARM ? 36 : 266;
    private static final long SYS_LINKAT = ARM ? 37 : 265;
    private static final long SYS_RENAMEAT2 = ARM ? 276 : 316;
    private static final int AT_REMOVEDIR = 0x200;
    private static final int AT_EMPTY_PATH = 0x1000;

    private Fs() {
    }

    /** The opcodes of fs.c (opdef.c: no file, no poll). */
    public static List<EmuOp> ops(EmulatorServices services) {
        ProcessDescriptorTable table = services.processDescriptors();
        return List.of(
                op(IORING_OP_RENAMEAT, "RENAMEAT", Fs::renameatPrep, table),
                op(IORING_OP_UNLINKAT, "UNLINKAT", Fs::unlinkatPrep, table),
                op(IORING_OP_MKDIRAT, "MKDIRAT", Fs::mkdiratPrep, table),
                op(IORING_OP_SYMLINKAT, "SYMLINKAT", Fs::symlinkatPrep, table),
                op(IORING_OP_LINKAT, "LINKAT", Fs::linkatPrep, table));
    }

    private static EmuOp op(int opcode, String name, OpDef.Prep prep, ProcessDescriptorTable table) {
        return new EmuOp(new OpDef(opcode, name, 0, prep, (req, ctx) -> -EAGAIN),
                (req, ctx) -> Sync.done(req, ctx, ((Call) req.opState()).call(table)));
    }

    /** What an io-wq worker does with the request's copied paths: the syscall's answer. */
    @FunctionalInterface
    private interface Call {
        int call(ProcessDescriptorTable table);
    }

    /** What the worker calls with one path's lookup. */
    @FunctionalInterface
    private interface OnePath {
        long call(PathAt at);
    }

    /** What the worker calls with two paths' lookups (old, new). */
    @FunctionalInterface
    private interface TwoPaths {
        long call(PathAt from, PathAt to);
    }

    /** The checks every prep of fs.c makes first: buf_index, splice_fd_in (-EINVAL); a fixed file (-EBADF). */
    private static int common(Req req) {
        if (req.bufIndex() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        return (req.flags() & IOSQE_FIXED_FILE) != 0 ? -EBADF : 0;
    }

    /** REQ_F_FORCE_ASYNC, and what the worker does. */
    private static int toIoWq(Req req, IssueContext ctx, Call call) {
        ctx.forceAsync(req);
        req.opState(call);
        return 0;
    }

    /** The path at addr ({@code getname}), looked up from {@code sqe->fd} by the worker. */
    private static int onePath(Req req, IssueContext ctx, OnePath call) {
        int[] error = new int[1];
        MemorySegment path = UserPath.copy(ctx, req.addr(), false, error);
        if (path == null) {
            return error[0];
        }
        int dfd = req.fd();
        return toIoWq(req, ctx, table -> {
            try (PathAt at = PathAt.of(table, dfd, path)) {
                return (int) call.call(at);
            }
        });
    }

    /**
     * The old path at addr (empty allowed where {@code oldMayBeEmpty}) from {@code sqe->fd}, the new at addr2 from
     * {@code sqe->len}: RENAMEAT's and LINKAT's.
     */
    private static int twoPaths(Req req, IssueContext ctx, boolean oldMayBeEmpty, TwoPaths call) {
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int[] error = new int[1];
        MemorySegment old = UserPath.copy(ctx, req.addr(), oldMayBeEmpty, error);
        MemorySegment now = old == null ? null : UserPath.copy(ctx, req.off(), false, error);
        if (now == null) {
            return error[0];
        }
        int oldDfd = req.fd();
        int newDfd = req.len();
        return toIoWq(req, ctx, table -> {
            try (PathAt from = PathAt.of(table, oldDfd, old); PathAt to = PathAt.of(table, newDfd, now)) {
                return (int) call.call(from, to);
            }
        });
    }

    /** {@code io_renameat_prep}: the flags are renameat2's. */
    static int renameatPrep(Req req, IssueContext ctx) {
        int flags = req.opFlags();
        return twoPaths(req, ctx, false, (from, to) -> Linux.call(SYS_RENAMEAT2, from.dirfd(),
                from.path().address(), to.dirfd(), to.path().address(), flags, 0));
    }

    /** {@code io_linkat_prep}: the old path may be empty with AT_EMPTY_PATH ({@code getname_uflags}). */
    static int linkatPrep(Req req, IssueContext ctx) {
        int flags = req.opFlags();
        return twoPaths(req, ctx, (flags & AT_EMPTY_PATH) != 0, (from, to) -> Linux.call(SYS_LINKAT, from.dirfd(),
                from.path().address(), to.dirfd(), to.path().address(), flags, 0));
    }

    /**
     * {@code io_unlinkat_prep}: off, len set (from 7.2 also addr3 or {@code __pad2[0]}) -> -EINVAL; flags beyond
     * AT_REMOVEDIR -> -EINVAL. Before 7.2 the words at 48 and 56 are not looked at: the lookup answers.
     */
    static int unlinkatPrep(Req req, IssueContext ctx) {
        boolean padChecked = Versions.atLeast(ctx.profile(), 7, 2);
        if (req.off() != 0 || req.len() != 0 || padChecked && (req.addr3() != 0 || req.word56() != 0)) {
            return -EINVAL;
        }
        int r = common(req);
        int flags = req.opFlags();
        if (r != 0 || (flags & ~AT_REMOVEDIR) != 0) {
            return r != 0 ? r : -EINVAL;
        }
        return onePath(req, ctx, at -> Linux.call(SYS_UNLINKAT, at.dirfd(), at.path().address(), flags));
    }

    /** {@code io_mkdirat_prep}: off, rw_flags set -> -EINVAL; the mode is len. */
    static int mkdiratPrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.opFlags() != 0) {
            return -EINVAL;
        }
        int r = common(req);
        int mode = req.len();
        return r != 0 ? r : onePath(req, ctx, at -> Linux.call(SYS_MKDIRAT, at.dirfd(), at.path().address(), mode));
    }

    /**
     * {@code io_symlinkat_prep}: len, rw_flags set -> -EINVAL; the target (addr) is only text, never looked up; the
     * link (addr2) is looked up from {@code sqe->fd}.
     */
    static int symlinkatPrep(Req req, IssueContext ctx) {
        if (req.len() != 0 || req.opFlags() != 0) {
            return -EINVAL;
        }
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int[] error = new int[1];
        MemorySegment target = UserPath.copy(ctx, req.addr(), false, error);
        MemorySegment link = target == null ? null : UserPath.copy(ctx, req.off(), false, error);
        if (link == null) {
            return error[0];
        }
        int newDfd = req.fd();
        return toIoWq(req, ctx, table -> {
            try (PathAt at = PathAt.of(table, newDfd, link)) {
                return (int) Linux.call(SYS_SYMLINKAT, target.address(), at.dirfd(), at.path().address());
            }
        });
    }
}
