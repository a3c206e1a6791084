package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_OP_FADVISE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MADVISE;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.List;

/**
 * io_uring/advise.c: FADVISE ({@code vfs_fadvise} on the request's file) and MADVISE ({@code do_madvise} on the
 * application's memory). The advice a call cannot take without blocking goes to io-wq: every MADVISE, and an
 * FADVISE other than NORMAL, RANDOM and SEQUENTIAL.
 *
 * <p>A served program's memory is another process's: MADVISE becomes {@code process_madvise} on it
 * ({@link ProgramMemory#madvise}), which takes only the advice that does not change what the memory holds (COLD,
 * PAGEOUT, WILLNEED, COLLAPSE). Any other (DONTNEED, FREE, REMOVE, DONTFORK, ...) is refused (-EOPNOTSUPP) and
 * reported ({@link EmulatorServices#refuse}).
 *
 * <p>Before 6.12 (6.1 here) the length is {@code sqe->len} only, FADVISE's {@code addr} and MADVISE's {@code off}
 * must be 0, and the blocking advice is found by the issue (-EAGAIN when it may not block); from 6.12 a 64-bit length
 * comes from {@code addr} (FADVISE) or {@code off} (MADVISE), {@code len} when that is 0, and the prep forces io-wq.
 */
public final class Advise {
    private static final boolean ARM = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_MADVISE = ARM ? 233 : 28;
    private static final long SYS_FADVISE64 = ARM ? 223 : 221;
    private static final int POSIX_FADV_NORMAL = 0;
    private static final int POSIX_FADV_RANDOM = 1;
    private static final int POSIX_FADV_SEQUENTIAL = 2;

    private Advise() {
    }

    /** The opcodes of advise.c (opdef.c: FADVISE needs a file). */
    public static List<EmuOp> ops(EmulatorServices services) {
        return List.of(
                new EmuOp(new OpDef(IORING_OP_FADVISE, "FADVISE", OpDef.NEEDS_FILE, Advise::fadvisePrep,
                        Advise::fadviseNonBlocking), Advise::fadvise),
                new EmuOp(new OpDef(IORING_OP_MADVISE, "MADVISE", 0, Advise::madvisePrep, (req, ctx) -> -EAGAIN),
                        (req, ctx) -> madvise(req, ctx, services)));
    }

    /** {@code struct io_fadvise} and {@code struct io_madvise}: where (offset or address), how long, what advice. */
    private record State(long where, long len, int advice) {
    }

    private static boolean wide(IssueContext ctx) {
        return Versions.atLeast(ctx.profile(), 6, 12);
    }

    /** {@code io_fadvise_force_async}: the advice that may block. */
    private static boolean mayBlock(int advice) {
        return advice != POSIX_FADV_NORMAL && advice != POSIX_FADV_RANDOM && advice != POSIX_FADV_SEQUENTIAL;
    }

    /** {@code io_fadvise_prep}. */
    static int fadvisePrep(Req req, IssueContext ctx) {
        boolean wide = wide(ctx);
        // buf_index, splice_fd_in (and before 6.12 addr) set -> -EINVAL
        if (req.bufIndex() != 0 || req.fileIndex() != 0 || !wide && req.addr() != 0) {
            return -EINVAL;
        }
        long len = wide && req.addr() != 0 ? req.addr() : Integer.toUnsignedLong(req.len());
        int advice = req.opFlags();
        req.opState(new State(req.off(), len, advice));
        if (wide && mayBlock(advice)) {
            ctx.forceAsync(req);
        }
        return 0;
    }

    /** {@code io_fadvise} on the ring's task: the advice that may block goes to io-wq. */
    static int fadviseNonBlocking(Req req, IssueContext ctx) {
        return mayBlock(((State) req.opState()).advice()) ? -EAGAIN : fadvise(req, ctx);
    }

    /** {@code io_fadvise}: {@code vfs_fadvise}'s answer; an error fails the request. */
    static int fadvise(Req req, IssueContext ctx) {
        State s = (State) req.opState();
        int fd = ctx.fileDescriptor(req);
        int ret = fd < 0 ? -EBADF : (int) Linux.call(SYS_FADVISE64, fd, s.where(), s.len(), s.advice(), 0, 0);
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** {@code io_madvise_prep}. */
    static int madvisePrep(Req req, IssueContext ctx) {
        boolean wide = wide(ctx);
        // buf_index, splice_fd_in (and before 6.12 off) set -> -EINVAL
        if (req.bufIndex() != 0 || req.fileIndex() != 0 || !wide && req.off() != 0) {
            return -EINVAL;
        }
        long len = wide && req.off() != 0 ? req.off() : Integer.toUnsignedLong(req.len());
        req.opState(new State(req.addr(), len, req.opFlags()));
        ctx.forceAsync(req);
        return 0;
    }

    /** {@code io_madvise}: {@code do_madvise}'s answer, without req_set_fail. */
    static int madvise(Req req, IssueContext ctx, EmulatorServices services) {
        State s = (State) req.opState();
        ProgramMemory served = ProgramTransfers.program();
        int ret;
        if (served == null) {
            ret = (int) Linux.call(SYS_MADVISE, s.where(), s.len(), s.advice());
        } else {
            ret = served.madvise(s.where(), s.len(), s.advice());
            if (ret == -EOPNOTSUPP) {
                services.refuse("MADVISE with advice " + s.advice() + " (process_madvise takes only MADV_COLD,"
                        + " MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE)");
            }
        }
        return Sync.done(req, ctx, ret);
    }
}
