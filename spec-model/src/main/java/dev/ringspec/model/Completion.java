package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_FAIL;
import static dev.ringspec.model.Req.REQ_F_LINK_FLAGS;
import static dev.ringspec.model.Req.REQ_F_SKIP_LINK_CQES;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;

import java.util.Set;

/**
 * Completing requests: the batch of inline completions ({@code submit_state.compl_reqs}, {@code
 * io_req_complete_defer}), failing ({@code req_set_fail}, {@code io_req_defer_failed}, {@code
 * io_req_tw_fail_links}), and {@code __io_submit_flush_completions}, which posts the batch's CQEs in order
 * ({@code io_fill_cqe_req}: a slot from the {@link CqeCache} or the {@link OverflowList}), commits the tail, and
 * frees the requests, which queues successors ({@link Links}) and releases drained requests ({@link Drain})
 * (io_uring/io_uring.c; ring-semantics.md A2, A3).
 */
final class Completion {
    private final RuleSink rules;
    private final CqeCache cq;
    private final OverflowList overflow;
    private final Links links;
    private final Drain drain;
    private final ReqCache reqs;
    private final TaskWork taskWork;
    private final boolean mSkipSuccessIgnoredOnFailure;
    private final boolean mCancelWithWrongErrno;
    /** See {@link KernelProfile#multishotCqeCommitsAtOnce}. */
    private final boolean multishotCqeCommitsAtOnce;

    private Req[] compl = new Req[64];
    private int complCount;
    /**
     * {@code submit_state.cq_flush}: a CQE {@link #addAuxCqe} or {@link #postCqe} filled waits for the next flush's
     * commit.
     */
    private boolean cqFlush;
    /** What runs as the batch is about to be posted ({@link #beforeFlush}), or null. */
    private Runnable beforeFlush;

    Completion(KernelProfile profile, RuleSink rules, CqeCache cq, OverflowList overflow, Links links, Drain drain,
            ReqCache reqs, TaskWork taskWork, Set<Mutant> mutants) {
        this.rules = rules;
        this.cq = cq;
        this.overflow = overflow;
        this.links = links;
        this.drain = drain;
        this.reqs = reqs;
        this.taskWork = taskWork;
        this.mSkipSuccessIgnoredOnFailure = mutants.contains(Mutant.SKIP_SUCCESS_IGNORED_ON_FAILURE);
        this.mCancelWithWrongErrno = mutants.contains(Mutant.CANCEL_WITH_WRONG_ERRNO);
        this.multishotCqeCommitsAtOnce = profile.multishotCqeCommitsAtOnce();
    }

    /** {@code req_set_fail}: a failing CQE_SKIP_SUCCESS request posts its CQE and silences its chain. */
    void reqSetFail(Req req) {
        req.addFlags(REQ_F_FAIL);
        if (req.has(IOSQE_CQE_SKIP_SUCCESS) && !mSkipSuccessIgnoredOnFailure) {
            // req_set_fail: a failure cancels CQE_SKIP_SUCCESS; the rest of the chain posts nothing instead
            rules.fire(Rules.FAIL_CANCELS_SKIP_SUCCESS, req.userData());
            req.clearFlags(IOSQE_CQE_SKIP_SUCCESS);
            req.addFlags(REQ_F_SKIP_LINK_CQES);
        }
    }

    /** {@code req_fail_link_node}. */
    void reqFailLinkNode(Req req, int res) {
        reqSetFail(req);
        req.setRes(res, 0);
    }

    /** {@code io_req_defer_failed}. */
    void reqDeferFailed(Req req, int res) {
        reqSetFail(req);
        req.setRes(res, failCqeFlags(req));
        completeDefer(req);
    }

    /**
     * {@code io_req_complete_failed} as 6.1 has it: {@code io_req_complete_post} fills the CQE and commits the
     * tail at once, then queues the successor (failing the chain) and frees the request.
     */
    void reqCompleteFailed(Req req, int res) {
        reqSetFail(req);
        req.setRes(res, failCqeFlags(req));
        if (!req.has(IOSQE_CQE_SKIP_SUCCESS)) {
            fillCqeReq(req, true);
        }
        cq.commitCqring();
        if (req.has(REQ_F_LINK_FLAGS)) {
            links.queueNext(req);
        }
        reqs.free(req);
        if (drain.active()) {
            // the drain by sequence looks again once the request is freed (Drain: where the kernel would stall)
            drain.queueDeferred();
        }
    }

    /**
     * A request of the ring's own for a CQE no SQE asked for ({@code io_alloc_notif}: a zero-copy send's
     * notification), counted as allocated until the flush that posts its CQE frees it.
     */
    Req allocAux(long userData) {
        Req req = reqs.alloc();
        req.init(0, userData);
        return req;
    }

    /** {@code def->fail} of an opcode from another module ({@link ColdDef}): the failing CQE's flags. */
    private static int failCqeFlags(Req req) {
        return req.opState() instanceof ColdDef cold ? cold.failCqeFlags(req) : 0;
    }

    /**
     * {@code hook} runs each time a batch is about to be posted; what it completes with {@link #completeDefer} is
     * posted before the batch ({@link IoWq#beforeFlush}).
     */
    void beforeFlush(Runnable hook) {
        this.beforeFlush = hook;
    }

    /** {@code io_req_complete_defer}: into the batch's completions, posted at the next flush. */
    void completeDefer(Req req) {
        if (complCount == compl.length) {
            Req[] bigger = new Req[compl.length * 2];
            System.arraycopy(compl, 0, bigger, 0, complCount);
            compl = bigger;
        }
        compl[complCount++] = req;
    }

    /**
     * {@code io_req_post_cqe}: the batch's completions first (so CQEs keep their order), then
     * {@code io_fill_cqe_aux} with the request's user_data; false when no slot is free, and then nothing is posted,
     * not even to the overflow list (7.2.13 io_uring.c). The tail is not committed: {@code submit_state.cq_flush}
     * is set, so the flush that ends the submission or the task work run commits this CQE with the rest of its
     * batch, and the eventfd is signalled once for all of them (6.18.44: two multishot polls woken together, a
     * multishot RECV or READ and a NOP in one submission, two multishot timeouts in one run; WorldMultishotFlushTest).
     * 6.12 committed at once ({@link KernelProfile#multishotCqeCommitsAtOnce}).
     */
    boolean postCqe(Req req, int res, int cqeFlags) {
        if (complCount == 0 && beforeFlush != null) {
            // an io-wq worker's io_req_complete_post may take the completion lock before this io_req_post_cqe
            // (a multishot poll's task work at the end of the enter that queued the work)
            beforeFlush.run();
            if (complCount != 0) {
                postBatch(complCount);
            }
        } else if (complCount != 0) {
            submitFlushCompletions();
        }
        boolean big = (cqeFlags & IORING_CQE_F_32) != 0;
        int slot = cq.getCqe(false, big);
        // io_req_post_cqe: cq_flush is set whether or not the CQE found a slot
        cqFlush |= !multishotCqeCommitsAtOnce;
        if (slot < 0) {
            rules.fire(Rules.POST_CQE_NO_ROOM, req.userData());
            return false;
        }
        cq.writeCqe(slot, req.userData(), res, cqeFlags, 0, 0, big);
        if (multishotCqeCommitsAtOnce) {
            cq.commitCqring();
        }
        return true;
    }

    /** See {@link IssueContext#cachedCqTail}. */
    int cachedCqTail() {
        return cq.cachedCqTail();
    }

    /** See {@link IssueContext#cqEntries}. */
    int cqEntries() {
        return cq.cqEntries();
    }

    /** See {@link IssueContext#cqFlags}. */
    int cqFlags() {
        return cq.cqFlags();
    }

    /**
     * {@code io_post_aux_cqe}: a CQE with {@code userData}, into a free slot or else onto the overflow list, committed
     * at once; the batch's completions are not flushed first (they post after it). Always true: the model's
     * overflow list never fails to allocate.
     */
    boolean postAuxCqe(long userData, int res, int cqeFlags) {
        rules.fire(Rules.POST_AUX_CQE, userData);
        int slot = cq.getCqe(false, false);
        if (slot < 0) {
            overflow.add(userData, res, cqeFlags, 0, 0);
        } else {
            cq.writeCqe(slot, userData, res, cqeFlags, 0, 0, false);
        }
        cq.commitCqring();
        return true;
    }

    /**
     * {@code io_add_aux_cqe}: a CQE with {@code userData} from task work, into a free slot or else onto the overflow
     * list, not committed: it sets {@code submit_state.cq_flush}, so the flush that ends the task work run commits it
     * with the batch's CQEs, once (one eventfd signal for all of them: world lockstep seed 20, a MSG_RING's CQE on a
     * DEFER_TASKRUN ring and a failed link's in one run, where two commits signalled twice).
     */
    void addAuxCqe(long userData, int res, int cqeFlags) {
        rules.fire(Rules.ADD_AUX_CQE, userData);
        int slot = cq.getCqe(false, false);
        if (slot < 0) {
            overflow.add(userData, res, cqeFlags, 0, 0);
        } else {
            cq.writeCqe(slot, userData, res, cqeFlags, 0, 0, false);
        }
        cqFlush = true;
    }

    /** See {@link IssueContext#onCommit}. */
    void addCommitHook(IssueContext.CommitFlush part, Runnable hook) {
        cq.addCommitHook(part, hook);
    }

    /** {@code io_req_tw_fail_links}: each member gets -ECANCELED, or its own error if it had failed. */
    void reqTwFailLinks(Req first) {
        Req link = first;
        while (link != null) {
            Req next = link.link();
            int res = mCancelWithWrongErrno ? -EINTR : -ECANCELED;
            if (link.has(REQ_F_FAIL)) {
                res = link.res();
            }
            link.link(null);
            link.setRes(res, 0);
            completeDefer(link);
            link = next;
        }
    }

    /**
     * {@code __io_submit_flush_completions}: post the CQEs of the batch in order, commit the tail, free the
     * requests (queueing successors) and dispatch deferred requests.
     */
    void submitFlushCompletions() {
        // io_submit_flush_completions: an empty batch is flushed only where a CQE waits for its commit (cq_flush)
        if (complCount == 0 && !cqFlush) {
            return;
        }
        if (beforeFlush != null) {
            // work that completed while the batch was being made (an io-wq worker's io_req_complete_post) is
            // posted first: what it added goes to the front of the batch
            int mark = complCount;
            beforeFlush.run();
            if (complCount > mark) {
                Req[] first = java.util.Arrays.copyOfRange(compl, mark, complCount);
                System.arraycopy(compl, 0, compl, first.length, mark);
                System.arraycopy(first, 0, compl, 0, first.length);
            }
            postBatch(complCount - mark);
            return;
        }
        postBatch(0);
    }

    /**
     * {@code io_req_complete_post} of an io-wq worker that finished while the task builds its batch: what {@code work}
     * completes ({@link #completeDefer}) is posted and committed on its own, under the completion lock the task's
     * flush takes later, so ahead of the batch, which stays as it was and is posted at its own flush.
     */
    void postAlone(Runnable work) {
        int held = complCount;
        Req[] batch = java.util.Arrays.copyOf(compl, held);
        boolean heldFlush = cqFlush;
        complCount = 0;
        cqFlush = false;
        try {
            work.run();
            if (complCount != 0) {
                postBatch(complCount);
            }
        } finally {
            // the worker's completions are posted; compl only grows, so the batch fits where it was
            System.arraycopy(batch, 0, compl, 0, held);
            complCount = held;
            cqFlush |= heldFlush;
        }
    }

    /**
     * The part of {@link #submitFlushCompletions} after {@link #beforeFlush}: post, commit, free. The first
     * {@code workers} requests are io-wq workers' own posts ({@code io_req_complete_post}): a worker whose CQE finds
     * no slot ({@code io_fill_cqe_req} fails: the ring is full, or the overflow list holds entries and
     * {@code io_cqe_cache_refill} refuses) does not overflow it but hands the request to the task's task work
     * ({@code defer_complete}: {@code io_req_task_complete}), whose flush posts it after what the task posts first.
     */
    private void postBatch(int workers) {
        for (int i = 0; i < complCount; i++) {
            Req req = compl[i];
            // __io_submit_flush_completions: a CQE_SKIP_SUCCESS request that succeeded posts nothing
            if (!req.has(IOSQE_CQE_SKIP_SUCCESS) && !fillCqeReq(req, i >= workers)) {
                rules.fire(Rules.IOWQ_POST_TO_TASK_WORK, req.userData());
                compl[i] = null;
                taskWork.add(req, Req.TW_COMPLETE);
            }
        }
        cq.commitCqring();
        cqFlush = false;
        int n = complCount;
        complCount = 0;
        for (int i = 0; i < n; i++) {
            Req req = compl[i];
            if (req == null) {
                continue; // handed to task work: completed and freed there
            }
            compl[i] = null;
            // io_free_batch_list: a linked request queues its successor (or fails the chain)
            if (req.has(REQ_F_LINK_FLAGS)) {
                links.queueNext(req);
            }
            reqs.free(req);
        }
        if (drain.active()) {
            drain.queueDeferred();
        }
    }

    /**
     * {@code io_fill_cqe_req}, or where there is no slot and {@code overflow} is set {@code io_req_cqe_overflow};
     * false where there is no slot and it is not.
     */
    private boolean fillCqeReq(Req req, boolean overflow) {
        boolean mixedBig = req.big() && (req.cqeFlags() & IORING_CQE_F_32) != 0;
        int slot = cq.getCqe(false, mixedBig);
        if (slot < 0) {
            if (!overflow) {
                return false;
            }
            // io_req_cqe_overflow: no slot -> the CQE joins the overflow list
            this.overflow.add(req.userData(), req.res(), req.cqeFlags(), req.big() ? req.big0() : 0,
                    req.big() ? req.big1() : 0);
            return true;
        }
        cq.writeCqe(slot, req.userData(), req.res(), req.cqeFlags(), req.big0(), req.big1(), req.big());
        return true;
    }
}
