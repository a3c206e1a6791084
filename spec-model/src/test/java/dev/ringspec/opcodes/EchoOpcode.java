package dev.ringspec.opcodes;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EINVAL;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.model.Rule;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A test-only opcode defined outside the model, the way an emulator adds one: it completes with its {@code len} as
 * the result, in the way {@code op_flags} asks: now, through task work, from another thread (the test hands the
 * request over and completes it), or after io-wq (its first issue answers -EAGAIN). It takes the number of
 * IORING_OP_READ and needs a file, so io_init_req and the issue path treat it as a file opcode.
 */
final class EchoOpcode {
    static final int OPCODE = 0x16;
    static final int NOW = 0;
    static final int TASK_WORK = 1;
    static final int OTHER_THREAD = 2;
    static final int IO_WQ = 3;

    static final Rule ECHO_ISSUED = Rule.define("TEST_ECHO_ISSUED", "echo_issue", "test",
            "The test opcode was issued.");

    /** Requests waiting to be completed from another thread, with the context to complete them through. */
    record Pending(Req req, IssueContext ctx) {
    }

    final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();

    OpDef def() {
        return new OpDef(OPCODE, "ECHO", OpDef.NEEDS_FILE, EchoOpcode::prep, this::issue);
    }

    private static int prep(Req req, IssueContext ctx) {
        return Integer.compareUnsigned(req.opFlags(), IO_WQ) > 0 ? -EINVAL : 0;
    }

    private int issue(Req req, IssueContext ctx) {
        ctx.fire(ECHO_ISSUED, req.userData());
        ctx.setRes(req, req.len(), 0);
        switch (req.opFlags()) {
            case TASK_WORK -> {
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
