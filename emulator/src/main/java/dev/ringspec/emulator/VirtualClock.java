package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that passes only when a test says so ({@link #advance}): timeouts and timed waits of a deterministic
 * emulator fire exactly when the clock reaches them, however slow the machine. Starts at 0.
 */
public final class VirtualClock implements Clock {
    private final AtomicLong now = new AtomicLong();
    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

    @Override
    public long nanoTime() {
        return now.get();
    }

    /** Moves the clock {@code nanos} forward (not backward) and tells every listener: timers fire, waits look. */
    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("a clock does not go back: " + nanos + " ns");
        }
        now.addAndGet(nanos);
        for (Runnable listener : listeners) {
            listener.run();
        }
    }

    /** Moves the clock to {@code nanos} if that is ahead of it (else nothing happens). */
    public void advanceTo(long nanos) {
        long now = nanoTime();
        if (nanos - now > 0) {
            advance(nanos - now);
        }
    }

    /** Runs {@code listener} after each {@link #advance}. */
    void onAdvance(Runnable listener) {
        listeners.add(listener);
    }
}
