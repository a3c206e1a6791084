package dev.ringspec.opcodes;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EINVAL;

import dev.ringspec.lockstep.GeneratedOpcode;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.model.Rule;
import dev.ringspec.seam.SqeFields;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.random.RandomGenerator;

/**
 * A test-only opcode defined outside spec-model, in this one file, the way an emulator adds one: its opcode table
 * entry ({@link #def()}, for {@code KernelProfile.Builder.opcode}) and the SQEs generated lockstep runs write of it
 * ({@link #sqe}, for {@code LockstepRunner.withOpcodes}). It completes with its {@code len} as the result, in the
 * way {@code op_flags} asks: now, through task work, from another thread (the test hands the request over and
 * completes it), or after io-wq (its first issue answers -EAGAIN). It takes the number of IORING_OP_READ and needs
 * a file, so io_init_req and the issue path treat it as a file opcode.
 *
 * <p>{@link #withPlantedBug()} is the same opcode with one semantic bug, of the kind a real opcode's completion path
 * may have: a TASK_WORK echo completes inline, with the submission's batch, instead of after it.
 */
final class EchoOpcode implements GeneratedOpcode {
    static final int OPCODE = 0x16;
    static final int NOW = 0;
    static final int TASK_WORK = 1;
    static final int OTHER_THREAD = 2;
    static final int IO_WQ = 3;

    static final Rule ECHO_ISSUED = Rule.define("TEST_ECHO_ISSUED", "echo_issue", "test",
            "The test opcode was issued.");

    /** Descriptors a generated echo names: stdout and stderr (open in every test JVM), none, and a closed one. */
    private static final int[] GENERATED_FDS = {1, 2, 2, -1, 99_999};
    private static final int[] GENERATED_RESULTS = {0, 1, 4096, -5, Integer.MIN_VALUE};

    /** Requests waiting to be completed from another thread, with the context to complete them through. */
    record Pending(Req req, IssueContext ctx) {
    }

    final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
    private final boolean plantedBug;

    EchoOpcode() {
        this(false);
    }

    private EchoOpcode(boolean plantedBug) {
        this.plantedBug = plantedBug;
    }

    /** The opcode with its planted bug: TASK_WORK completes inline. */
    static EchoOpcode withPlantedBug() {
        return new EchoOpcode(true);
    }

    OpDef def() {
        return new OpDef(OPCODE, "ECHO", OpDef.NEEDS_FILE, EchoOpcode::prep, this::issue);
    }

    /**
     * A generated echo: now or through task work (the completions lockstep can compare: another thread's would
     * never come, io-wq's the referee refuses), sometimes a mode prep refuses or a non-zero ioprio, which
     * io_init_req refuses for an opcode without the {@code ioprio} flag.
     */
    @Override
    public SqeFields sqe(RandomGenerator random) {
        int mode = random.nextInt(10) == 0 ? IO_WQ + 1 + random.nextInt(4) : random.nextInt(TASK_WORK + 1);
        int ioprio = random.nextInt(20) == 0 ? 1 : 0;
        return new SqeFields(OPCODE, 0, ioprio, GENERATED_FDS[random.nextInt(GENERATED_FDS.length)], 0, 0,
                GENERATED_RESULTS[random.nextInt(GENERATED_RESULTS.length)], mode, 0, 0, 0);
    }

    private static int prep(Req req, IssueContext ctx) {
        return Integer.compareUnsigned(req.opFlags(), IO_WQ) > 0 ? -EINVAL : 0;
    }

    private int issue(Req req, IssueContext ctx) {
        ctx.fire(ECHO_ISSUED, req.userData());
        ctx.setRes(req, req.len(), 0);
        switch (req.opFlags()) {
            case TASK_WORK -> {
                if (plantedBug) {
                    return OpDef.COMPLETE;
                }
                ctx.completeInTaskWork(req);
                return OpDef.SKIP_COMPLETE;
            }
            case OTHER_THREAD -> {
                pending.add(new Pending(req, ctx));
                return OpDef.SKIP_COMPLETE;
            }
            case IO_WQ -> {
                if (req.opState() == null) {
                    req.opState(Boolean.TRUE);
                    return -EAGAIN;
                }
                return OpDef.COMPLETE;
            }
            default -> {
                return OpDef.COMPLETE;
            }
        }
    }
}
