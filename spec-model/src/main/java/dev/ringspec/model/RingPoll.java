package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;

import java.util.function.BooleanSupplier;

/**
 * A poll of the ring's own descriptor ({@code io_uring_poll}, io_uring/io_uring.c): what it finds now, and the
 * ring's {@code ctx->poll_wq} such a poll waits on, which each commit of the CQ tail wakes
 * ({@code __io_commit_cqring_flush}: {@code io_poll_wq_wake}) once the wait queue is active.
 *
 * <p>A ring whose own task completes its requests ({@code ctx->task_complete}: DEFER_TASKRUN without IOPOLL) starts
 * with {@code poll_activated} clear, so its commits wake nobody; the first poll of its descriptor queues
 * {@code io_activate_pollwq_cb} as task work of the ring's submitter task ({@code io_activate_pollwq},
 * {@code task_work_add} with TWA_SIGNAL), which, when the task next runs its task work (the return of its syscall,
 * or a wait), sets {@code poll_activated} and wakes every waiter of the wait queue ({@code wake_up_all}), for the
 * wakeups missed meanwhile. Each waiter woken looks at the ring again: a POLL_ADD queues task work, which on a
 * DEFER_TASKRUN ring raises IORING_SQ_TASKRUN and signals its eventfd ({@code io_req_local_work_add}). Every other
 * ring is active from its creation. Not in the 6.1 profile, where {@code io_uring_poll} waits on {@code cq_wait}.
 */
final class RingPoll {
    /** {@code io_activate_pollwq}: the first poll queues the activation. Detail: 0. */
    static final Rule POLL_WQ_ACTIVATION_QUEUED = Rule.define("POLL_WQ_ACTIVATION_QUEUED", "io_activate_pollwq",
            "io_uring/io_uring.c", "The first poll of a DEFER_TASKRUN ring's own descriptor queues its poll wait"
                    + " queue's activation as task work of the ring's submitter task.");
    /** {@code io_activate_pollwq_cb}: the wait queue is active; its waiters are woken. Detail: 0. */
    static final Rule POLL_WQ_ACTIVATED = Rule.define("POLL_WQ_ACTIVATED", "io_activate_pollwq_cb",
            "io_uring/io_uring.c", "The activation task work wakes every poll of the ring's descriptor; from then"
                    + " on each commit wakes them.");

    private static final int EPOLLIN = 0x1;
    private static final int EPOLLOUT = 0x4;
    private static final int EPOLLRDNORM = 0x40;
    private static final int EPOLLWRNORM = 0x100;

    private final int flags;
    private final RuleSink rules;
    private final SqRing sq;
    private final CqeCache cq;
    private final TaskWork taskWork;
    /** {@code ctx->submitter_task} is set (a SINGLE_ISSUER ring created R_DISABLED has none until enabled). */
    private final BooleanSupplier hasSubmitter;
    /** The calling task is the ring's submitter task. */
    private final BooleanSupplier onSubmitter;
    /** {@code ctx->poll_activated}. */
    private volatile boolean activated;
    /** {@code ctx->poll_wq_task_work.func}: the activation is queued (or has run). */
    private volatile boolean queued;
    /** The waiters' wakeups ({@link IssueContext.CommitFlush#POLL_WQ} hooks), which the activation runs once. */
    private Runnable[] waiters = new Runnable[0];

    RingPoll(int flags, KernelProfile profile, RuleSink rules, SqRing sq, CqeCache cq, TaskWork taskWork,
            BooleanSupplier hasSubmitter, BooleanSupplier onSubmitter) {
        this.flags = flags;
        this.rules = rules;
        this.sq = sq;
        this.cq = cq;
        this.taskWork = taskWork;
        this.hasSubmitter = hasSubmitter;
        this.onSubmitter = onSubmitter;
        // io_uring_create: poll_activated unless ctx->task_complete (DEFER_TASKRUN without IOPOLL)
        boolean taskComplete = (flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & IORING_SETUP_IOPOLL) == 0;
        this.activated = !taskComplete || !lazyActivation(profile.version());
        taskWork.otherTaskWork(this::activatePollwqCb);
    }

    /**
     * {@code io_uring_poll}: EPOLLIN | EPOLLRDNORM when the application has CQEs to see or the ring has work
     * ({@code io_has_work}: overflowed CQEs, local task work), and EPOLLOUT | EPOLLWRNORM when the SQ ring has room;
     * a wait queue not yet active is activated first ({@code io_activate_pollwq}).
     */
    int poll() {
        if (!activated) {
            activatePollwq();
        }
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

    /**
     * {@code hook} as a waiter's wakeup at each commit ({@code __io_commit_cqring_flush}): it runs only once the wait
     * queue is active ({@code if (ctx->poll_activated) io_poll_wq_wake(ctx)}), and the activation runs it once.
     */
    synchronized Runnable waiter(Runnable hook) {
        Runnable[] more = java.util.Arrays.copyOf(waiters, waiters.length + 1);
        more[waiters.length] = hook;
        waiters = more;
        return () -> {
            if (activated) {
                hook.run();
            }
        };
    }

    /** {@code io_activate_pollwq}: already active or queued, or no submitter task -> nothing. */
    private synchronized void activatePollwq() {
        if (activated || queued || !hasSubmitter.getAsBoolean()) {
            return;
        }
        queued = true;
        rules.fire(POLL_WQ_ACTIVATION_QUEUED, 0);
    }

    /**
     * {@code io_activate_pollwq_cb}, where the submitter task runs its task work ({@code task_work_run}): sets
     * {@code poll_activated} and wakes every waiter ({@code wake_up_all(&ctx->poll_wq)}).
     */
    private void activatePollwqCb() {
        if (activated || !queued) {
            return; // every return to user space asks: nothing queued, no lock
        }
        Runnable[] woken;
        synchronized (this) {
            if (activated || !onSubmitter.getAsBoolean()) {
                return;
            }
            activated = true;
            woken = waiters;
        }
        rules.fire(POLL_WQ_ACTIVATED, 0);
        for (Runnable w : woken) {
            w.run();
        }
    }

    /** Whether {@code version} activates a DEFER_TASKRUN ring's poll wait queue lazily: every profile after 6.1. */
    static boolean lazyActivation(String version) {
        String[] v = version.split("\\.");
        int major = Integer.parseInt(v[0]);
        return major > 6 || major == 6 && Integer.parseInt(v[1]) > 1;
    }
}
