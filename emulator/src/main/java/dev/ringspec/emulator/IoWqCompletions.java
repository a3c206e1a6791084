package dev.ringspec.emulator;

/**
 * A ring's count of io-wq requests handed back to it since it was last asked ({@code ctx.ringLocal}): what lets an
 * ASYNC eventfd ({@code io_eventfd_trigger}: io-wq's completions only) tell io-wq's completions from inline ones,
 * since the emulator posts both on the ring's task. Touched on the ring's task only.
 */
public final class IoWqCompletions {
    /** How the names of io-wq's worker threads begin. */
    static final String WORKER_NAME = "ringspec-emulator-iowq-";

    private int count;

    /** {@code io_wq_current_is_worker}: whether this thread is one of io-wq's workers. */
    public static boolean currentIsWorker() {
        return Thread.currentThread().getName().startsWith(WORKER_NAME);
    }

    /** An io-wq request's completion reached the ring. */
    void completed() {
        count++;
    }

    /** How many completed since the last call. */
    public int take() {
        int n = count;
        count = 0;
        return n;
    }
}
