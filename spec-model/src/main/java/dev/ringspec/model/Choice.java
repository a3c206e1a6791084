package dev.ringspec.model;

import java.util.List;
import java.util.Objects;

/**
 * A point where the kernel may legitimately do either of several things, depending on timing the application does
 * not control. The model names each such point, with the outcomes the kernel allows, and asks its {@link Chooser}
 * which one happens; the default ({@link Chooser#DEFAULT}) takes {@link #defaultOutcome()}, the model's behaviour
 * before choices were named. A lockstep engine can accept any allowed outcome and say which one explains a
 * difference.
 *
 * @param name a unique name in upper snake case
 * @param kernelFunction where the kernel decides
 * @param source where the freedom is documented or read (file and function, commit, man page)
 * @param outcomes the allowed outcomes, by index; index {@link #defaultOutcome()} is the model's default
 * @param defaultOutcome the outcome the model takes when nobody chooses
 */
public record Choice(String name, String kernelFunction, String source, List<String> outcomes, int defaultOutcome) {

    public Choice {
        Objects.requireNonNull(name);
        Objects.requireNonNull(kernelFunction);
        Objects.requireNonNull(source);
        outcomes = List.copyOf(outcomes);
        if (outcomes.size() < 2 || defaultOutcome < 0 || defaultOutcome >= outcomes.size()) {
            throw new IllegalArgumentException("a choice has two or more outcomes and a default among them: " + name);
        }
    }

    /**
     * {@code __io_cqring_overflow_flush}: after moving an entry of the overflow list to the CQ ring, the kernel
     * checks {@code need_resched()}; when the scheduler wants the CPU it empties its cached CQE range
     * ({@code cqe_sentinel = cqe_cached}), publishes the tail ({@code io_cq_unlock_post}), drops the locks and
     * reschedules, so the next CQE takes a fresh refill (and, on 6.18, no stale range survives). Whether that
     * happens depends on the scheduler alone. Outcome 0: no reschedule (the model's default); 1: reschedule after
     * this entry. Source: io_uring/io_uring.c, {@code __io_cqring_overflow_flush} (6.18 and 7.1 alike).
     */
    public static final Choice OVERFLOW_FLUSH_RESCHEDULES = new Choice("OVERFLOW_FLUSH_RESCHEDULES",
            "__io_cqring_overflow_flush", "io_uring/io_uring.c __io_cqring_overflow_flush: need_resched() branch",
            List.of("continue", "reschedule"), 0);

    /** The outcome of {@link #OVERFLOW_FLUSH_RESCHEDULES} that reschedules. */
    static final int RESCHEDULE = 1;

    /**
     * {@code io_req_normal_work_add}: on a ring without DEFER_TASKRUN a request's task work goes to the list of the
     * task that submitted it ({@code req->tctx}), and that task runs it ({@code tctx_task_work}, on its way back to
     * user space, or at once where TWA_SIGNAL interrupts it). Work of a request another thread submitted therefore
     * runs on that thread, at a time of its own, not in the ring task's run: before the ring's task runs its own
     * work, or after. The model keeps one list per ring; where a run of it holds work of another task, the model
     * asks: 0 runs everything in queue order (the default), 1 the other tasks' items first, 2 after the ring task's
     * own (world lockstep seed 507: a POLL_ADD of the socket's peer submitted by another thread and woken by a WRITE,
     * its CQE before a CONNECT's or after a linked timeout's, both the submitting thread's task work, 8 of 8 runs).
     * Source: io_uring/tw.c {@code io_req_normal_work_add} (6.18: io_uring.c), {@code tctx_task_work}.
     */
    public static final Choice TASK_WORK_OF_ANOTHER_TASK = new Choice("TASK_WORK_OF_ANOTHER_TASK",
            "io_req_normal_work_add", "io_uring/io_uring.c io_req_normal_work_add (req->tctx's own list, "
                    + "task_work_add to that task) and tctx_task_work, run by that task",
            List.of("in queue order", "before the ring task's own", "after the ring task's own"), 0);

    /**
     * {@code io_req_complete_post} against {@code tctx_task_work}: on a ring without DEFER_TASKRUN or IOPOLL an io-wq
     * worker posts its request's CQE itself, under {@code completion_lock}, when it finishes; what that completion
     * queues for the task (a linked timeout's -ECANCELED: {@code io_wq_free_work} -> {@code io_req_find_next} ->
     * {@code io_disarm_next} -> {@code io_req_queue_tw_complete}, task work of {@code req->tctx}) runs when the task
     * next runs its task work, on its way back to user space: before another worker, still running, posts, or after.
     * The emulator hands each worker's completion to the task's task work ({@link IoWq}), so one run of it posts the
     * CQEs of every worker that finished by then and then, in a later pass, the work they queued. Where a worker's
     * completion in such a run has left work of the task queued and another worker's completion follows in the same
     * run, the model asks: 0 (the default) goes on; 1 the task's run comes here: the completions so far are flushed,
     * and the work queued meanwhile runs before the workers' completions that follow (world lockstep seed 448: a
     * STATX with a linked timeout, a SPLICE and an FSYNC on io-wq; the kernel posts the timeout's -ECANCELED right
     * after the STATX's CQE, before the SPLICE's and the FSYNC's, or between them). Source: io_uring/io_uring.c
     * {@code io_req_complete_post} and {@code io_wq_free_work} (6.18.38 lines 1920-1930), io_uring/timeout.c
     * {@code io_disarm_next}, {@code tctx_task_work}.
     */
    public static final Choice TASK_WORK_BETWEEN_IOWQ_POSTS = new Choice("TASK_WORK_BETWEEN_IOWQ_POSTS",
            "tctx_task_work", "io_uring/io_uring.c io_req_complete_post (the worker posts under completion_lock) and "
                    + "io_wq_free_work -> io_disarm_next -> io_req_queue_tw_complete (task work of req->tctx), "
                    + "run by the task in tctx_task_work at a time of its own",
            List.of("after the workers' completions", "before the next worker's completion"), 0);

    /** Every choice point of the model. */
    public static List<Choice> all() {
        return List.of(OVERFLOW_FLUSH_RESCHEDULES, TASK_WORK_OF_ANOTHER_TASK, TASK_WORK_BETWEEN_IOWQ_POSTS);
    }
}
