package dev.ringspec.model;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The ring's request cache ({@code io_alloc_req}, {@code io_req_add_to_cache}) and {@code ctx->nr_req_allocated}
 * once the caches are freed: the count of requests not yet freed, which the drain waits on. Requests are reused,
 * so the hot path allocates nothing once the pool has grown to the workload.
 */
final class ReqCache {
    private Req[] pool = new Req[64];
    private int poolCount;
    private int nrReqAllocated;
    private final ModelIoUring kernel;
    /** Requests whose file reference {@link ProcessDescriptorTable#hold} took, until they are freed. */
    private final Set<Req> holding = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    ReqCache(ModelIoUring kernel) {
        this.kernel = kernel;
    }

    Req alloc() {
        nrReqAllocated++;
        if (poolCount == 0) {
            return new Req();
        }
        Req req = pool[--poolCount];
        pool[poolCount] = null;
        return req;
    }

    void free(Req req) {
        nrReqAllocated--;
        if (req.opState() instanceof ColdDef cold) {
            // io_clean_op: def->cleanup of a request with REQ_F_NEED_CLEANUP
            cold.cleanup(req);
        }
        if (req.file() >= 0) {
            // io_put_file: the request's reference to its process descriptor's file
            kernel.descriptorTable().put(req.file());
            req.file(-1);
            holding.remove(req);
        }
        req.reset();
        if (poolCount == pool.length) {
            Req[] bigger = new Req[pool.length * 2];
            System.arraycopy(pool, 0, bigger, 0, poolCount);
            pool = bigger;
        }
        pool[poolCount++] = req;
    }

    /** {@code req}'s reference now holds its file ({@link IssueContext#holdFile}): given back when it is freed. */
    void holding(Req req) {
        holding.add(req);
    }

    /**
     * The ring is gone: the file references of its requests that were never freed (a poll's, a request whose task
     * work the closed ring will not run) are given back, as the kernel's exit work frees every request. A call
     * still running on io-wq keeps its file until it returns (a file lives while a syscall uses it).
     */
    void releaseHeldFiles() {
        Req[] left;
        synchronized (holding) {
            left = holding.toArray(new Req[0]);
            holding.clear();
        }
        for (Req req : left) {
            int reference = req.file();
            if (reference >= 0) {
                req.file(-1);
                kernel.descriptorTable().put(reference);
            }
        }
    }

    /** Requests allocated and not yet freed. */
    int allocated() {
        return nrReqAllocated;
    }

    /** A FIFO of requests in a power-of-two array, {@code count} of them from {@code head}, in a doubled one. */
    static Req[] grow(Req[] ring, int head, int count) {
        Req[] bigger = new Req[ring.length * 2];
        for (int k = 0; k < count; k++) {
            bigger[k] = ring[(head + k) & (ring.length - 1)];
        }
        return bigger;
    }
}
