package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import dev.ringspec.model.Waiter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The emulator's sleep in {@code io_cqring_wait}: the task blocks until work for its ring arrives from another
 * thread ({@link #wake}), its deadline passes, or the thread is interrupted (the emulator's signal: the wait ends as
 * a signal ends it). A wake before the sleep is kept as a permit, so none is lost between the wait's last look and
 * its sleep. With a virtual clock the deadline passes only when the clock is advanced ({@link #wakeAll}).
 *
 * <p>On the real clock, a task whose ring waits for armed watches polls them itself when nobody else does
 * ({@link Readiness#takePoll}): it sleeps in epoll rather than on its permit, runs what fires on its own thread,
 * and a wake from another thread kicks it out of epoll. The kernel's waiting task is woken by the file's wait queue
 * in the same way, with no second thread between them. Such a sleep looks at an interrupt every
 * {@value #POLL_SLICE_NANOS} ns at the latest.
 */
final class RingWaiter implements Waiter {
    /** How long a polling task sleeps at most before it looks at an interrupt. */
    static final long POLL_SLICE_NANOS = 20_000_000L;

    private final Clock clock;
    private final Readiness readiness;
    private final Map<Integer, Permit> permits = new ConcurrentHashMap<>();

    RingWaiter(Clock clock, Readiness readiness) {
        this.clock = clock;
        this.readiness = readiness;
    }

    private static final class Permit {
        private boolean set;
        /**
         * The tasks in {@link Object#wait} on this permit: a wake notifies only while there are some (every enter that
         * posts a CQE wakes its ring, and a notify is a call into the JVM). Counted and read under the permit's lock,
         * which a sleeper holds from its look at {@link #set} to its wait, so no wake falls between them.
         */
        private int sleepers;
        /** The task sleeping in epoll for this ring, whom a wake must kick; null when it sleeps on the permit. */
        private Thread polling;
    }

    private Permit permit(int ringFd) {
        return permits.computeIfAbsent(ringFd, fd -> new Permit());
    }

    @Override
    public boolean sleep(int ringFd, long deadlineNanos) {
        Permit p = permit(ringFd);
        if (clock == Clock.SYSTEM && readiness.takePoll()) {
            try {
                return sleepPolling(p, deadlineNanos);
            } finally {
                readiness.releasePoll();
            }
        }
        synchronized (p) {
            while (!p.set) {
                long now = clock.nanoTime();
                if (now - deadlineNanos >= 0 && deadlineNanos != NO_DEADLINE) {
                    return false;
                }
                p.sleepers++;
                try {
                    if (deadlineNanos == NO_DEADLINE || clock != Clock.SYSTEM) {
                        p.wait();
                    } else {
                        long left = deadlineNanos - now;
                        p.wait(left / 1_000_000, (int) (left % 1_000_000));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } finally {
                    p.sleepers--;
                }
            }
            p.set = false;
            return true;
        }
    }

    /** The sleep of a task that took the poll: what {@link #sleep} answers, with the task polling meanwhile. */
    private boolean sleepPolling(Permit p, long deadlineNanos) {
        Thread self = Thread.currentThread();
        try {
            while (true) {
                synchronized (p) {
                    if (p.set) {
                        p.set = false;
                        return true;
                    }
                    p.polling = self;
                }
                long left = deadlineNanos == NO_DEADLINE ? POLL_SLICE_NANOS : deadlineNanos - clock.nanoTime();
                if (left <= 0 || self.isInterrupted() || !readiness.pollAsTask(Math.min(left, POLL_SLICE_NANOS))) {
                    // the deadline, a signal, or the emulator closed; a wake that came meanwhile is kept
                    return false;
                }
            }
        } finally {
            synchronized (p) {
                p.polling = null;
            }
        }
    }

    @Override
    public void wake(int ringFd) {
        Permit p = permit(ringFd);
        Thread polling;
        synchronized (p) {
            p.set = true;
            if (p.sleepers > 0) {
                p.notifyAll();
            }
            polling = p.polling;
        }
        if (polling != null && polling != Thread.currentThread()) {
            readiness.kick();
        }
    }

    /** A task posted CQEs on the ring itself: a sleeper on it looks again, as after {@link #wake}. */
    @Override
    public void cqPosted(int ringFd) {
        wake(ringFd);
    }

    /** Every sleeper looks at its deadline again (a virtual clock moved). */
    void wakeAll() {
        for (Permit p : permits.values()) {
            synchronized (p) {
                p.notifyAll();
            }
        }
    }

    /** Ring {@code ringFd} was closed. */
    void forget(int ringFd) {
        permits.remove(ringFd);
    }
}
