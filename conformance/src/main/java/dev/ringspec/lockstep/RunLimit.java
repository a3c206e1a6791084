package dev.ringspec.lockstep;

import dev.ringspec.emulator.sys.InterruptSignal;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Stops a lockstep run that has run out of time ({@link LockstepRunner#runWithin}): a step may wait for something
 * that never comes (a shrink candidate without the world's write that fed a read: a wait, a blocking read, a
 * connect). The threads the run is on are interrupted (the emulator's waits end as a signal ends them) and sent
 * {@link InterruptSignal} again and again (a blocking system call ends with -EINTR) until each has left the step it
 * was in; the run then ends at that step, and its rings are closed as after any run.
 *
 * <p>A thread is <em>in</em> the run from {@link #call} until it leaves it; only such a thread is interrupted or
 * signalled, under this object's lock, so no later run or task on it is.
 */
final class RunLimit {
    /** How often a stopped run's threads are interrupted and signalled again (one before a blocking call is lost). */
    private static final long RESEND_NANOS = 5_000_000;
    /** How long a stopped run's threads have to leave it. */
    private static final long LEAVE_NANOS = 10_000_000_000L;

    /** The threads in the run and their native ids. */
    private final Map<Thread, Integer> inside = new HashMap<>();
    private volatile boolean stopped;

    /** A new run starts: not stopped. */
    synchronized void begin() {
        stopped = false;
    }

    /** Whether the run was told to stop: it ends at the step it is in. */
    boolean stopped() {
        return stopped;
    }

    /** Runs {@code work} on the calling thread as part of the run: a stop interrupts and signals it meanwhile. */
    <T> T call(Callable<T> work) throws Exception {
        Thread self = Thread.currentThread();
        synchronized (this) {
            inside.put(self, InterruptSignal.tid());
        }
        try {
            return work.call();
        } finally {
            synchronized (this) {
                inside.remove(self);
            }
            Thread.interrupted(); // an interrupt meant for this run stays with it
        }
    }

    /**
     * The run's result, waited for at most {@code limit}; past it the run is stopped ({@link #stop}) and what it
     * returned then, null where the stop broke it off.
     */
    <T> T await(Future<T> run, Duration limit) {
        try {
            run.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            stop();
        } catch (InterruptedException e) {
            stop(); // the caller gives up: so does the run, and get says why
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // get says it
        }
        return get(run, "the run thread");
    }

    /** What {@code f} returned: its failure as an {@link IllegalStateException} naming {@code thread}. */
    static <T> T get(Future<T> f, String thread) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + thread, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("lockstep step on " + thread + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Stops the run: interrupts and signals its threads until none is in it, or throws an
     * {@link IllegalStateException} after {@value #LEAVE_NANOS} ns (a thread that no signal gets out of a call).
     */
    void stop() {
        InterruptSignal.check("stop a lockstep run at its time limit");
        stopped = true;
        long deadline = System.nanoTime() + LEAVE_NANOS;
        while (true) {
            synchronized (this) {
                if (inside.isEmpty()) {
                    return;
                }
                for (Map.Entry<Thread, Integer> t : inside.entrySet()) {
                    t.getKey().interrupt();
                    InterruptSignal.send(t.getValue());
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("a lockstep run stopped at its time limit did not end: "
                        + inside.keySet() + " still in it");
            }
            LockSupport.parkNanos(RESEND_NANOS);
        }
    }
}
