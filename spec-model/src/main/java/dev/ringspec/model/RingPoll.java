package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;

/**
 * A poll of the ring's own descriptor ({@code io_uring_poll}, io_uring/io_uring.c): what it finds now. A poll waits on
 * the ring's {@code ctx->poll_wq}, which each commit of the CQ tail wakes ({@link IssueContext#onCommit}).
 */
final class RingPoll {
    private static final int EPOLLIN = 0x1;
    private static final int EPOLLOUT = 0x4;
    private static final int EPOLLRDNORM = 0x40;
    private static final int EPOLLWRNORM = 0x100;

    private final int flags;
    private final SqRing sq;
    private final CqeCache cq;
    private final TaskWork taskWork;

    RingPoll(int flags, SqRing sq, CqeCache cq, TaskWork taskWork) {
        this.flags = flags;
        this.sq = sq;
        this.cq = cq;
        this.taskWork = taskWork;
    }

    /**
     * {@code io_uring_poll}: EPOLLIN | EPOLLRDNORM when the application has CQEs to see or the ring has work
     * ({@code io_has_work}: overflowed CQEs, local task work), and EPOLLOUT | EPOLLWRNORM when the SQ ring has room.
     */
    int poll() {
        int mask = 0;
        // io_uring_poll: room in the SQ ring -> EPOLLOUT | EPOLLWRNORM
        if (!sq.full()) {
            mask |= EPOLLOUT | EPOLLWRNORM;
        }
        // io_uring_poll: CQEs the application can see (__io_cqring_events_user), or io_has_work -> EPOLLIN |
        // EPOLLRDNORM
        if (cq.userEvents() != 0 || cq.checkCqOverflow()
                || (flags & IORING_SETUP_DEFER_TASKRUN) != 0 && taskWork.pending()) {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        return mask;
    }
}
