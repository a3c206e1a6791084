package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_FORCE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;

/**
 * IOSQE_IO_DRAIN: {@code ctx->drain_active}, {@code drain_next}, {@code drain_disabled}, the deferred list
 * ({@code ctx->defer_list}) and {@code nr_drained}; {@code io_init_drain}, {@code io_drain_req} and
 * {@code io_queue_deferred} (io_uring/io_uring.c, ring-semantics.md A3). A drained request waits until every
 * request before it has been freed, then is dispatched through task work.
 */
final class Drain {
    private final RuleSink rules;
    private final TaskWork taskWork;
    private final ReqCache reqs;
    private final Links links;

    private boolean drainDisabled;
    private boolean drainActive;
    private boolean drainNext;
    private Req[] deferred = new Req[16];
    private int deferredHead;
    private int deferredCount;
    private int nrDrained;

    Drain(RuleSink rules, TaskWork taskWork, ReqCache reqs, Links links) {
        this.rules = rules;
        this.taskWork = taskWork;
        this.reqs = reqs;
        this.links = links;
    }

    /** {@code ctx->drain_active}. */
    boolean active() {
        return drainActive;
    }

    /** Whether io_init_req must take its slow block for the drain ({@code |}: one test on its hot path). */
    boolean slowPath() {
        return drainActive | drainNext;
    }

    boolean disabled() {
        return drainDisabled;
    }

    /** {@code io_init_req}: CQE_SKIP_SUCCESS disables drain for good. */
    void disable() {
        if (!drainDisabled) {
            rules.fire(Rules.SKIP_SUCCESS_DISABLES_DRAIN, 0);
        }
        drainDisabled = true;
    }

    /** {@code io_init_drain}. */
    void initDrain(Req req) {
        rules.fire(Rules.INIT_DRAIN, req.userData());
        drainActive = true;
        Req head = links.head();
        if (head != null) {
            // io_init_drain: a drain member of a chain drains the chain's head, and the request after the chain
            head.addFlags(IOSQE_IO_DRAIN | REQ_F_FORCE_ASYNC);
            drainNext = true;
        }
    }

    /** {@code io_init_req}, the drain part of its slow block. */
    void initReq(Req req) {
        // io_init_req: while draining every request takes the slow (deferred) path
        if (drainActive) {
            req.addFlags(REQ_F_FORCE_ASYNC);
        }
        // io_init_req: the request after a chain with a drain member drains itself
        if (drainNext && links.head() == null) {
            rules.fire(Rules.DRAIN_NEXT, req.userData());
            drainNext = false;
            drainActive = true;
            req.addFlags(IOSQE_IO_DRAIN | REQ_F_FORCE_ASYNC);
        }
    }

    /** {@code io_drain_req}. */
    void drainReq(Req req) {
        rules.fire(Rules.DRAIN_REQ, req.userData());
        boolean drain = req.has(IOSQE_IO_DRAIN);
        int linked = 0;
        for (Req r = req; r != null; r = r.link()) {
            linked++;
        }
        nrDrained += linked;
        if (deferredCount == deferred.length) {
            deferred = ReqCache.grow(deferred, deferredHead, deferredCount);
            deferredHead = 0;
        }
        deferred[(deferredHead + deferredCount++) & (deferred.length - 1)] = req;
        queueDeferred();
        if (!drain && deferredCount == 0) {
            drainActive = false;
        }
    }

    /** {@code io_queue_deferred}: dispatch deferred requests once everything before a drain has been freed. */
    void queueDeferred() {
        boolean drainSeen = false;
        boolean first = true;
        while (deferredCount != 0) {
            Req req = deferred[deferredHead];
            drainSeen |= req.has(IOSQE_IO_DRAIN);
            if ((drainSeen || first) && reqs.allocated() != nrDrained) {
                return;
            }
            deferred[deferredHead] = null;
            deferredHead = (deferredHead + 1) & (deferred.length - 1);
            deferredCount--;
            for (Req r = req; r != null; r = r.link()) {
                nrDrained--;
            }
            // io_queue_deferred: everything before the drain is freed -> dispatched through task work
            rules.fire(Rules.QUEUE_DEFERRED, req.userData());
            taskWork.add(req, Req.TW_ISSUE);
            first = false;
        }
    }
}
