package dev.ringspec.lockstep;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The two dedicated platform threads a lockstep run is on: the run thread, where both sides take every step (a
 * SINGLE_ISSUER or DEFER_TASKRUN ring belongs to the thread that created it), and the other thread, where
 * {@link Step.OnOtherThread} steps make their syscalls.
 */
final class RunThreads {
    private final ExecutorService run;
    private final ExecutorService other;

    RunThreads() {
        run = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("lockstep-run").daemon().factory());
        other = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("lockstep-other").daemon().factory());
    }

    /** Starts {@code work} on the run thread. */
    <T> Future<T> submit(Callable<T> work) {
        return run.submit(work);
    }

    /** Runs {@code work} on the run thread and waits for it. */
    <T> T onRun(Callable<T> work) {
        return RunLimit.get(run.submit(work), "the run thread");
    }

    /** Runs {@code work} on the other thread and waits for it. */
    <T> T onOther(Callable<T> work) {
        return RunLimit.get(other.submit(work), "the other thread");
    }

    /** Lets the threads end once their work is done. */
    void shutdown() {
        run.shutdown();
        other.shutdown();
    }
}
