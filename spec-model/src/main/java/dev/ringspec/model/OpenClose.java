package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENAMETOOLONG;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.uapi.IoUringBpfCtx;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * {@code IORING_OP_OPENAT} and {@code IORING_OP_OPENAT2} (io_uring/openclose.c; the world of WORLD.md): every
 * check of their preps in the kernel's order, the BPF filter context they populate (7.0+), and at issue the
 * answer for paths under {@link #ABSENT_DIRECTORY}, which no backend has: {@code build_open_flags}' -EINVAL for a
 * refused combination, else -ENOENT from the lookup. Flags, resolve bits or paths outside that world throw.
 */
final class OpenClose {
    /** The directory every path the model opens lies under (WORLD.md); it exists on no backend. */
    static final String ABSENT_DIRECTORY = "/ringspec-absent/";
    /** {@code PATH_MAX}, counting the terminating NUL. */
    static final int PATH_MAX = 4096;
    /** {@code OPEN_HOW_SIZE_VER0}: {@code struct open_how} is three u64 (flags, mode, resolve). */
    static final int OPEN_HOW_SIZE = 24;

    // x86-64 and arm64 open flags (asm-generic/fcntl.h), octal as there
    static final long O_ACCMODE = 03;
    static final long O_CREAT = 0100;
    static final long O_TRUNC = 01000;
    static final long O_LARGEFILE = 0100000;
    static final long O_DIRECTORY = 0200000;
    static final long O_NOFOLLOW = 0400000;
    static final long O_CLOEXEC = 02000000;
    static final long O_PATH = 010000000;
    static final long O_TMPFILE_BIT = 020000000;
    /** {@code VALID_OPEN_FLAGS}: the access mode and every flag from O_CREAT to __O_TMPFILE. */
    static final long VALID_OPEN_FLAGS = 037777703;
    /** {@code O_PATH_FLAGS}. */
    static final long O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
    /** {@code S_IALLUGO}. */
    static final long S_IALLUGO = 07777;
    /**
     * RESOLVE_NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS: no effect on an absolute path that names nothing (RESOLVE_CACHED
     * and unknown bits are outside the model's world: a cached lookup may answer -EAGAIN).
     */
    static final long RESOLVE_HARMLESS = 0x07;
    static final long RESOLVE_BENEATH = 0x08;
    static final long RESOLVE_IN_ROOT = 0x10;

    private OpenClose() {
    }

    /** OPENAT's and OPENAT2's entries: no file, ioprio or iopoll; from 7.0 a 24-byte filter payload. */
    static OpDef openatDef(KernelProfile profile, boolean two) {
        int opcode = two ? IORING_OP_OPENAT2 : IORING_OP_OPENAT;
        String name = two ? "OPENAT2" : "OPENAT";
        OpDef.Prep prep = two ? OpenClose::openat2Prep : OpenClose::openatPrep;
        if (!profile.bpfFilters()) {
            return new OpDef(opcode, name, 0, prep, OpenClose::openat2);
        }
        return new OpDef(opcode, name, 0, prep, OpenClose::openat2, OPEN_HOW_SIZE, OpenClose::openatBpfPopulate);
    }

    /** {@code struct io_open}: the open_how after prep, the path, the direct-descriptor slot. */
    record Open(long flags, long mode, long resolve, int dfd, String path, int fileSlot) {
    }

    /** {@code io_openat_prep}: {@code build_open_how(open_flags, len)}, then the common part. */
    static int openatPrep(Req req, IssueContext ctx) {
        // build_open_how: flags (an int) cut to VALID_OPEN_FLAGS, O_PATH keeps only O_PATH_FLAGS; the mode (a
        // umode_t) cut to S_IALLUGO and kept only for O_CREAT or O_TMPFILE
        long flags = req.opFlags() & VALID_OPEN_FLAGS;
        if ((flags & O_PATH) != 0) {
            flags &= O_PATH_FLAGS;
        }
        long mode = willCreate(flags) ? (req.len() & 0xffff) & S_IALLUGO : 0;
        return openatPrepCommon(req, ctx, flags, mode, 0);
    }

    /** {@code io_openat2_prep}: the open_how copied in with {@code copy_struct_from_user}, then the common part. */
    static int openat2Prep(Req req, IssueContext ctx) {
        long how = req.off();
        long len = Integer.toUnsignedLong(req.len());
        // io_openat2_prep: len below OPEN_HOW_SIZE_VER0 -> -EINVAL
        if (len < OPEN_HOW_SIZE) {
            ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        // copy_struct_from_user: bytes past the kernel's struct must be zero (-E2BIG; -EFAULT unreadable), then the
        // struct itself is copied (-EFAULT)
        for (long i = OPEN_HOW_SIZE; i < len; i++) {
            MemorySegment b = ctx.userMemory(how + i, 1);
            if (b == null) {
                ctx.fire(Rules.OPENAT_PREP_FAULT, req.userData());
                return -EFAULT;
            }
            if (b.get(JAVA_BYTE, 0) != 0) {
                ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
                return -E2BIG;
            }
        }
        MemorySegment h = ctx.userMemory(how, OPEN_HOW_SIZE);
        if (h == null) {
            ctx.fire(Rules.OPENAT_PREP_FAULT, req.userData());
            return -EFAULT;
        }
        return openatPrepCommon(req, ctx, h.get(JAVA_LONG_UNALIGNED, 0), h.get(JAVA_LONG_UNALIGNED, 8),
                h.get(JAVA_LONG_UNALIGNED, 16));
    }

    /** {@code __io_openat_prep}. */
    private static int openatPrepCommon(Req req, IssueContext ctx, long howFlags, long mode, long resolve) {
        // __io_openat_prep: buf_index set -> -EINVAL; IOSQE_FIXED_FILE -> -EBADF
        if (req.bufIndex() != 0) {
            ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        if ((req.flags() & IOSQE_FIXED_FILE) != 0) {
            ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
            return -EBADF;
        }
        // __io_openat_prep: O_LARGEFILE unless O_PATH (force_o_largefile on 64-bit)
        long flags = (howFlags & O_PATH) == 0 ? howFlags | O_LARGEFILE : howFlags;
        // __io_openat_prep: the path copied in (getname): -EFAULT unreadable, -ENAMETOOLONG without a NUL in PATH_MAX
        String path = getname(ctx, req.addr());
        if (path == null) {
            ctx.fire(Rules.OPENAT_PREP_FAULT, req.userData());
            return -EFAULT;
        }
        if (path.length() >= PATH_MAX) {
            ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
            return -ENAMETOOLONG;
        }
        if (path.isEmpty()) {
            throw new UnsupportedOperationException("an empty path (prep or issue may refuse it) is outside the "
                    + "model's world (WORLD.md: paths under " + ABSENT_DIRECTORY + ")");
        }
        int fileSlot = req.fileIndex();
        req.opState(new Open(flags, mode, resolve, req.fd(), path, fileSlot));
        // __io_openat_prep: a direct descriptor cannot be O_CLOEXEC -> -EINVAL
        if (fileSlot != 0 && (flags & O_CLOEXEC) != 0) {
            ctx.fire(Rules.OPENAT_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        // io_openat_force_async (7.x): O_TRUNC, O_CREAT and __O_TMPFILE always block, so they go to io-wq (and a
        // filter sees IOSQE_ASYNC); earlier kernels send them there from the first issue's -EAGAIN
        if ((flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT)) != 0) {
            req.addFlags(Req.REQ_F_FORCE_ASYNC);
        }
        return 0;
    }

    /** {@code strncpy_from_user} as getname uses it: the string, up to PATH_MAX bytes; null for -EFAULT. */
    private static String getname(IssueContext ctx, long address) {
        byte[] name = new byte[PATH_MAX];
        for (int i = 0; i < PATH_MAX; i++) {
            MemorySegment b = ctx.userMemory(address + i, 1);
            if (b == null) {
                return null;
            }
            name[i] = b.get(JAVA_BYTE, 0);
            if (name[i] == 0) {
                return new String(name, 0, i, StandardCharsets.ISO_8859_1);
            }
        }
        return new String(name, StandardCharsets.ISO_8859_1);
    }

    /** {@code io_openat_bpf_populate}: the open_how's flags, mode and resolve after prep. */
    static void openatBpfPopulate(Req req, MemorySegment bctx) {
        Open open = (Open) req.opState();
        bctx.set(JAVA_LONG_UNALIGNED, IoUringBpfCtx.OPEN_FLAGS_OFFSET, open.flags());
        bctx.set(JAVA_LONG_UNALIGNED, IoUringBpfCtx.OPEN_MODE_OFFSET, open.mode());
        bctx.set(JAVA_LONG_UNALIGNED, IoUringBpfCtx.OPEN_RESOLVE_OFFSET, open.resolve());
    }

    /** {@code io_openat2} (OPENAT's issue too): {@code build_open_flags}, then the lookup, which finds nothing. */
    static int openat2(Req req, IssueContext ctx) {
        Open open = (Open) req.opState();
        int ret = buildOpenFlags(open);
        if (ret == 0) {
            if (!open.path().startsWith(ABSENT_DIRECTORY)) {
                throw new UnsupportedOperationException("opening " + open.path() + " is outside the model's world "
                        + "(WORLD.md: paths under " + ABSENT_DIRECTORY + ")");
            }
            // do_filp_open: the absolute path's first component does not exist -> -ENOENT (dfd is not consulted)
            ctx.fire(Rules.OPENAT_ABSENT_PATH, req.userData());
            ret = -ENOENT;
        } else {
            ctx.fire(Rules.OPENAT_BUILD_OPEN_FLAGS, req.userData());
        }
        // io_openat2: err: req_set_fail, the result
        ctx.reqSetFail(req);
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** {@code build_open_flags}: 0 or -EINVAL, in the kernel's order; unknown flags or resolve bits throw. */
    private static int buildOpenFlags(Open open) {
        long flags = open.flags() & ~O_CLOEXEC;
        // build_open_flags: flags outside VALID_OPEN_FLAGS, resolve bits outside VALID_RESOLVE_FLAGS -> -EINVAL
        // (a newer kernel may know more of either: outside the model's world)
        if ((flags & ~VALID_OPEN_FLAGS) != 0
                || (open.resolve() & ~(RESOLVE_HARMLESS | RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0) {
            throw new UnsupportedOperationException("open flags " + Long.toOctalString(open.flags())
                    + " or resolve " + Long.toHexString(open.resolve()) + " beyond what every 7.x kernel knows");
        }
        // build_open_flags: RESOLVE_BENEATH with RESOLVE_IN_ROOT -> -EINVAL
        if ((open.resolve() & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) == (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
            return -EINVAL;
        }
        // build_open_flags: a mode beyond S_IALLUGO with O_CREAT or O_TMPFILE, any mode without -> -EINVAL
        if (willCreate(flags) ? (open.mode() & ~S_IALLUGO) != 0 : open.mode() != 0) {
            return -EINVAL;
        }
        // build_open_flags: O_DIRECTORY | O_CREAT -> -EINVAL (6.4+)
        if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT)) {
            return -EINVAL;
        }
        // build_open_flags: __O_TMPFILE needs O_DIRECTORY and MAY_WRITE in ACC_MODE (O_WRONLY, O_RDWR, or 3) -> -EINVAL
        if ((flags & O_TMPFILE_BIT) != 0 && ((flags & O_DIRECTORY) == 0 || (flags & O_ACCMODE) == 0)) {
            return -EINVAL;
        }
        // build_open_flags: O_PATH with any flag outside O_PATH_FLAGS -> -EINVAL
        if ((flags & O_PATH) != 0 && (flags & ~O_PATH_FLAGS) != 0) {
            return -EINVAL;
        }
        if ((open.resolve() & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0) {
            throw new UnsupportedOperationException("RESOLVE_BENEATH or RESOLVE_IN_ROOT with an absolute path "
                    + "depends on dfd (-EXDEV, -EBADF): outside the model's world");
        }
        return 0;
    }

    /** {@code WILL_CREATE}: O_CREAT or __O_TMPFILE. */
    private static boolean willCreate(long flags) {
        return (flags & (O_CREAT | O_TMPFILE_BIT)) != 0;
    }
}
