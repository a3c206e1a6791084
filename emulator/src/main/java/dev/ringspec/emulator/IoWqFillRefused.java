package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;

import dev.ringspec.emulator.ops.EventFd;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Req;

/**
 * An io-wq worker that finishes while the CQ takes no CQE, on a ring whose workers post their own CQEs (neither
 * DEFER_TASKRUN nor IOPOLL). {@code io_req_complete_post} takes the completion lock and tries to fill
 * ({@code io_fill_cqe_req}); where {@code io_cqe_cache_refill} refuses (the overflow list holds entries, or the ring
 * is full) it still commits and flushes ({@code io_cq_unlock_post -> io_commit_cqring_flush}), whose eventfd signal
 * runs the eventfd's wakeups inside it ({@code eventfd_signal_mask -> io_poll_wake -> io_req_task_work_add}), and only
 * then queues its own completion as task work ({@code defer_complete}: {@code io_req_task_complete}), which the task
 * posts, behind theirs, onto the overflow list. So a READV of the ring's ASYNC eventfd, woken by the signal of a
 * STATX's worker that found the CQ full, posts its 8 bytes before the STATX's -ENOENT (world lockstep seed 1087, 10
 * of 10 runs). The wakeups the worker's own call made come before it too: a write to a pipe or a socket wakes the
 * polls on its other end inside the call ({@code pipe_write -> wake_up_interruptible_sync_poll}, {@code
 * unix_stream_sendmsg -> sk_data_ready}; {@code io_poll_wake -> __io_poll_execute -> io_req_task_work_add}), before
 * the worker returns to {@code io_req_complete_post}, and the task runs its task work in order of arrival
 * ({@code tctx_task_work_run -> io_handle_tw_list}). So where an IOSQE_ASYNC WRITE or a SPLICE into a pipe finds
 * the CQ full, a READ of the pipe that its bytes woke posts first: not the race of
 * {@link IoWqChoices#IOWQ_WAKES_BEFORE_IT_POSTS}, which is the worker's own post against the task's task work (world
 * lockstep seeds 2085, 2306, 3079 and 3121; seed 268 with a POLL_ADD of a socket's peer). The emulator's
 * deterministic mode hands every worker's completion to the task; here it makes the worker's commit and the
 * wakeups first and hands the completion over as the task's own (not a CQE of io-wq's, for an ASYNC eventfd).
 * Read in io_uring/io_uring.c {@code io_req_complete_post} (7.x; 6.18 measured); earlier kernels are not read and
 * keep the hand-over as it was.
 */
final class IoWqFillRefused {
    private IoWqFillRefused() {
    }

    /**
     * Where the worker's fill of {@code req}'s CQE ({@code res}) finds no slot: its commit, the wakeups that commit's
     * eventfd signal made, then its completion as task work through {@code delivery}, which takes {@code req} off
     * {@code inflight} and completes it with {@code res}; true if so.
     */
    static boolean deferred(IssueContext ctx, Req req, int res, Readiness readiness, Delivery delivery,
            Inflight inflight) {
        // io_req_complete_post: a DEFER_TASKRUN or IOPOLL ring's worker never fills (lockless_cq: task work)
        if ((ctx.setupFlags() & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_IOPOLL)) != 0
                || !defersWhenRefused(ctx.profile().version())) {
            return false;
        }
        // REQ_F_CQE_SKIP: nothing to fill; io_fill_cqe_req -> io_get_cqe found a slot: the worker posts
        if ((req.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0 && res >= 0 || !ctx.cqeFillRefused()) {
            return false;
        }
        // io_cq_unlock_post -> io_commit_cqring_flush -> io_eventfd_signal(ctx, true), on the worker, which wakes
        // the eventfd's polls inside it; and the polls the worker's call woke before it returned (io_poll_wake):
        // their task work is queued first
        EventFd.workerCommitted(ctx);
        readiness.ownWakeups();
        // defer_complete: io_req_task_work_add(req), io_req_task_complete
        delivery.deliver(ctx, req, (r, c) -> {
            inflight.remove(r);
            return res;
        });
        return true;
    }

    /**
     * On a ring whose workers never post (DEFER_TASKRUN or IOPOLL: {@code io_req_complete_post}'s lockless_cq) the
     * worker's completion is always task work ({@code io_req_task_work_add}; on DEFER_TASKRUN
     * {@code io_req_local_work_add} onto the ring's work_llist), queued once its call has returned, so the polls that
     * call woke ({@code io_poll_wake -> __io_poll_execute -> io_req_task_work_add}, the same list) are queued first
     * and run first ({@code __io_run_local_work} takes the list in order of arrival). World lockstep seed 2360: an
     * IOSQE_ASYNC RECV of a socket, whose freeing of the peer's bytes woke a multishot POLLOUT poll of the peer
     * ({@code sock_wfree -> unix_write_space}), the poll's CQE before the RECV's in 10 of 10 runs.
     */
    static void wakeupsBeforeTaskWork(IssueContext ctx, Readiness readiness) {
        if ((ctx.setupFlags() & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_IOPOLL)) != 0) {
            readiness.ownWakeups();
        }
    }

    /** Whether {@code version}'s worker defers its completion to task work where the fill finds no slot: 6.18 on. */
    static boolean defersWhenRefused(String version) {
        String[] v = version.split("\\.");
        int major = Integer.parseInt(v[0]);
        return major > 6 || major == 6 && Integer.parseInt(v[1]) >= 18;
    }
}
