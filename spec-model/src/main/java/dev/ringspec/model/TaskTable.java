package dev.ringspec.model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The task each thread runs as now ({@code current->io_uring}'s task, by the model's task key), for
 * {@link ModelIoUring}: a fork or a fresh task replaces it. Every submitting enter asks for the calling thread's
 * task; the answer is kept for the next question with the same key object (a host asks with one key object for
 * all of a program thread's calls, and a JVM thread is its own key), which then costs no map lookup.
 */
final class TaskTable {
    private final Map<Object, IoUringTask> tasks = new ConcurrentHashMap<>();
    private final Supplier<IoUringTask> fresh;
    /** How many times a task was replaced ({@link #set}). */
    private final AtomicInteger replaced = new AtomicInteger();
    /** What {@link #current} found last. */
    private volatile Last last;

    /**
     * The task {@link #current} found for {@code key} (compared by identity), and {@link #replaced} as it was before
     * it looked: good while no task was replaced since.
     */
    private record Last(Object key, IoUringTask task, int replaced) {
    }

    /** {@code fresh}: a new task that inherits nothing, for a key's first question. */
    TaskTable(Supplier<IoUringTask> fresh) {
        this.fresh = fresh;
    }

    /** {@code key}'s task: on its first question a new one. */
    IoUringTask current(Object key) {
        // read before the lookup: a replacement the lookup may have missed moves it
        int now = replaced.get();
        Last l = last;
        if (l != null && l.key() == key && l.replaced() == now) {
            return l.task();
        }
        IoUringTask task = tasks.get(key);
        if (task == null) {
            task = tasks.computeIfAbsent(key, k -> fresh.get());
        }
        last = new Last(key, task, now);
        return task;
    }

    /** {@code key}'s task is {@code task} from now on. */
    void set(Object key, IoUringTask task) {
        tasks.put(key, task);
        // after the put: a lookup that began before it, and may have found the old task, is not kept
        replaced.incrementAndGet();
    }
}
