package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_NOTIF;
import static dev.ringspec.uapi.IoUring.IORING_NOTIF_USAGE_ZC_COPIED;

import dev.ringspec.model.IssueContext;

/**
 * io_uring/notif.c: the notification of a zero-copy send ({@code io_alloc_notif}), a second CQE of the request's
 * user_data (from 7.1 the SQE's {@code addr3} where set) with IORING_CQE_F_NOTIF, posted when the network is done
 * with the request's memory: {@code io_notif_flush}, at the request's end, queues it as task work
 * ({@code io_tx_ubuf_complete}, {@code io_notif_tw_complete}), so it follows the request's own CQE. The flush comes
 * when the request is freed: with the request's own completion (plain and COOP_TASKRUN rings show both CQEs after the
 * same syscall; a DEFER_TASKRUN ring shows the notification at the next GETEVENTS enter, the lazy wake's task work,
 * measured on 6.18.44). Where io-wq ran the request, the worker drops a reference of its own after it
 * ({@code io_wq_free_work}); when that is the last one, the free is task work of its own ({@code io_free_req}) and
 * the notification comes a task work run later. Which thread drops the last reference is a race the emulator does
 * not model: it always frees with the completion.
 *
 * <p>Its result is 0, or with IORING_SEND_ZC_REPORT_USAGE, {@code IORING_NOTIF_USAGE_ZC_COPIED} where the data was
 * copied or nothing was sent ({@code zc_copied || !zc_used}). The emulator's sends are plain sends, which copy:
 * it reports a copy always, as the kernel does on loopback (the receive side copies, {@code skb_orphan_frags_rx}),
 * for an AF_UNIX refusal and for a send that failed or moved nothing. Only a NIC doing real zero copy reports 0.
 */
final class Notif {
    private final IssueContext ctx;
    private final long userData;
    private boolean report;
    private boolean flushed;

    /** {@code io_alloc_notif}: the notification's CQE carries {@code userData}. */
    Notif(IssueContext ctx, long userData) {
        this.ctx = ctx;
        this.userData = userData;
    }

    /** IORING_SEND_ZC_REPORT_USAGE: {@code nd->zc_report}. */
    void reportUsage() {
        report = true;
    }

    /** {@code io_notif_flush}: the notification's CQE, as task work of the ring; once. */
    void flush() {
        if (flushed) {
            return;
        }
        flushed = true;
        ctx.postCqeInTaskWork(userData, report ? IORING_NOTIF_USAGE_ZC_COPIED : 0, IORING_CQE_F_NOTIF);
    }
}
