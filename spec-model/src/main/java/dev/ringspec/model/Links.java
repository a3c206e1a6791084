package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_ARM_LTIMEOUT;
import static dev.ringspec.model.Req.REQ_F_FAIL;
import static dev.ringspec.model.Req.REQ_F_LINK_TIMEOUT;
import static dev.ringspec.model.Req.REQ_F_SKIP_LINK_CQES;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;

/**
 * Link chains: the chain being assembled during a submit batch ({@code ctx->submit_state.link}), and what a
 * linked request does when it is freed: {@code io_queue_next} with {@code io_disarm_next} and
 * {@code io_fail_links} (io_uring/io_uring.c, timeout.c; ring-semantics.md A3), and the linked timeout a request
 * carries ({@code __io_prep_linked_timeout}, {@code io_disarm_next}; the timer is the opcode's {@link LinkedTimeout}).
 * Successors and cancellations run as task work.
 */
final class Links {
    private final RuleSink rules;
    private final TaskWork taskWork;

    private Req linkHead;
    private Req linkLast;

    Links(RuleSink rules, TaskWork taskWork) {
        this.rules = rules;
        this.taskWork = taskWork;
    }

    /** The head of the chain being assembled, or null. */
    Req head() {
        return linkHead;
    }

    /** {@code io_submit_sqe}: {@code req} starts a chain. */
    void start(Req req) {
        linkHead = req;
        linkLast = req;
    }

    /** {@code io_submit_sqe}: {@code req} joins the chain being assembled. */
    void append(Req req) {
        linkLast.link(req);
        linkLast = req;
    }

    /** The chain is complete (or abandoned): its head, and no chain is being assembled any more. */
    Req take() {
        Req head = linkHead;
        linkHead = null;
        linkLast = null;
        return head;
    }

    /** The last request of the chain being assembled, or null ({@code ctx->submit_state.link.last}). */
    Req last() {
        return linkHead == null ? null : linkLast;
    }

    /**
     * {@code __io_prep_linked_timeout}: {@code req} is being issued and a LINK_TIMEOUT follows it; its timer is
     * about to start, and from now on the completion of {@code req} disarms it. Returns the timeout, or null.
     */
    Req prepLinkedTimeout(Req req) {
        req.clearFlags(REQ_F_ARM_LTIMEOUT);
        Req timeout = req.link();
        if (timeout == null) {
            return null;
        }
        req.addFlags(REQ_F_LINK_TIMEOUT);
        rules.fire(Rules.PREP_LINKED_TIMEOUT, timeout.userData());
        return timeout;
    }

    /**
     * {@code req} left io-wq before a worker issued it ({@code io_acct_cancel_pending_work}): the kernel's
     * {@code __io_issue_sqe} never prepared its LINK_TIMEOUT, which {@link IssueContext#queueIoWq} started for an
     * io-wq of the emulator's; stopped, it is armed-to-be again (REQ_F_ARM_LTIMEOUT). Where its timer fired first,
     * the timeout leaves the chain now, as {@code io_link_timeout_fn} takes it out ({@code io_remove_next_linked}) as
     * it claims the request: its task work, which finds the request gone, then completes a timeout no longer linked.
     */
    void unstartLinkedTimeout(Req req) {
        Req timeout = req.link();
        if (!req.has(REQ_F_LINK_TIMEOUT) || timeout == null || timeout.opcode() != IORING_OP_LINK_TIMEOUT) {
            return;
        }
        req.clearFlags(REQ_F_LINK_TIMEOUT);
        if (((LinkedTimeout) timeout.opState()).disarm()) {
            req.addFlags(REQ_F_ARM_LTIMEOUT);
        } else {
            spliceLinkedTimeout(req, timeout);
        }
    }

    /** {@code io_req_task_link_timeout}: a fired timeout leaves its request's chain, if it is still there. */
    void spliceLinkedTimeout(Req prev, Req timeout) {
        if (prev.link() == timeout) {
            prev.link(timeout.link());
        }
        timeout.link(null);
    }

    /** {@code io_queue_next} with {@code io_req_find_next} and {@code io_disarm_next}. */
    void queueNext(Req req) {
        if (req.has(REQ_F_ARM_LTIMEOUT | REQ_F_LINK_TIMEOUT)) {
            disarmLinkedTimeout(req);
        }
        // io_disarm_next: a failed request that is not a hardlink cancels the rest of its chain
        if (req.has(REQ_F_FAIL) && !req.has(IOSQE_IO_HARDLINK)) {
            failLinks(req);
        }
        Req next = req.link();
        req.link(null);
        if (next != null) {
            // io_queue_next: the successor is issued through task work once its predecessor completed
            rules.fire(Rules.QUEUE_NEXT, next.userData());
            taskWork.add(next, Req.TW_ISSUE);
        }
    }

    /**
     * {@code io_disarm_next}, its linked timeout part: a request completed before its LINK_TIMEOUT fired, so the
     * timeout leaves the chain and completes with -ECANCELED through task work; never issued, its timer never
     * started (REQ_F_ARM_LTIMEOUT), or stopped now (REQ_F_LINK_TIMEOUT; unless the timer claimed it first).
     */
    private void disarmLinkedTimeout(Req req) {
        boolean armed = req.has(REQ_F_LINK_TIMEOUT);
        req.clearFlags(REQ_F_ARM_LTIMEOUT | REQ_F_LINK_TIMEOUT);
        Req timeout = req.link();
        if (timeout == null || timeout.opcode() != IORING_OP_LINK_TIMEOUT) {
            return;
        }
        // io_remove_next_linked
        req.link(timeout.link());
        timeout.link(null);
        if (armed && !((LinkedTimeout) timeout.opState()).disarm()) {
            rules.fire(Rules.LINKED_TIMEOUT_CLAIMED_BY_TIMER, timeout.userData());
            return;
        }
        rules.fire(Rules.DISARM_LINKED_TIMEOUT, timeout.userData());
        // io_req_queue_tw_complete(link, -ECANCELED)
        timeout.setRes(-ECANCELED, 0);
        taskWork.add(timeout, Req.TW_COMPLETE);
    }

    /** {@code io_fail_links}: the two skip rules, then the cancellation runs as task work. */
    private void failLinks(Req req) {
        Req link = req.link();
        if (link == null) {
            return;
        }
        boolean ignoreCqes = req.has(REQ_F_SKIP_LINK_CQES);
        // io_fail_links: a chain whose failed member had CQE_SKIP_SUCCESS posts no CQE for the cancelled rest
        rules.fire(ignoreCqes ? Rules.FAIL_LINKS_SKIPPED : Rules.FAIL_LINKS, req.userData());
        for (Req r = link; r != null; r = r.link()) {
            if (ignoreCqes) {
                r.addFlags(IOSQE_CQE_SKIP_SUCCESS);
            } else {
                r.clearFlags(IOSQE_CQE_SKIP_SUCCESS);
            }
        }
        req.link(null);
        taskWork.add(link, Req.TW_FAIL_LINKS);
    }
}
