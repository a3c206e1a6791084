package dev.ringspec.emulator;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.uapi.Errno;
import java.util.Objects;

/**
 * One opcode the emulator implements: its opcode table entry ({@link OpDef}, whose prep and issue run on the ring's
 * task and must not block) and what an io-wq worker does with it ({@link Blocking}), where the kernel's io-wq would
 * issue it with blocking allowed (IOSQE_ASYNC, a regular file that is not ready, a request the drain released).
 *
 * @param def the entry the model's io_init_req, issue and completion paths use
 * @param blocking the io-wq form, or null: io-wq then issues the request again on the ring's task
 */
public record EmuOp(OpDef def, Blocking blocking) {

    /**
     * The issue of an io-wq worker: may block; sets the result with {@link IssueContext#setRes} and answers
     * {@link OpDef#COMPLETE} or a {@code -errno} that fails the request. It runs on a worker thread: it may touch
     * the request and the real world, never the ring (the result is handed to the ring's task).
     */
    @FunctionalInterface
    public interface Blocking {
        int issue(Req req, IssueContext ctx);

        /**
         * Whether {@link #issue} would return now rather than wait for the outside world (a pipe read from while it
         * is empty, written to while it is full). The deterministic mode, which runs io-wq work on the ring's task,
         * runs only such work: the rest waits as a kernel's worker blocked in the call does, taken and running
         * (a cancellation answers -EALREADY), until the world acts or it is {@link #interrupted}.
         */
        default boolean ready(Req req, IssueContext ctx) {
            return true;
        }

        /**
         * The result of the call when a signal ends its wait ({@code io_wq_worker_cancel}, the task's exit), as
         * {@link #issue} sets it: a blocking call ends -EINTR, and the request fails.
         */
        default int interrupted(Req req, IssueContext ctx) {
            ctx.reqSetFail(req);
            ctx.setRes(req, -Errno.EINTR, 0);
            return OpDef.COMPLETE;
        }
    }

    /**
     * The io-wq form of an opcode whose worker issues it as the ring's task would: {@code io_wq_submit_work} issues a
     * forced-async request (REQ_F_FORCE_ASYNC: IOSQE_ASYNC, a drain) of an opcode that polls, on a file that can,
     * with IO_URING_F_NONBLOCK on the worker, which moves the bytes there and then, and arms a poll from the worker
     * on -EAGAIN ({@code io_arm_poll_handler}); an opcode that does not poll and never blocks (SHUTDOWN) acts on the
     * worker too. {@code nonblocking} is the opcode's own issue (it must not block), made when the worker runs; only
     * the completion waits for the ring's task. Used only where io-wq work runs on the ring's task (the
     * deterministic mode), and for an opcode that polls only on a file that can; worker threads, which must not
     * touch the ring, hand such a request to the ring's task to issue, as for an opcode without a blocking form.
     * {@code onWorker} says which requests it issues: the rest go to the ring's task the same way (a multishot
     * ACCEPT, whose worker only arms the poll, and whose wakeups issue it from task work).
     */
    public record WorkersTry(OpDef.Issue nonblocking, java.util.function.Predicate<Req> onWorker) implements Blocking {
        public WorkersTry {
            Objects.requireNonNull(nonblocking, "nonblocking");
            Objects.requireNonNull(onWorker, "onWorker");
        }

        /** A worker's try for every request of the opcode. */
        public WorkersTry(OpDef.Issue nonblocking) {
            this(nonblocking, req -> true);
        }

        @Override
        public int issue(Req req, IssueContext ctx) {
            return nonblocking.issue(req, ctx);
        }
    }

    /**
     * What a {@link Blocking} answers when the blocking part is done and the rest must happen on the ring's task
     * (installing a direct descriptor touches the ring): the request is issued again there, and its issue finds
     * what the worker left in its state.
     */
    public static final int REISSUE_ON_TASK = -530;

    /** Whether the {@link Blocking} work the calling thread runs runs on the ring's task ({@link #onTheRingsTask}). */
    static final ThreadLocal<Boolean> ON_THE_RINGS_TASK = ThreadLocal.withInitial(() -> false);

    /**
     * Whether the {@link Blocking} work the calling thread runs now runs on the ring's task, as the deterministic
     * mode runs io-wq work (no worker threads, {@link WorkerPool}): it may then touch the ring as the kernel's worker
     * does under uring_lock ({@code io_ring_submit_lock}), such as installing a direct descriptor.
     */
    public static boolean onTheRingsTask() {
        return ON_THE_RINGS_TASK.get();
    }

    public EmuOp {
        Objects.requireNonNull(def, "def");
    }

    /** An opcode whose io-wq form is its ring-task issue again. */
    public static EmuOp of(OpDef def) {
        return new EmuOp(def, null);
    }
}
