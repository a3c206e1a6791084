package dev.ringspec.lockstep;

import dev.ringspec.emulator.sys.InterruptSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The two dedicated platform threads a lockstep run is on: the run thread, where both sides take every step (a
 * SINGLE_ISSUER or DEFER_TASKRUN ring belongs to the thread that created it), and the other thread, where
 * {@link Step.OnOtherThread} steps make their syscalls.
 *
 * <p>With {@link #renewEachRun}, each run gets two new threads, so new kernel tasks: a task keeps what it had of
 * io_uring after its rings are closed (its io-wq, whose bound-worker cap the first ring it ever used decided, its
 * workers, its task work), and a run on the task of the runs before it depends on them. The old threads end first,
 * and the next run starts only once their tasks have left the process: a task's exit cancels its requests on every
 * ring it used and waits for them ({@code io_uring_cancel_generic}), then for its io-wq's workers to exit
 * ({@code io_wq_put_and_exit}); the wait is bounded by {@value #TEARDOWN_LIMIT_MILLIS} ms and measured
 * ({@link #teardown}).
 */
final class RunThreads {
    /** How long the old threads' tasks and their io-wq workers have to leave the process, at most. */
    static final int TEARDOWN_LIMIT_MILLIS = 5000;

    private ExecutorService run;
    private ExecutorService other;
    /** The native ids of the current threads. */
    private int runTid;
    private int otherTid;
    private boolean renews;
    /** Whether a run has been on the current threads. */
    private boolean used;
    private int renewals;
    private long teardownNanos;
    private long longestTeardownNanos;
    private int overLimit;

    RunThreads() {
        start();
    }

    private void start() {
        run = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("lockstep-run").daemon().factory());
        other = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("lockstep-other").daemon().factory());
        runTid = onRun(InterruptSignal::tid);
        otherTid = onOther(InterruptSignal::tid);
    }

    /** From now on each run is on threads of its own ({@link #beginRun}). */
    void renewEachRun() {
        renews = true;
    }

    /** A run is about to start: on new threads where the current ones have had one and runs are renewed. */
    void beginRun() {
        if (renews && used) {
            renew();
        }
        used = true;
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

    /**
     * Ends the current threads, waits until their tasks and the io-wq workers they made ({@code iou-wrk-<tid>}) have
     * left the process, at most {@value #TEARDOWN_LIMIT_MILLIS} ms, and starts new ones.
     */
    private void renew() {
        long start = System.nanoTime();
        long deadline = start + TEARDOWN_LIMIT_MILLIS * 1_000_000L;
        shutdown();
        try {
            run.awaitTermination(TEARDOWN_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
            other.awaitTermination(TEARDOWN_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a lockstep run's threads ended", e);
        }
        while (present(runTid, otherTid)) {
            if (System.nanoTime() - deadline > 0) {
                overLimit++;
                break;
            }
            LockSupport.parkNanos(100_000);
        }
        long took = System.nanoTime() - start;
        renewals++;
        teardownNanos += took;
        longestTeardownNanos = Math.max(longestTeardownNanos, took);
        start();
    }

    /** Whether a task of this process is one of {@code tids} or an io-wq worker of one ({@code iou-wrk-<tid>}). */
    private static boolean present(int... tids) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                } catch (IOException e) {
                    continue; // ended while listed
                }
                for (int tid : tids) {
                    if (t.getFileName().toString().equals(Integer.toString(tid)) || comm.equals("iou-wrk-" + tid)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            return false; // no /proc: nothing to wait for that can be seen
        }
    }

    /** How many times the threads were renewed, and how long their teardown took, in all and at most. */
    String teardown() {
        return String.format("%d runs on new threads: old threads gone in %.2f ms each on average, %.1f ms at most"
                + "%s", renewals, renewals == 0 ? 0.0 : teardownNanos / 1e6 / renewals, longestTeardownNanos / 1e6,
                overLimit == 0 ? "" : ", " + overLimit + " past the " + TEARDOWN_LIMIT_MILLIS + " ms limit");
    }
}
