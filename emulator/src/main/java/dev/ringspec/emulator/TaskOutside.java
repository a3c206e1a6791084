package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;

import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.Ring;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A ring's task outside the emulator, in the application's own code, and the task work it runs there: the kernel's
 * task runs the work queued for it with TWA_SIGNAL on its way back to user space from whatever it was doing, not
 * only from {@code io_uring_enter}. The calling thread acts as the ring's task: it runs the ring's pending task work
 * with an empty enter under the ring's lock ({@link #runTaskWork}).
 */
final class TaskOutside {
    private final ModelIoUring model;
    private final Readiness readiness;
    /** Each live ring's lock, by descriptor (the emulator's; an SQPOLL ring has none here). */
    private final Map<Integer, ReentrantLock> ringLocks;

    /** The deterministic mode's look at the wakeups the task's own syscall made; nothing in the threaded mode. */
    private final Runnable ownWakeups;
    /** The deterministic mode's scheduler, or null in the threaded mode. */
    private final DeterministicScheduler scheduler;

    TaskOutside(ModelIoUring model, Readiness readiness, Map<Integer, ReentrantLock> ringLocks,
            DeterministicScheduler scheduler) {
        this.model = model;
        this.readiness = readiness;
        this.ringLocks = ringLocks;
        this.ownWakeups = scheduler == null ? () -> { } : scheduler::ownWakeups;
        this.scheduler = scheduler;
    }

    /**
     * Ring {@code ring}'s task is back from a syscall of its own outside the emulator (a write to a socket or a pipe,
     * a connect, a close). A wakeup that syscall made ran inside it and queued the woken request's task work for
     * the request's task (io_uring/poll.c io_poll_wake -> __io_poll_execute -> io_req_task_work_add), whoever armed
     * the poll: the task itself, or an io-wq worker of its own whose try without blocking answered -EAGAIN
     * (io_wq_submit_work -> io_arm_poll_handler), since the request's task stays the submitter's ({@code
     * req->tctx}). On a ring without DEFER_TASKRUN that is {@code task_work_add(tctx->task, ..., TWA_SIGNAL)} (or
     * TWA_SIGNAL_NO_IPI with COOP_TASKRUN) to the calling task itself, which sets its TIF_NOTIFY_SIGNAL; the task
     * runs the work on that syscall's way back to user space (exit_to_user_mode_loop -> arch_do_signal_or_restart
     * -> get_signal -> task_work_run), not at its next {@code io_uring_enter}. A forced-async request goes from
     * there to io-wq again (io_req_task_submit: REQ_F_FORCE_ASYNC -> io_queue_iowq), whose worker posts its CQE on
     * its own, so the CQE follows the write and no call into io_uring is needed (WorldIoWqIssueTest). A
     * DEFER_TASKRUN ring's work waits for a GETEVENTS enter, an SQPOLL ring's for its SQ thread.
     */
    void ownCallReturned(Ring ring) {
        ownWakeups.run();
        wakeSleepingTask(ring);
    }

    /**
     * Ring {@code ring}'s task sleeps outside the emulator (a nanosleep) while its time passes: task work queued for
     * it with TWA_SIGNAL, or TWA_SIGNAL_NO_IPI on a COOP_TASKRUN ring, wakes an interruptible sleep
     * ({@code __set_notify_signal}: {@code wake_up_state(task, TASK_INTERRUPTIBLE)}), and the task runs the work
     * before it sleeps again, so a multishot TIMEOUT's completion starts its next period then ({@code
     * io_timeout_complete}). A DEFER_TASKRUN ring's local work waits for a GETEVENTS enter; an SQPOLL ring's thread
     * runs its own.
     */
    void wakeSleepingTask(Ring ring) {
        if ((ring.params().flags() & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL)) == 0) {
            runTaskWork(ring);
        }
    }

    /**
     * Ring {@code ring}'s task goes to sleep outside the emulator (a nanosleep while the world's clock advances), in
     * the deterministic mode. The CPU it leaves goes to io-wq's workers, which run concurrently with the task
     * (io_uring/io-wq.c io_worker_handle_work): work still running ({@link IoWqChoices#IOWQ_STILL_RUNNING}) counts the
     * sleep as one of the task's calls, and work whose count that spends finishes in the sleep. A file such work makes
     * ready wakes all its waiters at once: a poll's task work wakes the sleeping task (io_uring/poll.c io_poll_wake ->
     * io_req_task_work_add, TWA_SIGNAL: kernel/task_work.c task_work_add -> __set_notify_signal -> wake_up_state),
     * which runs it, while an io-wq worker waiting in its call there is made runnable on its own CPU; who reads first
     * is {@link DeterministicScheduler#TASK_WORK_BEFORE_A_WOKEN_WORKER}'s, as at an enter (world lockstep seed 198: a
     * SPLICE from the data file into the pipe, on io-wq since enters before, finished while the task slept 20 ms, and
     * the READV whose poll it woke read the 16 bytes before the SPLICE that waited on that pipe). Then the task runs
     * its task work ({@link #wakeSleepingTask}). A DEFER_TASKRUN or SQPOLL ring's task runs none of it, and its io-wq
     * work keeps the calls it counts ({@link IoWqChoices#IOWQ_RACES_DEFER_TASKRUN_WAIT}).
     */
    void taskSleeps(Ring ring) {
        ReentrantLock lock = ringLocks.get(ring.fd());
        if (scheduler != null && lock != null
                && (ring.params().flags() & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL)) == 0) {
            lock.lock();
            try {
                readiness.enterBegins();
                try {
                    scheduler.whileTheTaskSleeps(() -> runTaskWork(ring));
                } finally {
                    readiness.afterEnter();
                }
            } finally {
                lock.unlock();
            }
        }
        wakeSleepingTask(ring);
    }

    /**
     * Runs ring {@code ring}'s pending task work from the calling thread, which acts as the ring's task (see
     * {@link TaskWorkInterrupts}): an empty enter under the ring's lock.
     */
    void runTaskWork(Ring ring) {
        ReentrantLock lock = ringLocks.get(ring.fd());
        if (lock == null) {
            return;
        }
        lock.lock();
        try {
            if (ringLocks.get(ring.fd()) == lock && model.taskWorkPending(ring.fd())) {
                readiness.enterBegins();
                try {
                    model.enter(ring, 0, 0, 0, MemorySegment.NULL, 0);
                } finally {
                    readiness.afterEnter();
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
