package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_FAIL;
import static dev.ringspec.model.Req.REQ_F_SKIP_LINK_CQES;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;

/**
 * Link chains: the chain being assembled during a submit batch ({@code ctx->submit_state.link}), and what a
 * linked request does when it is freed: {@code io_queue_next} with {@code io_disarm_next} and
 * {@code io_fail_links} (io_uring/io_uring.c, timeout.c; ring-semantics.md A3). Successors and cancellations run
 * as task work.
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

    /** {@code io_queue_next} with {@code io_req_find_next} and {@code io_disarm_next}. */
    void queueNext(Req req) {
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
