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
 */
final class RingWaiter implements Waiter {
    private final Clock clock;
    private final Map<Integer, Permit> permits = new ConcurrentHashMap<>();

    RingWaiter(Clock clock) {
        this.clock = clock;
    }

    private static final class Permit {
        private boolean set;
    }

    private Permit permit(int ringFd) {
        return permits.computeIfAbsent(ringFd, fd -> new Permit());
    }

    @Override
    public boolean sleep(int ringFd, long deadlineNanos) {
        Permit p = permit(ringFd);
        synchronized (p) {
            while (!p.set) {
                long now = clock.nanoTime();
                if (now - deadlineNanos >= 0 && deadlineNanos != NO_DEADLINE) {
                    return false;
                }
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
                }
            }
            p.set = false;
            return true;
        }
    }

    @Override
    public void wake(int ringFd) {
        Permit p = permit(ringFd);
        synchronized (p) {
            p.set = true;
            p.notifyAll();
        }
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
