package dev.ringspec.model;

/**
 * io-wq, the kernel's worker pool for requests that cannot complete inline ({@code io_queue_iowq}): IOSQE_ASYNC,
 * a chain left open at the end of a batch, requests the drain released, an opcode that answered -EAGAIN. The
 * model's own ({@link #TASK_WORK}) issues them through the task's task work, which is what the kernel does on a
 * DEFER_TASKRUN ring; an emulator can run them on threads of its own
 * ({@link ModelIoUring#withIoWq}) and complete them with {@link IssueContext#completeFromOtherThread}.
 */
@FunctionalInterface
public interface IoWq {

    /** Runs {@code req} (with {@link IssueContext#reissue}, or the opcode's own blocking issue) at some time. */
    void queue(Req req, IssueContext ctx);

    /**
     * The ring's task is about to post the completions of its batch ({@code __io_submit_flush_completions}), or a
     * multishot CQE with an empty batch ({@code io_req_post_cqe}): an io-wq whose workers post their CQEs
     * themselves ({@code io_req_complete_post}, on a ring without DEFER_TASKRUN or IOPOLL) may hand {@code post}
     * work that finished first, a request and what its completion does; its CQE goes before the task's. The
     * model's own io-wq has none.
     */
    default void beforeFlush(IssueContext ctx, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
    }

    /**
     * The ring's task, running its task work ({@code io_handle_tw_list}, on a ring without DEFER_TASKRUN), is about to
     * run item {@code item} of the pass (0 the first): an io-wq whose workers run concurrently with the task may hand
     * {@code post} work that an earlier item of the pass queued ({@code io_req_task_submit -> io_queue_iowq}) and that
     * finished first; its CQE goes before the task's batch, as {@link #submitting}'s. The model's own io-wq has none.
     */
    default void beforeTaskWork(IssueContext ctx, int item, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
    }

    /** Where the ring's task is in {@code io_submit_sqes}, for {@link #submitting}. */
    enum SubmitPoint {
        /** Before its first SQE. */
        BEGIN,
        /** After one SQE ({@code io_submit_sqe} returned). */
        SQE,
        /** After {@code io_submit_state_end} flushed the batch's completions and freed them. */
        END
    }

    /**
     * The ring's task reached {@code point} of a submission: an io-wq whose workers run concurrently with the task may
     * finish work queued earlier in it between two of these points. The model's own io-wq has none.
     */
    default void submitting(IssueContext ctx, SubmitPoint point) {
    }

    /**
     * {@link #submitting}, with {@code post}, which posts a worker's completion (a request and what its completion
     * does) as the kernel's worker does on a ring without DEFER_TASKRUN or IOPOLL ({@code io_req_complete_post}): in
     * a commit of its own, ahead of the completions the task's batch holds. By default {@link #submitting}.
     */
    default void submitting(IssueContext ctx, SubmitPoint point, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
        submitting(ctx, point);
    }

    /**
     * Whether {@code task} (a request's {@link Req#task}) has exited, so that its requests' task work runs in the
     * kernel's fallback kworker ({@code io_should_terminate_tw}: PF_EXITING or PF_KTHREAD): the backend that runs
     * io-wq for tasks (each task's io-wq ends at its exit, {@code io_uring_cancel_generic}) knows. The model's tasks
     * never exit.
     */
    default boolean taskExited(Object task) {
        return false;
    }

    /**
     * What an io-wq worker's completion does on the ring's task, where an io-wq hands it there
     * ({@link IssueContext#taskWorkFromOtherThread}) although on a ring without DEFER_TASKRUN or IOPOLL the kernel's
     * worker posts it itself ({@code io_req_complete_post}): the task's own run of task work may come between two such
     * completions ({@link Choice#TASK_WORK_BETWEEN_IOWQ_POSTS}).
     */
    @FunctionalInterface
    interface WorkerCompletion extends OpDef.Issue {
    }

    /** The model's io-wq: the request is issued from the task's task work (now, when that is where we are). */
    IoWq TASK_WORK = (req, ctx) -> ((IssueSqe) ctx).queueTaskWorkIssue(req);
}
