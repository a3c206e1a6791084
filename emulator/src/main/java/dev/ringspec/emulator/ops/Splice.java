package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.SPLICE_F_FD_IN_FIXED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Rule;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/splice.c: {@code SPLICE} and {@code TEE}, always io-wq's ({@code REQ_F_FORCE_ASYNC}), each one real
 * {@code splice}/{@code tee} that may block, as {@code do_splice} and {@code do_tee} do in the worker. The input is
 * {@code splice_fd_in}, a descriptor of the application's or with {@code SPLICE_F_FD_IN_FIXED} a registered-file
 * slot; an offset of -1 is none (the file's position). No memory of the application's is touched: a served
 * program's descriptors are this JVM's copies of them.
 */
public final class Splice {
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_SPLICE = AARCH64 ? 76 : 275;
    private static final long SYS_TEE = AARCH64 ? 77 : 276;
    /** {@code SPLICE_F_ALL}: MOVE, NONBLOCK, MORE, GIFT. */
    private static final int SPLICE_F_ALL = 0xf;
    private static final int SPLICE_F_NONBLOCK = 0x2;
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;

    /**
     * {@code io_splice}, {@code io_tee}: a call interrupted while it waits in an io-wq worker (ASYNC_CANCEL's signal,
     * {@code io_wq_worker_cancel}; the submitting task's exit) gets {@code -ERESTARTSYS} from {@code do_splice} or
     * {@code do_tee}. Kernels after 6.12 put it in the CQE as it is, -512, a value that never leaves the kernel
     * (measured: 6.18.44, 7.2.13, 7.3-rc7); 6.1.192 and 6.12.118 answer -EINTR, as {@code io_rw_done} and the
     * network opcodes turn it for theirs. The emulator answers -EINTR at every profile and reports where the
     * profile's kernel gives -512 (catalogue entry splice-interrupted-cqe-holds-erestartsys). Detail: user_data.
     */
    public static final Rule RESTART_IN_CQE = Rule.define("SPLICE_ERESTARTSYS_IN_CQE", "io_splice",
            "io_uring/splice.c", "An io-wq SPLICE or TEE interrupted in its call ends -EINTR; kernels after 6.12 put"
                    + " the call's -ERESTARTSYS (-512) in the CQE.");

    private Splice() {
    }

    public static List<EmuOp> ops(EmulatorServices services) {
        ProcessDescriptorTable table = services.processDescriptors();
        // io-wq's (the prep forces it): a worker blocks in the call, where cancellation interrupts it
        OpDef.Issue issue = (req, ctx) -> splice(req, ctx, table);
        EmuOp.Blocking blocking = new EmuOp.Blocking() {
            @Override
            public int issue(Req req, IssueContext ctx) {
                return splice(req, ctx, table);
            }

            @Override
            public boolean ready(Req req, IssueContext ctx) {
                return Splice.ready(req, ctx, table);
            }

            @Override
            public int interrupted(Req req, IssueContext ctx) {
                return finish(req, ctx, (Sp) req.opState(), -EINTR);
            }
        };
        int flags = OpDef.NEEDS_FILE | OpDef.HASH_REG_FILE | OpDef.UNBOUND_NONREG_FILE;
        return List.of(
                new EmuOp(new OpDef(IORING_OP_SPLICE, "SPLICE", flags, Splice::splicePrep, issue), blocking),
                new EmuOp(new OpDef(IORING_OP_TEE, "TEE", flags, Splice::teePrep, issue), blocking));
    }

    /** {@code struct io_splice}. */
    record Sp(long offIn, long offOut, long len, int fdIn, int flags) {
    }

    /** {@code io_splice_prep}: the offsets, then {@code __io_splice_prep}. */
    static int splicePrep(Req req, IssueContext ctx) {
        return prep(req, ctx, req.addr(), req.off());
    }

    /** {@code io_tee_prep}: offsets -> -EINVAL (a pipe has none), then {@code __io_splice_prep}. */
    static int teePrep(Req req, IssueContext ctx) {
        if (req.addr() != 0 || req.off() != 0) {
            return -EINVAL;
        }
        return prep(req, ctx, 0, 0);
    }

    /** {@code __io_splice_prep}: flags outside SPLICE_F_FD_IN_FIXED and SPLICE_F_ALL -> -EINVAL; io-wq's. */
    private static int prep(Req req, IssueContext ctx, long offIn, long offOut) {
        int flags = req.opFlags();
        if ((flags & ~(SPLICE_F_FD_IN_FIXED | SPLICE_F_ALL)) != 0) {
            return -EINVAL;
        }
        req.opState(new Sp(offIn, offOut, Integer.toUnsignedLong(req.len()), req.fileIndex(), flags));
        ctx.forceAsync(req);
        return 0;
    }

    /** {@code io_splice} and {@code io_tee}: a result other than the length asked for fails the request. */
    static int splice(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Sp sp = (Sp) req.opState();
        int out = ctx.fileDescriptor(req);
        // io_splice_get_file: the input, a registered slot or a descriptor of the application's; none -> -EBADF
        boolean fixedIn = (sp.flags() & SPLICE_F_FD_IN_FIXED) != 0;
        int in = fixedIn ? ctx.fixedFileDescriptor(sp.fdIn()) : sp.fdIn() < 0 ? -1 : table.get(sp.fdIn());
        try {
            return spliceWith(req, ctx, sp, in, out);
        } finally {
            if (!fixedIn && in >= 0) {
                // io_splice: the input's reference is put after the call
                table.put(in);
            }
        }
    }

    /** The splice or tee of {@code in} (this JVM's descriptor, negative for none) to {@code out}. */
    private static int spliceWith(Req req, IssueContext ctx, Sp sp, int in, int out) {
        long ret = 0;
        if (out < 0) {
            // io_wq_submit_work's io_assign_file: the output (sqe->fd, or its fixed slot) names nothing
            ret = -EBADF;
        } else if (in < 0 || sp.len() == 0 && RealFiles.statusFlags(in) < 0) {
            // (without a length no call below would find a number that names nothing)
            ret = -EBADF;
        } else if (sp.len() != 0 && (!RealFiles.openFor(in, false) || !RealFiles.openFor(out, true))) {
            // do_splice (only for a length): the input not open for reading or the output not for writing ->
            // -EBADF, before the pipe and offset checks that splice(2)'s own __do_splice makes first (-ESPIPE)
            ret = -EBADF;
        } else if (sp.len() != 0) {
            int flags = sp.flags() & ~SPLICE_F_FD_IN_FIXED;
            if (req.opcode() == IORING_OP_TEE) {
                ret = Linux.call(SYS_TEE, in, out, sp.len(), flags, 0, 0);
            } else {
                ret = splice(in, out, sp, flags);
            }
        }
        return finish(req, ctx, sp, ret);
    }

    /**
     * {@code io_splice}'s end: a result other than the length asked for fails the request. A call a signal ended
     * (the emulator's worker sees -EINTR where the kernel's sees -ERESTARTSYS) answers -EINTR
     * ({@link #RESTART_IN_CQE}).
     */
    private static int finish(Req req, IssueContext ctx, Sp sp, long ret) {
        if (ret == -EINTR && putsRestartInCqe(ctx.profile().version())) {
            ctx.fire(RESTART_IN_CQE, req.userData());
        }
        if (ret != sp.len()) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, (int) ret, 0);
        return OpDef.COMPLETE;
    }

    /** Whether the kernel of {@code version} puts an interrupted SPLICE's -ERESTARTSYS in the CQE: after 6.12. */
    public static boolean putsRestartInCqe(String version) {
        String[] v = version.split("\\.");
        int major = Integer.parseInt(v[0]);
        return major > 6 || major == 6 && Integer.parseInt(v[1]) > 12;
    }

    /**
     * Whether the call would return now ({@link EmuOp.Blocking#ready}): a pipe or socket it reads from has bytes or
     * an end (any poll bit), and one it writes to has room. A descriptor that names nothing is ready: the call fails
     * at once; so is a call that fails before it would wait ({@link #failsAtOnce}).
     */
    static boolean ready(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Sp sp = (Sp) req.opState();
        if (sp.len() == 0 || (sp.flags() & SPLICE_F_NONBLOCK) != 0) {
            return true; // (SPLICE_F_NONBLOCK: -EAGAIN where it would wait)
        }
        int out = ctx.fileDescriptor(req);
        boolean fixedIn = (sp.flags() & SPLICE_F_FD_IN_FIXED) != 0;
        int in = fixedIn ? ctx.fixedFileDescriptor(sp.fdIn()) : sp.fdIn() < 0 ? -1 : table.get(sp.fdIn());
        try {
            return in < 0 || out < 0 || failsAtOnce(req.opcode(), in, out)
                    || !waits(in, POLLIN) && !waits(out, POLLOUT);
        } finally {
            if (!fixedIn && in >= 0) {
                table.put(in);
            }
        }
    }

    /**
     * Whether {@code do_tee} or {@code do_splice} (fs/splice.c) fails before it could wait on either end: the input
     * not open for reading or the output not for writing -> -EBADF; a TEE but from one pipe to another, or a SPLICE
     * from a pipe to itself or between two files neither of which is a pipe -> -EINVAL (world lockstep seed 164: a
     * TEE of the world's pipe to itself, which the kernel's worker ended -EINVAL at once, raising IORING_SQ_TASKRUN
     * after the enter, held here as waiting for the world until the pipe had bytes).
     */
    private static boolean failsAtOnce(int opcode, int in, int out) {
        if (!RealFiles.openFor(in, false) || !RealFiles.openFor(out, true)) {
            return true;
        }
        String inPipe = RealFiles.pipeOf(in);
        String outPipe = RealFiles.pipeOf(out);
        if (opcode == IORING_OP_TEE) {
            return inPipe == null || outPipe == null || inPipe.equals(outPipe);
        }
        return inPipe == null ? outPipe == null : inPipe.equals(outPipe);
    }

    /** Whether a blocking call on {@code fd} for {@code events} would wait: a pipe or socket without them now. */
    private static boolean waits(int fd, int events) {
        return RealFiles.pollable(fd) && RealSockets.pollNow(fd, events) == 0;
    }

    /**
     * One real {@code splice}. splice(2) clears FMODE_NOWAIT on each pipe it is handed ({@code __do_splice}'s
     * {@code pipe_clear_nowait}, even where it then answers -ESPIPE or -EBADF), where io_uring's SPLICE calls
     * {@code do_splice}, which leaves it; a pipe without it answers -EOPNOTSUPP to every later RWF_NOWAIT read or write
     * (measured on 6.18.44). So an anonymous pipe's end is handed to the call as a second open file of that pipe
     * ({@link RealFiles#reopenPipe}), and the application's own file keeps its flag; where none can be opened the
     * call gets the application's (its answer is the same, the flag is lost).
     */
    private static long splice(int in, int out, Sp sp, int flags) {
        int pipeIn = RealFiles.reopenPipe(in);
        int pipeOut = RealFiles.reopenPipe(out);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment offsets = call.allocate(16, 8);
            offsets.set(JAVA_LONG, 0, sp.offIn());
            offsets.set(JAVA_LONG, 8, sp.offOut());
            return Linux.call(SYS_SPLICE, pipeIn >= 0 ? pipeIn : in, sp.offIn() == -1 ? 0 : offsets.address(),
                    pipeOut >= 0 ? pipeOut : out, sp.offOut() == -1 ? 0 : offsets.address() + 8, sp.len(), flags);
        } finally {
            for (int fd : new int[] {pipeIn, pipeOut}) {
                if (fd >= 0) {
                    Linux.close(fd);
                }
            }
        }
    }
}
