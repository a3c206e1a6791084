package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_FAIL;
import static dev.ringspec.model.Req.REQ_F_FORCE_ASYNC;
import static dev.ringspec.model.Req.REQ_F_LINK_FLAGS;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;

import dev.ringspec.seam.U32;
import java.util.Set;

/**
 * The submit side of {@code io_uring_enter} (io_uring/io_uring.c, ring-semantics.md A1, A3): {@code io_submit_sqes}
 * consumes SQEs ({@link SqRing}), inits each ({@link InitReq}) and hands it to {@code io_submit_sqe}, which
 * assembles link chains ({@link Links}) and queues ({@link IssueSqe}); {@code io_submit_fail_init} posts an init
 * failure and cancels its chain; {@code io_submit_state_end} queues a dangling chain and flushes the batch's
 * completions ({@link Completion}); {@code io_commit_sqring} publishes the head last.
 */
final class SubmitSqes {
    private final int flags;
    private final RuleSink rules;
    private final SqRing sq;
    private final InitReq init;
    private final BpfFilterRun bpfFilters;
    private final Links links;
    private final IssueSqe issue;
    private final Completion completion;
    private final ReqCache reqs;
    private final boolean mDroppedSqeCounted;
    private final boolean mChainNotCancelledOnPrepFailure;
    private final boolean mFilterBeforePrep;
    private final boolean mDenyKeepsChain;

    /** The calling thread's task ({@code current->io_uring}), asked once a batch. */
    private final java.util.function.Supplier<IoUringTask> currentTask;

    SubmitSqes(int flags, RuleSink rules, SqRing sq, InitReq init, BpfFilterRun bpfFilters, Links links,
            IssueSqe issue, Completion completion, ReqCache reqs, Set<Mutant> mutants,
            java.util.function.Supplier<IoUringTask> currentTask) {
        this.flags = flags;
        this.currentTask = currentTask;
        this.rules = rules;
        this.sq = sq;
        this.init = init;
        this.bpfFilters = bpfFilters;
        this.links = links;
        this.issue = issue;
        this.completion = completion;
        this.reqs = reqs;
        this.mDroppedSqeCounted = mutants.contains(Mutant.DROPPED_SQE_COUNTED);
        this.mChainNotCancelledOnPrepFailure = mutants.contains(Mutant.CHAIN_NOT_CANCELLED_ON_PREP_FAILURE);
        this.mFilterBeforePrep = mutants.contains(Mutant.BPF_FILTER_BEFORE_PREP);
        this.mDenyKeepsChain = mutants.contains(Mutant.BPF_DENY_KEEPS_CHAIN);
    }

    /**
     * {@code io_submit_sqes}: consumes up to {@code nr} SQEs as requests of {@code task} (the submitting task's key,
     * {@link RequestTask}); returns how many count.
     */
    int submitSqes(int nr, Object task) {
        int entries = sq.entries();
        // io_submit_sqes: nothing queued -> 0
        if (entries == 0) {
            return 0;
        }
        int ret = U32.min(nr, entries);
        sq.beginBatch(ret);
        boolean submitAll = (flags & IORING_SETUP_SUBMIT_ALL) != 0;
        IoUringTask tctx = currentTask.get();
        issue.submitting(IoWq.SubmitPoint.BEGIN);
        do {
            int sqeIndex = sq.getSqe();
            // io_get_sqe: an invalid SQ array index stops the batch, even with SUBMIT_ALL
            if (sqeIndex < 0) {
                if (mDroppedSqeCounted) {
                    sq.consumeLeft();
                }
                break;
            }
            Req req = reqs.alloc();
            req.task(task);
            // io_init_req: req->tctx = current->io_uring
            req.tctx(tctx);
            int failed = submitSqe(req, sqeIndex);
            issue.submitting(IoWq.SubmitPoint.SQE);
            // io_submit_sqes: a failed standalone SQE stops the batch and is counted, unless SUBMIT_ALL
            if (failed != 0 && !submitAll) {
                rules.fire(Rules.SUBMIT_STOPS_AT_FAILURE, req.userData());
                sq.consumeLeft();
                break;
            }
        } while (sq.consumeLeft() != 0);
        int left = sq.left();
        if (left != 0) {
            ret -= left;
        }
        submitStateEnd();
        issue.submitting(IoWq.SubmitPoint.END);
        sq.commitSqring();
        return ret;
    }

    /** {@code io_submit_sqe}: init, then link assembly or queueing. Returns non-zero to stop the batch. */
    private int submitSqe(Req req, int sqeIndex) {
        int ret = init.initReq(req, sqeIndex);
        if (ret != 0) {
            return submitFailInit(req, ret, mChainNotCancelledOnPrepFailure);
        }
        // io_submit_sqe (7.0+): the ring's BPF filters judge the request once init and prep succeeded; a deny is
        // an init failure (-EACCES)
        if (bpfFilters.any() && !mFilterBeforePrep && (ret = bpfFilters.run(req, true)) != 0) {
            return submitFailInit(req, ret, mDenyKeepsChain);
        }
        if (links.head() != null) {
            links.append(req);
            if (req.has(REQ_F_LINK_FLAGS)) {
                return 0;
            }
            // io_submit_sqe: the last request of the chain queues its head
            Req head = links.take();
            if (head.has(REQ_F_FORCE_ASYNC | REQ_F_FAIL)) {
                issue.queueSqeFallback(head);
            } else {
                issue.queueSqe(head);
            }
            return 0;
        }
        if (req.has(REQ_F_LINK_FLAGS | REQ_F_FORCE_ASYNC | REQ_F_FAIL)) {
            if (req.has(REQ_F_LINK_FLAGS)) {
                links.start(req);
            } else {
                issue.queueSqeFallback(req);
            }
            return 0;
        }
        issue.queueSqe(req);
        return 0;
    }

    /** {@code io_submit_fail_init}: the CQE of an init failure and the link logic around it. */
    private int submitFailInit(Req req, int ret, boolean mKeepChain) {
        Req head = links.head();
        completion.reqFailLinkNode(req, ret);
        // io_submit_fail_init: the chain's head fails with -ECANCELED, so no member runs
        if (head != null && !head.has(REQ_F_FAIL) && !mKeepChain) {
            rules.fire(Rules.SUBMIT_FAIL_INIT_CANCELS_CHAIN, head.userData());
            completion.reqFailLinkNode(head, -ECANCELED);
        }
        if (!req.has(REQ_F_LINK_FLAGS)) {
            Req queued = req;
            if (head != null) {
                links.append(req);
                queued = links.take();
            }
            issue.queueSqeFallback(queued);
            return ret;
        }
        // io_submit_fail_init: a failed member that asks for a link keeps the chain open, failed
        if (head != null) {
            links.append(req);
        } else {
            links.start(req);
        }
        return 0;
    }

    /** {@code io_submit_state_end}: queue a dangling chain, then flush the batch's completions. */
    private void submitStateEnd() {
        if (links.head() != null) {
            // io_submit_state_end: a dangling link runs (async), neither cancelled nor joined to the next batch
            Req head = links.take();
            if (!head.has(REQ_F_FAIL)) {
                rules.fire(Rules.SUBMIT_STATE_END_DANGLING_LINK, head.userData());
            }
            issue.queueSqeFallback(head);
        }
        completion.submitFlushCompletions();
    }
}
