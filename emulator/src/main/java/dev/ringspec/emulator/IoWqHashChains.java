package dev.ringspec.emulator;

import dev.ringspec.emulator.ops.IoWqHash;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The worker threads' hashed work ({@link IoWqHash}): for each hash a worker is running, the items of that hash
 * queued after the one it runs, in queue order; it takes them in turn (io-wq.c {@code io_get_next_work} cuts the
 * hash's run from the list, {@code io_worker_handle_work} works it). The deterministic mode keeps its own order
 * among pending work ({@link WorkerPool}) and does not use this.
 */
final class IoWqHashChains {
    /**
     * A hashed item's key ({@link IoWqHash}): the hash map of its task's io-wq and its inode. io-wq serializes the
     * items of one inode whose io-wqs share a hash map (a hash's bit in {@code hash->map} is set while any of them
     * runs one); items of io-wqs with different maps run at once (io-wq.c {@code io_get_next_work}).
     */
    record Key(Object map, IoWqHash.Inode inode) {
    }

    private final Executor workers;
    /** For each hash a worker runs, the items queued behind the one it runs. Guarded by itself. */
    private final Map<Key, ArrayDeque<Runnable>> hashed = new HashMap<>();

    /** Chains whose workers are started on {@code workers}. */
    IoWqHashChains(Executor workers) {
        this.workers = workers;
    }

    /**
     * Runs {@code item}, hashed work, on a worker thread after the items of the same hash queued before it: a worker
     * already runs that hash (its bit in {@code hash->map} is set) and takes {@code item} after them, or a new one
     * starts with it and goes on with those queued while it runs ({@code io_worker_handle_work}).
     */
    void run(Key hash, Runnable item) {
        synchronized (hashed) {
            ArrayDeque<Runnable> queued = hashed.get(hash);
            if (queued != null) {
                queued.add(item);
                return;
            }
            hashed.put(hash, new ArrayDeque<>());
        }
        workers.execute(() -> work(hash, item));
    }

    /** A worker's run of one hash: {@code first}, then the items of that hash queued meanwhile, in turn. */
    private void work(Key hash, Runnable first) {
        Runnable next = first;
        while (next != null) {
            boolean done = false;
            try {
                next.run();
                done = true;
            } finally {
                Runnable after;
                synchronized (hashed) {
                    after = hashed.get(hash).poll();
                    if (after == null) {
                        hashed.remove(hash);
                    }
                }
                if (!done && after != null) {
                    workers.execute(() -> work(hash, after)); // this item threw: another worker goes on
                }
                next = after;
            }
        }
    }
}
