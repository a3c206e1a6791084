package dev.ringspec.emulator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The exit of a thread that has a request on a ring's own descriptor ({@code do_exit}: {@code io_uring_files_cancel},
 * for every thread's exit, not only a process's; {@link TaskCancel}). Where the emulator's task key is the submitting
 * platform {@link Thread} (its default), a virtual thread waits for that thread to end, then cancels its matching
 * requests: a moment after the end, where the kernel cancels during it. A virtual thread's end is no thread exit to
 * the kernel (its carrier lives on), and other task keys (a served program's threads) have their own watcher.
 */
final class ThreadExitCancel {
    private final Set<Thread> watched = ConcurrentHashMap.newKeySet();
    private final ToIntFunction<Object> cancel;

    /** {@code cancel} cancels an exited task's matching requests (answers how many). */
    ThreadExitCancel(ToIntFunction<Object> cancel) {
        this.cancel = cancel;
    }

    /** {@code task} has a request that its exit cancels: its end is watched, once. */
    void watch(Object task) {
        if (!(task instanceof Thread t) || t.isVirtual() || !watched.add(t)) {
            return;
        }
        Thread.ofVirtual().name("ringspec-thread-exit-" + t.threadId()).start(() -> {
            try {
                t.join();
            } catch (InterruptedException stopped) {
                return;
            }
            watched.remove(t);
            cancel.applyAsInt(t);
        });
    }
}
