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

    /** The paths of one request, copied in; null (and -errno in {@code error[0]}) where one is refused. */
    private static MemorySegment[] paths(IssueContext ctx, int[] error, long first, boolean firstMayBeEmpty,
            long second) {
        MemorySegment a = UserPath.copy(ctx, first, firstMayBeEmpty, error);
        if (a == null) {
            return null;
        }
        MemorySegment b = UserPath.copy(ctx, second, false, error);
        return b == null ? null : new MemorySegment[] {a, b};
    }

    /** The checks every prep of fs.c makes first: buf_index, splice_fd_in (-EINVAL); a fixed file (-EBADF). */
    private static int common(Req req) {
        if (req.bufIndex() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        return (req.flags() & IOSQE_FIXED_FILE) != 0 ? -EBADF : 0;
    }

    /** {@code io_renameat_prep}: old dfd in fd, new dfd in len, the paths in addr and addr2 (off). */
    static int renameatPrep(Req req, IssueContext ctx) {
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int[] error = new int[1];
        MemorySegment[] p = paths(ctx, error, req.addr(), false, req.off());
        if (p == null) {
            return error[0];
        }
        int oldDfd = req.fd();
        int newDfd = req.len();
        int flags = req.opFlags();
        ctx.forceAsync(req);
        req.opState((Call) table -> {
            try (PathAt from = PathAt.of(table, oldDfd, p[0]); PathAt to = PathAt.of(table, newDfd, p[1])) {
                return (int) Linux.call(SYS_RENAMEAT2, from.dirfd(), from.path().address(), to.dirfd(),
                        to.path().address(), flags, 0);
            }
        });
        return 0;
    }

    /** {@code io_unlinkat_prep}: off, len, addr3 set -> -EINVAL; flags beyond AT_REMOVEDIR -> -EINVAL. */
    static int unlinkatPrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.len() != 0 || req.addr3() != 0) {
            return -EINVAL;
        }
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int flags = req.opFlags();
        if ((flags & ~AT_REMOVEDIR) != 0) {
            return -EINVAL;
        }
        int[] error = new int[1];
        MemorySegment path = UserPath.copy(ctx, req.addr(), false, error);
        if (path == null) {
            return error[0];
        }
        int dfd = req.fd();
        ctx.forceAsync(req);
        req.opState((Call) table -> {
            try (PathAt at = PathAt.of(table, dfd, path)) {
                return (int) Linux.call(SYS_UNLINKAT, at.dirfd(), at.path().address(), flags);
            }
        });
        return 0;
    }

    /** {@code io_mkdirat_prep}: off, rw_flags set -> -EINVAL; the mode is len. */
    static int mkdiratPrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.opFlags() != 0) {
            return -EINVAL;
        }
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int[] error = new int[1];
        MemorySegment path = UserPath.copy(ctx, req.addr(), false, error);
        if (path == null) {
            return error[0];
        }
        int dfd = req.fd();
        int mode = req.len();
        ctx.forceAsync(req);
        req.opState((Call) table -> {
            try (PathAt at = PathAt.of(table, dfd, path)) {
                return (int) Linux.call(SYS_MKDIRAT, at.dirfd(), at.path().address(), mode);
            }
        });
        return 0;
    }

    /** {@code io_symlinkat_prep}: len, rw_flags set -> -EINVAL; the target (addr) is only text, never looked up. */
    static int symlinkatPrep(Req req, IssueContext ctx) {
        if (req.len() != 0 || req.opFlags() != 0) {
            return -EINVAL;
        }
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int[] error = new int[1];
        MemorySegment[] p = paths(ctx, error, req.addr(), false, req.off());
        if (p == null) {
            return error[0];
        }
        int newDfd = req.fd();
        ctx.forceAsync(req);
        req.opState((Call) table -> {
            try (PathAt at = PathAt.of(table, newDfd, p[1])) {
                return (int) Linux.call(SYS_SYMLINKAT, p[0].address(), at.dirfd(), at.path().address());
            }
        });
        return 0;
    }

    /** {@code io_linkat_prep}: the old path may be empty with AT_EMPTY_PATH ({@code getname_uflags}). */
    static int linkatPrep(Req req, IssueContext ctx) {
        int r = common(req);
        if (r != 0) {
            return r;
        }
        int flags = req.opFlags();
        int[] error = new int[1];
        MemorySegment[] p = paths(ctx, error, req.addr(), (flags & AT_EMPTY_PATH) != 0, req.off());
        if (p == null) {
            return error[0];
        }
        int oldDfd = req.fd();
        int newDfd = req.len();
        ctx.forceAsync(req);
        req.opState((Call) table -> {
            try (PathAt from = PathAt.of(table, oldDfd, p[0]); PathAt to = PathAt.of(table, newDfd, p[1])) {
                return (int) Linux.call(SYS_LINKAT, from.dirfd(), from.path().address(), to.dirfd(),
                        to.path().address(), flags, 0);
            }
        });
        return 0;
    }
}
