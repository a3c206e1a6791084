package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_ABS_TIMER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG_REG;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.uapi.IoUringGeteventsArg;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;

/**
 * The GETEVENTS part of {@code io_uring_enter} (io_uring/wait.c and io_uring.c, ring-semantics.md A2):
 * {@code io_iopoll_check} on an IOPOLL ring ({@link #iopollCheck}); elsewhere {@code io_get_ext_arg}, then
 * {@code io_cqring_wait}, which runs task work and flushes the overflow list until
 * {@code min_complete} CQEs are visible. When they never can be, the {@link Waiter} decides: the model's never
 * sleeps, and answers what the kernel answers when the timeout expires (-ETIME if the CQ is empty, else 0) or, with
 * no timeout, what a signal produces (-EINTR); {@link Rules#CQRING_WAIT_WOULD_BLOCK} says so.
 */
final class CqringWait {
    private final int flags;
    private final int fd;
    private final RuleSink rules;
    private final UserArgs args;
    private final TaskWork taskWork;
    private final OverflowList overflow;
    private final CqeCache cq;
    private final ModelIoUring kernel;
    private final IntSupplier cqTimeouts;
    /** The ring's iopoll list (IOPOLL rings), else null. */
    private final IopollList iopoll;

    /** Whether the last GETEVENTS wait could not be satisfied (the kernel would have slept). */
    private boolean lastWaitWouldBlock;

    CqringWait(ModelIoUring kernel, int flags, int fd, RuleSink rules, UserArgs args, TaskWork taskWork,
            OverflowList overflow, CqeCache cq, IntSupplier cqTimeouts, IopollList iopoll) {
        this.kernel = kernel;
        this.iopoll = iopoll;
        this.cqTimeouts = cqTimeouts;
        this.flags = flags;
        this.fd = fd;
        this.rules = rules;
        this.args = args;
        this.taskWork = taskWork;
        this.overflow = overflow;
        this.cq = cq;
    }

    boolean lastWaitWouldBlock() {
        return lastWaitWouldBlock;
    }

    /** {@code io_get_ext_arg} and {@code io_cqring_wait}; {@code owner}: the caller may run the ring's task work. */
    int getEvents(int minComplete, int enterFlags, MemorySegment arg, long argSizeBytes, boolean owner) {
        boolean timeout = false;
        long deadline = Waiter.NO_DEADLINE;
        // The signal mask: null when none was given; checked only when the CQEs are not there yet, like the kernel.
        long sigmask;
        long sigmaskSize;
        MemorySegment directSigmask = null;
        if ((enterFlags & IORING_ENTER_EXT_ARG_REG) != 0) {
            throw new UnsupportedOperationException("IORING_ENTER_EXT_ARG_REG (registered wait regions) is not "
                    + "modelled");
        }
        if ((enterFlags & IORING_ENTER_EXT_ARG) != 0) {
            // io_get_ext_arg: argsz must be sizeof(struct io_uring_getevents_arg) -> -EINVAL
            if (argSizeBytes != IoUringGeteventsArg.SIZE_BYTES) {
                rules.fire(Rules.GET_EXT_ARG_SIZE, argSizeBytes);
                return -EINVAL;
            }
            // io_get_ext_arg: copy_from_user -> -EFAULT
            MemorySegment a = args.at(arg, 0, IoUringGeteventsArg.SIZE_BYTES);
            if (a == null) {
                rules.fire(Rules.GET_EXT_ARG_FAULT, 0);
                return -EFAULT;
            }
            sigmask = a.get(JAVA_LONG, IoUringGeteventsArg.SIGMASK_OFFSET);
            sigmaskSize = Integer.toUnsignedLong(a.get(JAVA_INT, IoUringGeteventsArg.SIGMASK_SZ_OFFSET));
            long ts = a.get(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET);
            if (ts != 0) {
                // io_get_ext_arg: get_timespec64 -> -EFAULT
                MemorySegment t = args.resolve(ts, 16);
                if (t == null) {
                    rules.fire(Rules.GET_EXT_ARG_FAULT, 0);
                    return -EFAULT;
                }
                timeout = true;
                // io_cqring_wait: a relative timeout from now, or with IORING_ENTER_ABS_TIMER an absolute one
                long nanos = t.get(JAVA_LONG, 0) * 1_000_000_000L + t.get(JAVA_LONG, 8);
                deadline = (enterFlags & IORING_ENTER_ABS_TIMER) != 0 ? nanos : kernel.clock().nanoTime() + nanos;
            }
        } else {
            sigmask = UserArgs.isNull(arg) ? 0 : 1;
            sigmaskSize = argSizeBytes;
            directSigmask = args.at(arg, 0, 8);
        }
        // io_cqring_wait: a DEFER_TASKRUN ring waited on by another task -> -EEXIST (io_allowed_run_tw)
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && !owner) {
            rules.fire(Rules.CQRING_WAIT_NOT_OWNER, 0);
            return -EEXIST;
        }
        int cqEntries = cq.cqEntries();
        // io_cqring_wait: min_complete is capped at cq_entries
        int min = Integer.compareUnsigned(minComplete, cqEntries) > 0 ? cqEntries : minComplete;
        boolean readable = sigmask == 0 || ((enterFlags & IORING_ENTER_EXT_ARG) != 0
                ? args.resolve(sigmask, 8) != null : directSigmask != null);
        return cqringWait(min, timeout, deadline, sigmask, sigmaskSize, readable);
    }

    /** {@code set_user_sigmask}: 0, or for a mask of the wrong size -EINVAL, for an unreadable one -EFAULT. */
    private int setUserSigmask(long sigmask, long sigmaskSize, boolean readable) {
        if (sigmask == 0) {
            return 0;
        }
        if (sigmaskSize != 8) {
            rules.fire(Rules.CQRING_WAIT_SIGMASK, sigmaskSize);
            return -EINVAL;
        }
        if (!readable) {
            rules.fire(Rules.CQRING_WAIT_SIGMASK, sigmaskSize);
            return -EFAULT;
        }
        return 0;
    }

    /**
     * {@code io_validate_ext_arg} and {@code io_iopoll_check}: GETEVENTS on an IOPOLL ring without SQPOLL never
     * sleeps. It flushes the overflow list and answers 0 at once when the CQ holds anything; otherwise it polls the
     * ring's iopoll list ({@link IopollList}) for {@code min_complete}, and when that list is empty it runs the
     * ring's task work and returns 0 whatever it found. The timeout and the signal mask of an EXT_ARG
     * argument are read for faults and otherwise ignored. Dropped CQEs (-EBADR) never happen here: the model never
     * fails an allocation. Read in 6.1.192, 6.12.117 and 7.3rc7; 6.1 and 6.12 also end the loop when task work
     * posted a CQE before polling a non-empty list, which cannot matter here (a poll posts every request at once).
     */
    int iopollCheck(int minComplete, int enterFlags, MemorySegment arg, long argSizeBytes, boolean owner) {
        if ((enterFlags & IORING_ENTER_EXT_ARG) != 0) {
            // io_validate_ext_arg (6.13+): a registered wait region -> -EINVAL
            if ((enterFlags & IORING_ENTER_EXT_ARG_REG) != 0) {
                rules.fire(Rules.GET_EXT_ARG_SIZE, argSizeBytes);
                return -EINVAL;
            }
            // io_validate_ext_arg: argsz must be sizeof(struct io_uring_getevents_arg) -> -EINVAL
            if (argSizeBytes != IoUringGeteventsArg.SIZE_BYTES) {
                rules.fire(Rules.GET_EXT_ARG_SIZE, argSizeBytes);
                return -EINVAL;
            }
            // io_validate_ext_arg: copy_from_user -> -EFAULT
            if (args.at(arg, 0, IoUringGeteventsArg.SIZE_BYTES) == null) {
                rules.fire(Rules.GET_EXT_ARG_FAULT, 0);
                return -EFAULT;
            }
        }
        // io_iopoll_check: a DEFER_TASKRUN ring polled by another task -> -EEXIST (io_allowed_run_tw)
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && !owner) {
            rules.fire(Rules.CQRING_WAIT_NOT_OWNER, 0);
            return -EEXIST;
        }
        // io_iopoll_check: min_events is capped at cq_entries
        int cqEntries = cq.cqEntries();
        int min = Integer.compareUnsigned(minComplete, cqEntries) > 0 ? cqEntries : minComplete;
        // io_iopoll_check: check_cq's overflow bit -> __io_cqring_overflow_flush
        overflow.flush();
        // io_iopoll_check: events already in the CQ -> 0 at once, without polling
        if (cq.userEvents() != 0) {
            rules.fire(Rules.IOPOLL_CHECK, Integer.toUnsignedLong(cq.userEvents()));
            return 0;
        }
        int events = 0;
        do {
            // io_iopoll_check: with an empty iopoll list or task work pending, io_run_local_work_locked and
            // io_run_task_work; then an empty list ends the loop (some requests do not go through it)
            if (iopoll == null || iopoll.isEmpty() || taskWork.pending()) {
                taskWork.runForWait(min, Math.max(TaskWork.LOCAL_TW_DEFAULT_MAX, min));
                if (iopoll == null || iopoll.isEmpty()) {
                    break;
                }
            }
            // io_do_iopoll: every request on the list has its result here, so one poll posts them all
            events += iopoll.doIopoll();
        } while (Integer.compareUnsigned(events, min) < 0);
        rules.fire(Rules.IOPOLL_CHECK, Integer.toUnsignedLong(cq.userEvents()));
        return 0;
    }

    /**
     * {@code io_cqring_wait} after its argument checks. Returns 0 when {@code minEvents} CQEs are visible; when they
     * never can be, -ETIME or 0 with a timeout, -EINTR without.
     */
    private int cqringWait(int minEvents, boolean timeoutGiven, long deadline, long sigmask, long sigmaskSize,
            boolean sigmaskReadable) {
        lastWaitWouldBlock = false;
        // io_cqring_wait: iowq.nr_timeouts = atomic_read(&ctx->cq_timeouts)
        int timeoutsAtStart = cqTimeouts.getAsInt();
        // io_cqring_wait: io_run_local_work, io_run_task_work, overflow flush, then the check
        taskWork.runForWait(minEvents, Math.max(TaskWork.LOCAL_TW_DEFAULT_MAX, minEvents));
        overflow.flush();
        if (Integer.compareUnsigned(cq.userEvents(), minEvents) >= 0) {
            return 0;
        }
        // io_cqring_wait: set_user_sigmask before the first sleep
        int sigmaskError = setUserSigmask(sigmask, sigmaskSize, sigmaskReadable);
        if (sigmaskError != 0) {
            lastWaitWouldBlock = true;
            return sigmaskError;
        }
        // The wait loop: each wake-up runs task work and flushes the overflow list; the model repeats it for as
        // long as that makes progress, then asks the waiter whether anything can still wake it.
        while (true) {
            int before = cq.userEvents();
            boolean hadWork = taskWork.pending();
            int missing = minEvents - before;
            // io_cqring_wait's loop: io_run_local_work(ctx, nr_wait, nr_wait)
            taskWork.runForWait(missing, missing);
            overflow.flush();
            if (Integer.compareUnsigned(cq.userEvents(), minEvents) >= 0) {
                return 0;
            }
            // io_should_wake: a timeout that fired since the wait began ends it, whatever the count
            if (cqTimeouts.getAsInt() != timeoutsAtStart) {
                rules.fire(Rules.CQRING_WAIT_TIMEOUT_WAKES, Integer.toUnsignedLong(cq.userEvents()));
                return 0;
            }
            if (!hadWork && cq.userEvents() == before && !kernel.waiter().sleep(fd, deadline)) {
                break;
            }
        }
        lastWaitWouldBlock = true;
        rules.fire(Rules.CQRING_WAIT_WOULD_BLOCK, Integer.toUnsignedLong(minEvents - cq.userEvents()));
        // io_cqring_wait_schedule: a pending signal -> -EINTR, with or without a timeout; io_cqring_wait's last line
        // answers 0 instead when the CQ holds CQEs (-EINTR, not -ERESTARTSYS: SA_RESTART never restarts the enter)
        if (kernel.waiter().signalled()) {
            return cq.userRingEmpty() ? -EINTR : 0;
        }
        if (timeoutGiven) {
            // io_cqring_wait: a timeout gives -ETIME only if the CQ is empty at the end
            return cq.userRingEmpty() ? -ETIME : 0;
        }
        return -EINTR;
    }
}
