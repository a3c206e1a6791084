package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ERANGE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FGETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_GETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_SETXATTR;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/xattr.c: FSETXATTR, SETXATTR, FGETXATTR and GETXATTR. The prep copies the attribute's name in (-ERANGE
 * for an empty one or one of {@link #NAME_BYTES} bytes without its NUL), a set's value too (-E2BIG beyond
 * {@link #SIZE_MAX_BYTES}), and the path of the path forms ({@code getname}); every request goes to io-wq
 * (REQ_F_FORCE_ASYNC), where the real call's answer is the result, without req_set_fail. A path is looked up from
 * the application's working directory ({@link PathAt}); a get's value reaches a served program through a buffer of
 * this JVM.
 *
 * <p>Through 6.12 every prep refuses a fixed file (-EBADF, 6.12.117's source); by 6.18 only the path forms do (their
 * file is never looked up), and FGETXATTR and FSETXATTR take one: this 6.18.44 answers a fixed FSETXATTR with bad
 * flags -EINVAL from the prep's later check (the SQE fuzz found it), as 7.1.8's source reads.
 */
public final class Xattr {
    private static final boolean ARM = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_SETXATTR = ARM ? 5 : 188;
    private static final long SYS_FSETXATTR = ARM ? 7 : 190;
    private static final long SYS_GETXATTR = ARM ? 8 : 191;
    private static final long SYS_FGETXATTR = ARM ? 10 : 193;
    /** {@code XATTR_NAME_MAX + 1}: {@code struct xattr_name}. */
    static final int NAME_BYTES = 256;
    /** {@code XATTR_SIZE_MAX}. */
    static final int SIZE_MAX_BYTES = 65536;
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;

    private Xattr() {
    }

    /** The opcodes of xattr.c (opdef.c: the f-forms need a file). */
    public static List<EmuOp> ops(EmulatorServices services) {
        ProcessDescriptorTable table = services.processDescriptors();
        return List.of(
                op(IORING_OP_FSETXATTR, "FSETXATTR", OpDef.NEEDS_FILE, false, true, table),
                op(IORING_OP_SETXATTR, "SETXATTR", 0, true, true, table),
                op(IORING_OP_FGETXATTR, "FGETXATTR", OpDef.NEEDS_FILE, false, false, table),
                op(IORING_OP_GETXATTR, "GETXATTR", 0, true, false, table));
    }

    private static EmuOp op(int opcode, String name, int flags, boolean path, boolean set,
            ProcessDescriptorTable table) {
        return new EmuOp(new OpDef(opcode, name, flags, (req, ctx) -> prep(req, ctx, path, set), (req, ctx) -> -EAGAIN),
                (req, ctx) -> Sync.done(req, ctx, issue(req, ctx, table)));
    }

    /** {@code struct io_xattr}: the name, a set's value, a get's size and buffer, the path of a path form. */
    private record State(boolean set, MemorySegment name, MemorySegment value, int size, long buffer, int flags,
            MemorySegment path) {
    }

    /** {@code __io_setxattr_prep} / {@code __io_getxattr_prep}, then the path ({@code getname_flags}). */
    static int prep(Req req, IssueContext ctx, boolean path, boolean set) {
        // a fixed file -> -EBADF (by 6.18 only where a path names the file)
        if ((req.flags() & IOSQE_FIXED_FILE) != 0 && (path || !Versions.atLeast(ctx.profile(), 6, 18))) {
            return -EBADF;
        }
        int flags = req.opFlags();
        int size = req.len();
        // __io_getxattr_prep: any flag -> -EINVAL; setxattr_copy: flags beyond CREATE and REPLACE -> -EINVAL
        if (set ? (flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0 : flags != 0) {
            return -EINVAL;
        }
        int[] error = new int[1];
        MemorySegment name = name(ctx, req.addr(), error);
        if (name == null) {
            return error[0];
        }
        MemorySegment value = null;
        if (set && size != 0) {
            // setxattr_copy: a value beyond XATTR_SIZE_MAX -> -E2BIG; then vmemdup_user (-EFAULT)
            if (Integer.compareUnsigned(size, SIZE_MAX_BYTES) > 0) {
                return -E2BIG;
            }
            MemorySegment user = ctx.userMemory(req.off(), size);
            if (user == null) {
                return -EFAULT;
            }
            value = Arena.ofAuto().allocate(size);
            value.copyFrom(user);
        }
        MemorySegment p = null;
        if (path) {
            p = UserPath.copy(ctx, req.addr3(), false, error);
            if (p == null) {
                return error[0];
            }
        }
        req.opState(new State(set, name, value, size, req.off(), flags, p));
        ctx.forceAsync(req);
        return 0;
    }

    /** The attribute's name as {@code strncpy_from_user} into {@code struct xattr_name} copies it. */
    private static MemorySegment name(IssueContext ctx, long address, int[] error) {
        MemorySegment name = UserPath.strncpy(ctx, address, NAME_BYTES, error);
        if (name == null ? error[0] == UserPath.TOO_LONG : name.byteSize() == 1) {
            // no name, or no NUL within XATTR_NAME_MAX bytes -> -ERANGE
            error[0] = -ERANGE;
            return null;
        }
        return name;
    }

    /** The real call on io-wq: the descriptor's or the path's attribute. */
    private static int issue(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        State s = (State) req.opState();
        int fd = s.path() == null ? ctx.fileDescriptor(req) : -1;
        if (s.path() == null && fd < 0) {
            // io_assign_file in the worker: an empty fixed slot
            return -EBADF;
        }
        try (PathAt at = s.path() == null ? null : PathAt.of(table, ProcessDescriptorTable.AT_FDCWD, s.path())) {
            long target = at == null ? fd : at.pathOnly().address();
            if (s.set()) {
                long value = s.value() == null ? 0 : s.value().address();
                return (int) Linux.call(at == null ? SYS_FSETXATTR : SYS_SETXATTR, target, s.name().address(), value,
                        Integer.toUnsignedLong(s.size()), s.flags(), 0);
            }
            return get(at == null ? SYS_FGETXATTR : SYS_GETXATTR, target, s);
        }
    }

    /** A get into the application's buffer: a served program's through one of this JVM, copied out after. */
    private static int get(long syscall, long target, State s) {
        ProgramMemory served = ProgramTransfers.program();
        long size = Integer.toUnsignedLong(s.size());
        if (served == null || size == 0) {
            return (int) Linux.call(syscall, target, s.name().address(), s.buffer(), size, 0, 0);
        }
        try (Arena call = Arena.ofConfined()) {
            // do_getxattr reads at most XATTR_SIZE_MAX whatever the size asked
            MemorySegment local = call.allocate(Math.min(size, SIZE_MAX_BYTES));
            int n = (int) Linux.call(syscall, target, s.name().address(), local.address(), size, 0, 0);
            return n > 0 && !served.copyOut(local.asSlice(0, n), s.buffer()) ? -EFAULT : n;
        }
    }
}
