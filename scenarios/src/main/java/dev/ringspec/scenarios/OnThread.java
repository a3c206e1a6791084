package dev.ringspec.scenarios;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * Runs a call on another platform thread, which is another kernel task: thread-bound rings (SINGLE_ISSUER,
 * DEFER_TASKRUN) must answer it as a stranger. Never a virtual thread (STYLE "FFM").
 */
final class OnThread {
    private OnThread() {
    }

    static int call(IntSupplier call) {
        return calls(call)[0];
    }

    /** Runs the calls one after another on one new platform thread (one task); returns their results. */
    static int[] calls(IntSupplier... calls) {
        AtomicReference<int[]> result = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("ringspec-other-task").start(() -> {
            try {
                int[] results = new int[calls.length];
                for (int i = 0; i < calls.length; i++) {
                    results[i] = calls[i].getAsInt();
                }
                result.set(results);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the other thread", e);
        }
        if (thrown.get() != null) {
            throw new AssertionError("the call on the other thread threw", thrown.get());
        }
        return result.get();
    }
}
