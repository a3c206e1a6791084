package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deadlines on the emulator's {@link Clock}: an action runs (on a timer thread, or on the thread that advances a
 * {@link VirtualClock}) once the clock reaches its deadline, unless cancelled first. Timeouts, linked timeouts and
 * timed multishot requests use it.
 */
public final class Timers implements AutoCloseable {
    private final Clock clock;
    private final ScheduledThreadPoolExecutor real;
    private final PriorityQueue<Timer> virtual = new PriorityQueue<>();
    private final AtomicLong sequence = new AtomicLong();
    /** The housekeeping not yet run ({@link #housekeepingAfter}), which {@link #close} finishes. */
    private final Set<Timer> housekeeping = ConcurrentHashMap.newKeySet();
    /** The releases of the timers {@link #after(long, Runnable, Runnable)} made that have not fired. */
    private final java.util.Map<Object, Runnable> releases = new ConcurrentHashMap<>();

    Timers(Clock clock) {
        this(clock, false);
    }

    /**
     * Timers on {@code clock}; {@code queued}: no timer thread even on the real clock, the deterministic
     * scheduler fires what is due ({@link #fireDue}) at its own points.
     */
    Timers(Clock clock, boolean queued) {
        this.clock = clock;
        if (clock instanceof VirtualClock v) {
            this.real = null;
            v.onAdvance(this::fireDue);
        } else if (queued) {
            this.real = null;
        } else {
            this.real = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "ringspec-emulator-timers");
                t.setDaemon(true);
                return t;
            });
            this.real.setRemoveOnCancelPolicy(true);
        }
    }

    /** A scheduled action. */
    public static final class Timer implements Comparable<Timer> {
        private final long deadline;
        private final long order;
        private final Runnable action;
        /** Whether it is the kernel's housekeeping ({@link #housekeepingAfter}) rather than an io_uring timer. */
        private final boolean housekeeping;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile java.util.concurrent.ScheduledFuture<?> future;
        private final Timers owner;

        private Timer(Timers owner, long deadline, long order, Runnable action, boolean housekeeping) {
            this.owner = owner;
            this.deadline = deadline;
            this.order = order;
            this.action = action;
            this.housekeeping = housekeeping;
        }

        /** Stops the action if it has not started; true if this call stopped it. */
        public boolean cancel() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            if (housekeeping) {
                owner.housekeeping.remove(this);
            }
            java.util.concurrent.ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            return true;
        }

        private void fire() {
            if (done.compareAndSet(false, true)) {
                if (housekeeping) {
                    owner.housekeeping.remove(this);
                }
                action.run();
            }
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    /** Runs {@code action} once the clock reaches {@code deadlineNanos}. */
    public Timer at(long deadlineNanos, Runnable action) {
        return at(deadlineNanos, action, false);
    }

    /**
     * Runs {@code action}, work the kernel does on its own time (a closed ring's exit work), {@code nanos} from now.
     * It fires as a timer does, but a call is never asked whether it fired before the call
     * ({@link #nextTimeoutDeadline}): that choice stays about io_uring's own timers.
     */
    Timer housekeepingAfter(long nanos, Runnable action) {
        return at(clock.nanoTime() + nanos, action, true);
    }

    private Timer at(long deadlineNanos, Runnable action, boolean housekeeping) {
        Timer t = new Timer(this, deadlineNanos, sequence.getAndIncrement(), action, housekeeping);
        if (housekeeping) {
            this.housekeeping.add(t);
        }
        if (real != null) {
            long delay = Math.max(0, deadlineNanos - clock.nanoTime());
            t.future = real.schedule(t::fire, delay, TimeUnit.NANOSECONDS);
        } else {
            synchronized (virtual) {
                virtual.add(t);
            }
            fireDue();
        }
        return t;
    }

    /** Runs {@code action} {@code nanos} from now. */
    public Timer after(long nanos, Runnable action) {
        return at(clock.nanoTime() + nanos, action);
    }

    /**
     * Runs {@code action} {@code nanos} from now; where the timers end before it fires, {@link #close} runs
     * {@code release} instead, which lets go of what the action holds (a descriptor it would close).
     */
    public Timer after(long nanos, Runnable action, Runnable release) {
        Object key = new Object();
        releases.put(key, release);
        return after(nanos, () -> {
            if (releases.remove(key) != null) {
                action.run();
            }
        });
    }

    /** The earliest deadline still to fire ({@code Long.MAX_VALUE} for none); the real clock's timers are not here. */
    long nextDeadline() {
        synchronized (virtual) {
            // a cancelled timer never fires: it does not count, and leaves the queue here
            while (!virtual.isEmpty() && virtual.peek().done.get()) {
                virtual.poll();
            }
            Timer t = virtual.peek();
            return t == null ? Long.MAX_VALUE : t.deadline;
        }
    }

    /** {@link #nextDeadline} of the timers that are not housekeeping. */
    long nextTimeoutDeadline() {
        synchronized (virtual) {
            Timer first = null;
            for (Timer t : virtual) {
                if (!t.housekeeping && !t.done.get() && (first == null || t.compareTo(first) < 0)) {
                    first = t;
                }
            }
            return first == null ? Long.MAX_VALUE : first.deadline;
        }
    }

    /** Runs every queued action whose deadline the clock has reached, earliest first. */
    void fireDue() {
        while (true) {
            Timer t;
            synchronized (virtual) {
                t = virtual.peek();
                if (t == null || t.deadline - clock.nanoTime() > 0) {
                    return;
                }
                virtual.poll();
            }
            t.fire();
        }
    }


    /**
     * Ends the timers. io_uring's own go with the rings they belong to; the kernel's housekeeping (a closed ring's
     * exit work, which releases its file table) still runs, now: in the kernel it finishes whatever the application
     * does next, and an emulator closed before its clock reached it left the table's duplicates open for the rest of
     * the process (a lockstep run's choice search closes a rebuilt reference after each trial: 458 pipes and 426
     * sockets in two seeds of a world lockstep run of seeds 1 to 300).
     */
    @Override
    public void close() {
        if (real != null) {
            real.shutdownNow();
        }
        for (Timer t : List.copyOf(housekeeping)) {
            t.fire();
        }
        for (Object key : List.copyOf(releases.keySet())) {
            Runnable release = releases.remove(key);
            if (release != null) {
                release.run();
            }
        }
    }
}
