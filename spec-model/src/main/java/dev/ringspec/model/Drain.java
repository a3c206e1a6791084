package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_FORCE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;

/**
 * IOSQE_IO_DRAIN: {@code ctx->drain_active}, {@code drain_next}, {@code drain_disabled}, the deferred list
 * ({@code ctx->defer_list}) and {@code nr_drained}; {@code io_init_drain}, {@code io_drain_req} and
 * {@code io_queue_deferred} (io_uring/io_uring.c, ring-semantics.md A3). A drained request waits until every
 * request before it has been freed, then is dispatched through task work.
 *
 * <p>6.1 and 6.12 drain by sequence instead ({@link KernelProfile#drainBySequence()}, {@link Rules#DRAIN_BY_SEQUENCE}):
 * each deferred entry keeps {@code seq}, the cached SQ head before its chain, and waits until
 * {@code seq + cq_extra == cached_cq_tail}; {@code io_queue_deferred} runs after every CQ commit while draining
 * ({@code io_commit_cqring_flush}), and a drain with nothing to wait for ends the draining at once. Where the kernel
 * stalls for good (the tail passed {@code seq + cq_extra}, {@link Rules#DRAIN_SEQUENCE_PASSED}; catalogue entry
 * drain-stalls-when-the-cq-tail-passes-its-sequence), the model follows the intent instead: the drain runs once every
 * request before it has completed and been freed.
 */
final class Drain {
    private final RuleSink rules;
    private final TaskWork taskWork;
    private final ReqCache reqs;
    private final Links links;
    private final boolean bySequence;
    private final SqRing sq;
    private final CqeCache cq;

    private boolean drainDisabled;
    private boolean drainActive;
    private boolean drainNext;
    private Req[] deferred = new Req[16];
    /** By sequence: each deferred entry's {@code de->seq}. */
    private int[] deferredSeq;
    private int deferredHead;
    private int deferredCount;
    private int nrDrained;
    /** By sequence: the head's sequence was passed and it waits for the requests before it (the intent). */
    private boolean headPassed;

    Drain(KernelProfile profile, RuleSink rules, TaskWork taskWork, ReqCache reqs, Links links, SqRing sq,
            CqeCache cq) {
        this.rules = rules;
        this.taskWork = taskWork;
        this.reqs = reqs;
        this.links = links;
        this.bySequence = profile.drainBySequence();
        this.sq = sq;
        this.cq = cq;
        if (bySequence) {
            deferredSeq = new int[deferred.length];
            // io_commit_cqring_flush: while draining, every CQ commit looks at the deferred list
            cq.onCommit(this::commitFlush);
        }
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
        if (!bySequence) {
            rules.fire(Rules.DRAIN_WAITS_FOR_FREED_REQUESTS, req.userData());
        }
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
        if (bySequence) {
            drainReqBySequence(req);
            return;
        }
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
        if (bySequence) {
            queueDeferredBySequence();
            return;
        }
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

    /** {@code io_drain_req} of 6.1 and 6.12: nothing to wait for and nobody waiting ends the draining. */
    private void drainReqBySequence(Req req) {
        // io_get_sequence: the cached SQ head before the request's chain
        int seq = sq.cachedSqHead();
        for (Req r = req; r != null; r = r.link()) {
            seq--;
        }
        if (deferredCount == 0 && !needDefer(req, seq)) {
            drainActive = false;
            taskWork.add(req, Req.TW_ISSUE);
            return;
        }
        if (deferredCount == deferred.length) {
            int[] seqs = new int[deferred.length * 2];
            for (int i = 0; i < deferredCount; i++) {
                seqs[i] = deferredSeq[(deferredHead + i) & (deferred.length - 1)];
            }
            deferredSeq = seqs;
            deferred = ReqCache.grow(deferred, deferredHead, deferredCount);
            deferredHead = 0;
        }
        int slot = (deferredHead + deferredCount++) & (deferred.length - 1);
        deferred[slot] = req;
        deferredSeq[slot] = seq;
        if (headPassed && deferredCount > 1) {
            // intent: a head whose sequence was passed waits for the requests before it; this chain, built after
            // it, counted as one of them until now
            queueDeferredBySequence();
        }
    }

    /** {@code io_queue_deferred} of 6.1 and 6.12: in order, until an entry still needs to wait. */
    private void queueDeferredBySequence() {
        while (deferredCount != 0) {
            Req req = deferred[deferredHead];
            if (needDefer(req, deferredSeq[deferredHead])) {
                return;
            }
            headPassed = false;
            deferred[deferredHead] = null;
            deferredHead = (deferredHead + 1) & (deferred.length - 1);
            deferredCount--;
            rules.fire(Rules.QUEUE_DEFERRED, req.userData());
            taskWork.add(req, Req.TW_ISSUE);
        }
    }

    /**
     * {@code req_need_defer}: a drained request waits while the CQEs posted differ from the SQEs before it;
     * {@code cq_extra} is minus the SQEs dropped ({@code io_get_sqe}), no NOP posts an extra CQE.
     */
    private boolean needDefer(Req req, int seq) {
        if (!req.has(IOSQE_IO_DRAIN)) {
            return false;
        }
        rules.fire(Rules.DRAIN_BY_SEQUENCE, req.userData());
        int cqExtra = -sq.droppedSqes();
        if (cq.cachedCqTail() - (seq + cqExtra) > 0) {
            // the tail only grows and cq_extra only shrinks: the kernel's drain never matches again and stalls for
            // good. The intent (io_uring_enter(2), IOSQE_IO_DRAIN): it runs once the requests before it completed.
            rules.fire(Rules.DRAIN_SEQUENCE_PASSED, req.userData());
            headPassed = !earlierRequestsFreed(req);
            return headPassed;
        }
        return seq + cqExtra != cq.cachedCqTail();
    }

    /**
     * Whether every request allocated is {@code drained} or after it on the deferred list, or {@code drained}'s own
     * chain not yet on the list: then every request submitted before it has been freed. Requests after a drain are
     * deferred while it waits (failed ones are freed at once, a chain still being built joins the list when it
     * closes, which looks again), so what else is allocated came before it.
     */
    private boolean earlierRequestsFreed(Req drained) {
        int waiting = 0;
        boolean listed = false;
        for (int i = 0; i < deferredCount; i++) {
            Req r = deferred[(deferredHead + i) & (deferred.length - 1)];
            listed |= r == drained;
            for (; r != null; r = r.link()) {
                waiting++;
            }
        }
        if (!listed) {
            for (Req r = drained; r != null; r = r.link()) {
                waiting++;
            }
        }
        return reqs.allocated() == waiting;
    }

    /** {@code io_commit_cqring_flush}: the drain part, after each CQ commit. */
    private void commitFlush() {
        if (drainActive) {
            queueDeferredBySequence();
        }
    }
}
