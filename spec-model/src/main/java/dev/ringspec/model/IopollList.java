package dev.ringspec.model;

import java.util.ArrayDeque;

/**
 * The iopoll list of an IOPOLL ring ({@code ctx->iopoll_list}; io_uring.c {@code io_iopoll_req_issued}, rw.c
 * {@code io_do_iopoll}). A read or write whose file polls its completions (io_rw_init_file: O_DIRECT on a file whose
 * {@code f_op} has {@code iopoll}: a block device, ext4, xfs, btrfs; never a pipe, socket, tmpfs or buffered file,
 * which answer -EOPNOTSUPP) is not completed by its issue: it joins this list, and its CQE is posted only when a
 * GETEVENTS enter ({@code io_iopoll_check}) or the SQ thread polls. NOPs and every other opcode complete as on any
 * ring. The backend's I/O is synchronous, so each request here has its result when it joins, and a poll posts them
 * all, in issue order. (The kernel puts a request whose device already completed it at the head of the list, so
 * its order may differ where a device completes requests out of order.)
 */
final class IopollList {
    private final ArrayDeque<Req> list = new ArrayDeque<>();
    private final Completion completion;
    private final RuleSink rules;

    IopollList(Completion completion, RuleSink rules) {
        this.completion = completion;
        this.rules = rules;
    }

    /** {@code io_iopoll_req_issued}: {@code req}, its result set, waits for a poll. */
    void issued(Req req) {
        rules.fire(Rules.IOPOLL_REQ_ISSUED, req.userData());
        list.addLast(req);
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** {@code io_do_iopoll}: posts the CQE of every completed request (all of them here); returns how many. */
    int doIopoll() {
        int n = 0;
        for (Req req; (req = list.pollFirst()) != null; n++) {
            completion.completeDefer(req);
        }
        completion.submitFlushCompletions();
        return n;
    }
}
