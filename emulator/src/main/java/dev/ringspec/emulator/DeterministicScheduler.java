package dev.ringspec.emulator;

import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.Clock;
import dev.ringspec.model.Waiter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The emulator's deterministic mode: no threads of its own. io-wq work, readiness events and timers are collected
 * at fixed points (each enter, and each time a waiting task would sleep) and handed to the rings in an order a seed
 * decides, so the same program meets the same completion order on every run. When a waiting task has nothing to
 * do, time passes: a {@link VirtualClock} jumps to the next timer or the wait's deadline (a 10-second timeout takes
 * no time); on the real clock the task sleeps in epoll until a descriptor is ready or the next deadline.
 */
final class DeterministicScheduler implements Waiter {
    /**
     * How often a waiting task looks at io-wq work that waits for the outside world ({@link WorkerPool#waitsForWorld}):
     * the descriptors it waits on are not in the task's epoll set.
     */
    private static final int WORLD_LOOK_MILLIS = 10;

    /**
     * Whether a timer due soon has fired by the time the task makes a call. The kernel's timeouts are hrtimers that
     * fire in real time (io_uring/timeout.c io_timeout_fn, io_link_timeout_fn), and their task work runs on the
     * task's next way back to user space; how much real time passes between two of the application's calls is the
     * scheduler's to decide, not the application's (world lockstep seeds 49 and 116: a LINK_TIMEOUT or TIMEOUT of 5 ms
     * fired within the step of the enter that armed it, whose kernel side waited for an io-wq STATX or FSYNC under
     * load). The virtual clock moves only when told; so where a chooser is set, each call on the virtual clock asks,
     * while the next timer is due within {@value #DUE_SOON_MILLIS} ms: 0 (the default) not yet; 1 the clock reached
     * that timer's deadline before the call, after the io-wq work that finished by the call (seed 49: a STATX's CQE,
     * then the LINK_TIMEOUT's); 2 before that work too (an io-wq item that took longer than the timer). The timer
     * fires with those due with it. A timer due later (the world's 1,000 s) is never asked about.
     */
    static final Choice TIMER_FIRES_BEFORE_THE_CALL = new Choice("TIMER_FIRES_BEFORE_THE_CALL", "io_timeout_fn",
            "io_uring/timeout.c io_timeout_fn and io_link_timeout_fn (hrtimer callbacks, real time: "
                    + "io_req_task_work_add), run by the task on its way back to user space",
            List.of("not yet", "fired before the call", "fired before the call and its io-wq work"), 0);
    /** How soon a timer must be due for {@link #TIMER_FIRES_BEFORE_THE_CALL} to be asked. */
    static final long DUE_SOON_MILLIS = 20;

    /**
     * Who takes a file's bytes first when the world makes it ready for an io-wq worker waiting in its call and for
     * requests waiting in polls at once. A pipe's write wakes every waiter of its wait queue in one walk, with the
     * pipe's mutex already dropped (fs/pipe.c pipe_write: wake_up_interruptible_sync_poll on rd_wait;
     * kernel/sched/wait.c __wake_up_common): the worker, which waits in the call itself (fs/splice.c
     * splice_from_pipe_next -> fs/pipe.c pipe_wait_readable: wait_event_interruptible), is made runnable
     * (try_to_wake_up) and takes the mutex again on its own CPU when the scheduler runs it; a poll's entry queues its
     * request's task work (io_uring/poll.c io_poll_wake -> __io_poll_execute -> io_req_task_work_add), which the task
     * runs on its way back to user space, where the request is issued again and reads. Nothing orders the two. The
     * same holds where the waker is io-wq work of the ring itself, such as a SPLICE into that pipe (fs/splice.c
     * splice_file_to_pipe -> wakeup_pipe_readers, after pipe_unlock): world lockstep seed 198.
     * Asked where an enter begins, after a wakeup of polls, while such a worker can go on. Outcome 0 (the default):
     * the worker first; 1: the entering task's task work first, then the worker (world lockstep seed 600:
     * WorldPipeWaitersTest's kernel, 6.18.44, took the worker first in 7 of 12 runs under load 10 to 20 and the task
     * work first in the other 5, in 20 of 20 at load 2, and in 13 of 20 at load 15; WorldIoWqWakesPipeWaitersTest's,
     * woken by a SPLICE on io-wq, the task work first in 7 of 20 runs at load 13).
     */
    static final Choice TASK_WORK_BEFORE_A_WOKEN_WORKER = new Choice("TASK_WORK_BEFORE_A_WOKEN_WORKER",
            "__wake_up_common", "fs/pipe.c pipe_write (wake_up_interruptible_sync_poll after the mutex is dropped) "
                    + "and pipe_wait_readable; io_uring/poll.c io_poll_wake -> io_req_task_work_add, run by the "
                    + "task, while the woken worker runs on its own CPU",
            List.of("the worker first", "the task work first"), 0);

    private final Clock clock;
    private final Readiness readiness;
    private final WorkerPool ioWq;
    private final Timers timers;
    private final Map<Integer, boolean[]> permits = new ConcurrentHashMap<>();
    /** Whether nothing outside acts while the task waits ({@link EmulatedIoUring#withStillWorld}). */
    private volatile boolean stillWorld;
    /** Who decides {@link #TIMER_FIRES_BEFORE_THE_CALL}, or null: never before its deadline. */
    private volatile Chooser chooser;

    DeterministicScheduler(Clock clock, Readiness readiness, WorkerPool ioWq, Timers timers) {
        this.clock = clock;
        this.readiness = readiness;
        this.ioWq = ioWq;
        this.timers = timers;
    }

    /** Collects what became ready since the last look: pending io-wq work, ready descriptors, due timers. */
    int poll() {
        return poll(false, false, null);
    }

    /** {@link #pollAtEnter(boolean, Runnable)} with no task work of the entering task to run first. */
    int pollAtEnter(boolean counts) {
        return pollAtEnter(counts, null);
    }

    /**
     * {@link #poll} where an enter begins: an io-wq item may still be running there
     * ({@link IoWqChoices#IOWQ_STILL_RUNNING}), which an enter that submits or waits counts ({@code counts}); a
     * waiting task's look lets every pending item finish. {@code taskWork} runs the entering task's task work, where
     * {@link #TASK_WORK_BEFORE_A_WOKEN_WORKER} says it comes before a worker the world woke.
     */
    int pollAtEnter(boolean counts, Runnable taskWork) {
        Chooser c = chooser;
        long next = timers.nextTimeoutDeadline();
        int fired = 0;
        if (c != null && clock instanceof VirtualClock v && next != Long.MAX_VALUE && next - v.nanoTime() > 0
                && next - v.nanoTime() <= DUE_SOON_MILLIS * 1_000_000) {
            fired = c.choose(TIMER_FIRES_BEFORE_THE_CALL, -1);
        }
        if (fired == 2) {
            ((VirtualClock) clock).advanceTo(next);
        }
        int ran = poll(true, counts, taskWork);
        if (fired == 1) {
            ((VirtualClock) clock).advanceTo(next);
        }
        return ran;
    }

    /**
     * The wakeups a syscall of the task's own outside the emulator made ({@link Readiness#ownWakeups}), which queue
     * their task work inside that syscall; unless it also made io-wq work that waits in its call for the world go on
     * ({@link WorkerPool#wokenByWorld}): which of the two goes first is {@link #TASK_WORK_BEFORE_A_WOKEN_WORKER}'s,
     * asked where the next enter begins.
     */
    void ownWakeups() {
        if (!ioWq.wokenByWorld()) {
            readiness.ownWakeups();
        }
    }

    /**
     * A look at io-wq work while the task sleeps outside the emulator ({@link TaskOutside#taskSleeps}): work still
     * running counts the sleep as a call, as an enter that waits does, and what that leaves done then finishes, its
     * wakeups asking {@link #TASK_WORK_BEFORE_A_WOKEN_WORKER} with {@code taskWork}. Asks no
     * {@link #TIMER_FIRES_BEFORE_THE_CALL}: the sleep's own time passes on the clock. Answers how much ran.
     */
    int whileTheTaskSleeps(Runnable taskWork) {
        return poll(true, true, taskWork) + poll(true, false, taskWork);
    }

    /** From now on {@code c} decides {@link #TIMER_FIRES_BEFORE_THE_CALL}. */
    void withChooser(Chooser c) {
        chooser = c;
    }

    private int poll(boolean atEnter, boolean counts, Runnable taskWork) {
        int ran = 0;
        if (ioWq.wokenByWorld()) {
            ran += wokenTogether(taskWork);
        }
        // and where io-wq work itself wakes a worker waiting in its call (a SPLICE into its pipe), the same
        ran += ioWq.runPending(atEnter, counts, () -> wokenTogether(taskWork));
        ran += readiness.pollOnce(0);
        if (!(clock instanceof VirtualClock)) {
            timers.fireDue();
        }
        return ran;
    }

    /**
     * A wakeup of a file reaches all its waiters at once ({@code __wake_up_common}): the polls armed on it queue their
     * task work ({@code io_poll_wake}) before the io-wq worker that waited in its call there takes the bytes, and
     * when it takes them all, their requests arm again, newest first in the wait queue; or, where
     * {@link #TASK_WORK_BEFORE_A_WOKEN_WORKER} says so, the task runs that work first ({@code taskWork}, if not
     * null), on its way back to user space, and the worker takes what it leaves. Answers how many polls woke.
     */
    private int wokenTogether(Runnable taskWork) {
        int woke = readiness.pollOnce(0);
        Chooser c = chooser;
        if (woke > 0 && taskWork != null && c != null && c.choose(TASK_WORK_BEFORE_A_WOKEN_WORKER, -1) == 1) {
            taskWork.run();
        }
        return woke;
    }

    @Override
    public boolean sleep(int ringFd, long deadlineNanos) {
        while (true) {
            int ran = poll();
            if (takePermit(ringFd)) {
                return true;
            }
            if (ran > 0) {
                continue;
            }
            long next = Math.min(timers.nextDeadline(), deadlineNanos);
            if (clock instanceof VirtualClock v) {
                if (next == Long.MAX_VALUE) {
                    // nothing scheduled: only the outside world (a descriptor, another thread) can wake the task
                    if (!readiness.watching() && ioWq.idle()) {
                        return false;
                    }
                    if (stillWorld) {
                        if (readiness.pollOnce(0) == 0) {
                            return false; // nobody else will make a descriptor ready: it would block for ever
                        }
                        continue;
                    }
                    readiness.pollOnce(ioWq.waitsForWorld() ? WORLD_LOOK_MILLIS : -1);
                    continue;
                }
                v.advanceTo(next);
                if (next == deadlineNanos && !takePermit(ringFd)) {
                    // the wait's own deadline: let the timers due with it fire first, then give up
                    poll();
                    return takePermit(ringFd);
                }
            } else {
                long now = clock.nanoTime();
                if (deadlineNanos != NO_DEADLINE && now - deadlineNanos >= 0) {
                    return false;
                }
                long waitNanos = next == Long.MAX_VALUE ? -1 : Math.max(0, next - now);
                int waitMillis = waitNanos < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, (waitNanos + 999_999)
                        / 1_000_000);
                if (ioWq.waitsForWorld() && (waitMillis < 0 || waitMillis > WORLD_LOOK_MILLIS)) {
                    waitMillis = WORLD_LOOK_MILLIS;
                }
                readiness.pollOnce(waitMillis);
            }
        }
    }

    /** From now on nothing outside acts while the task waits (see {@link #stillWorld}). */
    void stillWorld() {
        stillWorld = true;
    }

    private boolean takePermit(int ringFd) {
        boolean[] p = permits.get(ringFd);
        if (p == null) {
            return false;
        }
        synchronized (p) {
            boolean was = p[0];
            p[0] = false;
            return was;
        }
    }

    @Override
    public void wake(int ringFd) {
        boolean[] p = permits.computeIfAbsent(ringFd, fd -> new boolean[1]);
        synchronized (p) {
            p[0] = true;
        }
        readiness.kick();
    }

    void forget(int ringFd) {
        permits.remove(ringFd);
    }
}
