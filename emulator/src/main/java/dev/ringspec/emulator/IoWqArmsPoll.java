package dev.ringspec.emulator;

import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLOUT;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;

/** An io-wq worker arming a poll for the request it could not issue without blocking ({@link WorkerPool}). */
final class IoWqArmsPoll {
    private IoWqArmsPoll() {
    }

    /**
     * {@code io_wq_submit_work}: the worker's try without blocking found the file not ready, and the worker itself arms
     * a poll ({@code io_arm_poll_handler}, the opcode's POLLIN or POLLOUT): nothing reaches the ring's task until the
     * file is ready, whose wakeup then submits the request again as task work ({@code io_poll_task_func}; a
     * forced-async one goes back to io-wq). On a DEFER_TASKRUN ring no task work is queued, so IORING_SQ_TASKRUN
     * stays clear until the file is ready (measured on 6.18.44: {@code WorldIoWqIssueTest}). True where armed.
     */
    static boolean arm(Readiness readiness, Req req, IssueContext ctx, OpDef def, Inflight inflight) {
        int events = def.has(OpDef.POLLIN) ? POLLIN : POLLOUT;
        events |= def.has(OpDef.POLL_EXCLUSIVE) ? EPOLLEXCLUSIVE : 0;
        inflight.remove(req);
        // (a file ready by now is the worker's to retry, IO_APOLL_READY: not a task work of the ring's task)
        Req outer = IoWqCompletions.ISSUING.get();
        IoWqCompletions.ISSUING.set(req);
        try {
            if (!readiness.arm(req, ctx, events)) {
                return false;
            }
        } finally {
            IoWqCompletions.ISSUING.set(outer);
        }
        ctx.fire(dev.ringspec.model.Rules.ARM_POLL_HANDLER, req.userData());
        return true;
    }
}
