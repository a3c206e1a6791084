package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;

import dev.ringspec.model.Req;

/**
 * A ring's count of io-wq requests handed back to it since it was last asked ({@code ctx.ringLocal}): what lets an
 * ASYNC eventfd ({@code io_eventfd_trigger}: io-wq's completions only) tell io-wq's completions from inline ones,
 * since the emulator posts both on the ring's task. Touched on the ring's task only.
 */
public final class IoWqCompletions {
    /** How the names of io-wq's worker threads begin. */
    static final String WORKER_NAME = "ringspec-emulator-iowq-";

    /** The request the calling thread issues again for io-wq on the ring's task ({@link WorkerPool}), or null. */
    static final ThreadLocal<Req> ISSUING = new ThreadLocal<>();

    private int count;
    /** The requests of {@link #count}, in the order they were handed back (their flags read at the commit). */
    private final java.util.ArrayList<Req> requests = new java.util.ArrayList<>();

    /**
     * Whether the calling thread hands an io-wq worker's completion to the ring's task now: the deterministic mode
     * runs the worker's body on the ring's task ({@link WorkerPool#asWorker}).
     */
    private static final ThreadLocal<Boolean> HANDING_OVER = ThreadLocal.withInitial(() -> false);

    /** {@code io_wq_current_is_worker}: whether this thread is one of io-wq's workers. */
    public static boolean currentIsWorker() {
        return Thread.currentThread().getName().startsWith(WORKER_NAME);
    }

    /**
     * {@code io_wq_current_is_worker} where an io-wq completion queues its task work ({@code io_req_complete_post}
     * on the worker -> {@code io_req_task_work_add}): on a worker, or where the deterministic mode hands a worker's
     * completion over on the ring's task.
     */
    public static boolean queuesForWorker() {
        return currentIsWorker() || HANDING_OVER.get();
    }

    /** Runs {@code handOver}, a worker's completion reaching the ring's task, as the worker's. */
    static void asWorker(Runnable handOver) {
        boolean outer = HANDING_OVER.get();
        HANDING_OVER.set(true);
        try {
            handOver.run();
        } finally {
            HANDING_OVER.set(outer);
        }
    }

    /**
     * Whether the calling thread issues {@code req} as io-wq does: on a worker, or as io-wq's try without blocking
     * that the emulator makes on the ring's task (a pollable file, and the deterministic mode's io-wq), which stands
     * for the worker's {@code io_issue_sqe}: what the issue queues as task work is the worker's, one hop from it.
     */
    public static boolean issuesForIoWq(Req req) {
        return currentIsWorker() || ISSUING.get() == req;
    }

    /** The io-wq request {@code req}'s completion reached the ring. */
    void completed(Req req) {
        count++;
        requests.add(req);
    }

    /** How many completed since the last call. */
    public int take() {
        int n = count;
        count = 0;
        requests.clear();
        return n;
    }

    /**
     * How many completed since the last call, and of them how many post a CQE now: all but a CQE_SKIP_SUCCESS
     * request that succeeded ({@code REQ_F_CQE_SKIP}, which a failure clears). Asked at a commit, before the batch's
     * requests are freed.
     */
    public Taken takePosting() {
        int posting = 0;
        for (Req req : requests) {
            if ((req.flags() & IOSQE_CQE_SKIP_SUCCESS) == 0) {
                posting++;
            }
        }
        Taken t = new Taken(count, posting);
        take();
        return t;
    }

    /** {@link #takePosting}'s answer: io-wq completions, and those of them that post a CQE. */
    public record Taken(int completed, int posting) {
    }
}
