package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Task work (io_uring/tw.c): requests queued to run in the task's context, FIFO (the kernel reverses its llist
 * before running it). On a ring without DEFER_TASKRUN the task runs all of it before the syscall returns
 * ({@code tctx_task_work_run}); on a DEFER_TASKRUN ring it runs as local work, only when the task waits
 * ({@code __io_run_local_work}), at most {@link #LOCAL_TW_DEFAULT_MAX} items a run unless the wait asks for more.
 * What an item does is its {@link Req#twAction()}, run by the {@link Runner} above (ring-semantics.md A3).
 *
 * <p>Work queued from another thread ({@link #addRemote}: a completion from outside the ring's task) waits in a
 * concurrent queue until the task runs task work; nothing in the model itself queues remotely.
 */
final class TaskWork {
    /** {@code IO_LOCAL_TW_DEFAULT_MAX}: the local task work items one run takes, unless the caller waits for more. */
    static final int LOCAL_TW_DEFAULT_MAX = 20;

    /** Runs a task work item ({@code req->io_task_work.func}) and flushes the completions a pass made. */
    interface Runner {
        void runTaskWork(Req req, int action);

        /** {@code __io_submit_flush_completions}. */
        void flushCompletions();

        /**
         * The task is about to run item {@code item} (0 the first) of a pass of normal task work
         * ({@code io_handle_tw_list}'s loop): an io-wq worker may have finished before it
         * ({@link IoWq#beforeTaskWork}).
         */
        default void beforeItem(int item) {
        }
    }

    private final int flags;
    private final KernelProfile.LocalWork localWork;
    private final boolean lifo;
    private final RingLayout layout;
    private final RuleSink rules;
    private final boolean mLocalTaskWorkUncapped;
    private Runner runner;
    private volatile MemorySegment rings;

    private Req[] tw = new Req[64];
    private int twHead;
    private int twCount;
    /** How many items at the front of {@link #tw} an earlier local run left over (the kernel's retry list). */
    private int twRetry;
    /**
     * While a local run runs a list it took ({@link #runItems}), how many of its items at the front of {@link #tw}
     * have not run yet, else -1: they are off {@code ctx->work_llist} (the retry list, or the {@code llist_del_all}
     * of {@code __io_run_local_work}), so work queued behind them finds that list empty ({@link #offTheWorkList}).
     */
    private int runningLeft = -1;
    private final ConcurrentLinkedQueue<Req> remote = new ConcurrentLinkedQueue<>();
    /** How many {@link #addRemote} calls are inside the ring now; {@link #release} and {@link #remap} wait for 0. */
    private final AtomicInteger remoteAdders = new AtomicInteger();
    /** Set by {@link #release}: the ring is going, and work from other threads is dropped. */
    private volatile boolean released;
    private volatile boolean remotePending;
    private volatile Runnable localWorkAdded;
    /** Run before the task queues work of its own ({@link #beforeAdd}). */
    private volatile Runnable beforeAdd = () -> { };
    /** The task's task work that is not io_uring's ({@link #otherTaskWork}). */
    private volatile Runnable otherTaskWork = () -> { };
    /** Run as normal task work starts ({@link #beforeRun}). */
    private volatile BooleanSupplier beforeRun = () -> false;

    /** The ring's descriptor, for the chooser. */
    private final int fd;
    /** The calling thread's task ({@code current->io_uring}): whose work a run is. */
    private final java.util.function.Supplier<IoUringTask> currentTask;
    private volatile Chooser chooser = Chooser.DEFAULT;

    TaskWork(int flags, KernelProfile profile, RuleSink rules, Set<Mutant> mutants, int fd,
            java.util.function.Supplier<IoUringTask> currentTask) {
        this.flags = flags;
        this.fd = fd;
        this.currentTask = currentTask;
        this.localWork = profile.localWork();
        this.lifo = profile.taskWorkLifo();
        this.layout = profile.ringLayout();
        this.rules = rules;
        this.mLocalTaskWorkUncapped = mutants.contains(Mutant.LOCAL_TASK_WORK_UNCAPPED);
    }

    /** From now on {@code c} decides {@link Choice#TASK_WORK_OF_ANOTHER_TASK}. */
    void choose(Chooser c) {
        this.chooser = c;
    }

    void runner(Runner taskWorkRunner) {
        this.runner = taskWorkRunner;
    }

    /**
     * Takes a new mapping generation; returns once no other thread's {@link #addRemote} can still write into the one
     * before, which the caller then frees (a resize closes its arena).
     */
    void remap(Regions regions) {
        this.rings = regions.rings();
        awaitRemoteAdders();
    }

    /**
     * The ring is going ({@code io_ring_exit_work}, before {@code io_ring_ctx_free}): from now on work another thread
     * queues is dropped, and this returns once no {@link #addRemote} is inside the ring any more, so that none
     * touches its memory after the caller frees it. The kernel never writes a freed ring: {@code io_ring_exit_work}
     * cancels the ring's polls and requests ({@code io_uring_try_cancel_requests}, {@code io_poll_remove_all}) and
     * waits for their references before {@code io_ring_ctx_free}, and a wakeup that raced the cancellation finds
     * its request taken ({@code io_poll_get_ownership} fails, or its task work runs as {@code io_fallback_tw} and
     * {@code io_should_terminate_tw} cancels it): what it queues posts nothing anyone can read.
     */
    void release() {
        released = true;
        awaitRemoteAdders();
    }

    /** Waits until no {@link #addRemote} that may have read {@link #rings} before the caller's change is running. */
    private void awaitRemoteAdders() {
        // the adders never block (their hooks signal an eventfd or wake polls, whose work is another ring's
        // addRemote), so this is short
        for (int spins = 0; remoteAdders.get() != 0; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * Runs {@code hook} where {@code io_req_local_work_add} finds the list empty on a DEFER_TASKRUN ring (and calls
     * {@code io_eventfd_signal}), on the thread that queued the work; after the hooks added before it (a registered
     * eventfd and a poll of the ring's own descriptor both wait for that moment: one does not replace the other).
     */
    synchronized void onLocalWorkAdd(Runnable hook) {
        Runnable before = localWorkAdded;
        localWorkAdded = before == null ? hook : () -> {
            before.run();
            hook.run();
        };
    }

    /**
     * Runs {@code hook} before the task queues work of its own ({@link AsyncPoll#ownWakeups}): what it hands to
     * {@link #addRemote} then comes first.
     */
    void beforeAdd(Runnable hook) {
        beforeAdd = hook;
    }

    /**
     * Runs {@code hook} as {@link #runNormal} starts, before the task's {@code tctx->task_work}: for the task work
     * {@code task_work_run} runs first (queued after it: kernel/task_work.c runs the list newest first); when the
     * hook did something, the own wakeups it made are looked at ({@link #beforeAdd}'s hook) before the run.
     */
    void beforeRun(BooleanSupplier hook) {
        beforeRun = hook;
    }

    /**
     * {@code hook} is the ring's task work queued with {@code task_work_add} rather than on its task work lists (the
     * poll wait queue's activation, {@link RingPoll}): {@code task_work_run} runs it as the syscall returns and
     * {@code io_run_task_work} in a wait, after the local work on a DEFER_TASKRUN ring; it does nothing when nothing
     * is queued.
     */
    void otherTaskWork(Runnable hook) {
        otherTaskWork = hook;
    }

    /** Whether work of the calling task's own ({@code req->tctx}: it, or none recorded) is queued. */
    boolean ownQueued() {
        IoUringTask own = currentTask.get();
        for (int i = 0; i < twCount; i++) {
            IoUringTask t = tw[(twHead + i) & (tw.length - 1)].tctx();
            if (t == null || t == own) {
                return true;
            }
        }
        return false;
    }

    /** {@code io_req_task_work_add}: queue, and raise IORING_SQ_TASKRUN on a TASKRUN_FLAG ring. */
    void add(Req req, int action) {
        beforeAdd.run();
        boolean first = (flags & IORING_SETUP_DEFER_TASKRUN) != 0 && twCount == offTheWorkList() && remote.isEmpty();
        // one list for work from every thread (io_req_local_work_add: llist_add; io_req_normal_work_add keeps one
        // per submitting task, which Choice.TASK_WORK_OF_ANOTHER_TASK stands for), so what another thread queued
        // before this item runs before it
        takeRemote();
        queue(req, action);
        Runnable hook = localWorkAdded;
        if (first && hook != null) {
            hook.run();
        }
    }

    private void queue(Req req, int action) {
        req.twAction(action);
        // 7.2+: the mpscq marks IORING_SQ_TASKRUN only for a push onto an empty queue (7.2.13 tw.c,
        // io_req_local_work_add and io_req_normal_work_add: mpscq_push returns whether it was empty); a run no
        // longer empties the queue before it starts, so work queued behind pending work leaves the flag as the
        // run cleared it (found by lockstep on 7.2.13: seed 264)
        boolean mark = localWork != KernelProfile.LocalWork.LIVE_FIFO || twCount == 0;
        if (twCount == tw.length) {
            tw = ReqCache.grow(tw, twHead, twCount);
            twHead = 0;
        }
        tw[(twHead + twCount++) & (tw.length - 1)] = req;
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0 && mark) {
            // io_req_task_work_add: a TASKRUN_FLAG ring raises IORING_SQ_TASKRUN for the application
            rules.fire(Rules.TW_ADD_SETS_TASKRUN, req.userData());
            Regions.orSqFlags(layout, rings, IORING_SQ_TASKRUN);
        }
    }

    /**
     * {@code io_req_task_work_add} from another thread: the request waits in a concurrent queue and joins the task
     * work when the task next runs it. The only method of the ring that may be called from another thread; once the
     * ring is {@link #release}d it drops the request.
     */
    void addRemote(Req req, int action) {
        // released and remoteAdders are volatile, read and written in opposite orders here and in release: either
        // release sees this adder and waits for it, or this adder sees released and leaves the ring alone
        remoteAdders.incrementAndGet();
        try {
            if (released) {
                return; // release: the ring is going, and its cancellation takes the request with it
            }
            addRemoteLive(req, action);
        } finally {
            remoteAdders.decrementAndGet();
        }
    }

    private void addRemoteLive(Req req, int action) {
        req.twAction(action);
        boolean wasEmpty = remote.isEmpty();
        remote.add(req);
        remotePending = true;
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0 && (localWork != KernelProfile.LocalWork.LIVE_FIFO || wasEmpty)) {
            // io_req_task_work_add from another context: a TASKRUN_FLAG ring raises IORING_SQ_TASKRUN at once, so
            // the application knows to enter (as add does; no rule event, which belongs to the ring's thread)
            Regions.orSqFlags(layout, rings, IORING_SQ_TASKRUN);
        }
        // io_req_local_work_add: the first work on an empty list signals the eventfd (the ring's own list is read
        // without its thread's order: work it queues at this moment may or may not count, as on the kernel's llist)
        Runnable hook = localWorkAdded;
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && wasEmpty && twCount == offTheWorkList() && hook != null) {
            hook.run();
        }
    }

    /**
     * How many items at the front of {@link #tw} are not on the kernel's {@code work_llist}: the retry list, or while
     * a local run runs a list it took, what of it has not run yet ({@link #runningLeft}). 6.18 {@code
     * __io_run_local_work} takes the whole work list before it runs an item ({@code llist_del_all}), so an item that
     * queues task work (a linked request's issue, whose NOP with IORING_NOP_TW queues its completion) finds the list
     * empty and {@code io_req_local_work_add} signals the eventfd, before the items after it in the run (world
     * lockstep seed 3099: a READV of the ring's eventfd, later in that run, read the count with that signal).
     */
    private int offTheWorkList() {
        return runningLeft >= 0 ? runningLeft : twRetry;
    }

    /** Moves the work other threads queued behind the task's own; false when there was none. */
    private boolean takeRemote() {
        if (!remotePending) {
            return false;
        }
        remotePending = false;
        for (Req req = remote.poll(); req != null; req = remote.poll()) {
            queue(req, req.twAction());
        }
        return twCount != 0;
    }

    boolean pending() {
        return twCount != 0 || remotePending;
    }

    /** Runs the task work queued right now (one pass); returns how many items ran. */
    private int runPass() {
        int n = twCount;
        if (lifo) {
            newestFirst(n);
        }
        for (int i = 0; i < n; i++) {
            runItem();
        }
        return n;
    }

    /**
     * {@code __io_run_local_work_loop}: runs items from the front of the queue, at most {@code available} of them,
     * stopping once {@code events} have run; like the kernel's loop it runs one before it first compares, so an
     * {@code events} of 0 or less still runs one. Returns how many ran.
     */
    private int runItems(int available, int events) {
        int ran = 0;
        int outer = runningLeft;
        try {
            while (available-- > 0) {
                runningLeft = available;
                runItem();
                if (++ran >= events) {
                    break;
                }
            }
        } finally {
            runningLeft = outer;
        }
        return ran;
    }

    /**
     * {@link Choice#TASK_WORK_OF_ANOTHER_TASK}: where the {@code n} items of a run include work of a request another
     * task submitted ({@code req->tctx}'s own list in the kernel, which that task runs), the chooser may put those
     * items before or after the calling task's own, each group in queue order. Asked only where a chooser is set.
     */
    private void anotherTasksWork(int n) {
        Chooser c = chooser;
        if (c == Chooser.DEFAULT) {
            return;
        }
        IoUringTask own = currentTask.get();
        int count = 0;
        for (int i = 0; i < n; i++) {
            IoUringTask t = tw[(twHead + i) & (tw.length - 1)].tctx();
            count += t != null && t != own ? 1 : 0;
        }
        if (count == 0 || count == n) {
            return;
        }
        int outcome = c.choose(Choice.TASK_WORK_OF_ANOTHER_TASK, fd);
        if (outcome == 0) {
            return;
        }
        Req[] ordered = new Req[n];
        int first = outcome == 1 ? 0 : n - count;
        int rest = outcome == 1 ? count : 0;
        for (int i = 0; i < n; i++) {
            Req r = tw[(twHead + i) & (tw.length - 1)];
            IoUringTask t = r.tctx();
            ordered[t != null && t != own ? first++ : rest++] = r;
        }
        for (int i = 0; i < n; i++) {
            tw[(twHead + i) & (tw.length - 1)] = ordered[i];
        }
    }

    /**
     * 6.1 swaps the llist out and walks it from its head, the item added last, without reversing it
     * (6.1.192 io_uring.c, {@code handle_tw_list} and {@code __io_run_local_work}): the {@code n} items at the
     * front run newest first; what they queue forms the next batch.
     */
    private void newestFirst(int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            int a = (twHead + i) & (tw.length - 1);
            int b = (twHead + j) & (tw.length - 1);
            Req t = tw[a];
            tw[a] = tw[b];
            tw[b] = t;
        }
    }

    private void runItem() {
        Req req = tw[twHead];
        tw[twHead] = null;
        twHead = (twHead + 1) & (tw.length - 1);
        twCount--;
        int action = req.twAction();
        req.twAction(0);
        runner.runTaskWork(req, action);
    }

    /**
     * The task's task work on a ring without DEFER_TASKRUN ({@code tctx_task_work_run}): everything, pass after
     * pass, before the syscall returns to user space; {@code ctx_flush_and_put} clears IORING_SQ_TASKRUN.
     */
    void runNormal() {
        beforeRun.getAsBoolean();
        // the wakeups the task's own syscalls made (and those the hook's work made) reach their requests before the
        // run: the kernel's ran inside those syscalls (pipe_write -> io_poll_wake), so one that finds its request's
        // task work already pending only adds a reference (io_poll_get_ownership fails), and io_poll_check_events
        // drops both in one pass with one CQE; the emulator sees them at AsyncPoll.ownWakeups
        beforeAdd.run();
        takeRemote();
        while (twCount != 0) {
            rules.fire(Rules.TCTX_TASK_WORK_RUN, twCount);
            anotherTasksWork(twCount);
            int held = runNormalPass();
            if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0) {
                Regions.andNotSqFlags(layout, rings, IORING_SQ_TASKRUN);
            }
            int before = twCount;
            runner.flushCompletions();
            takeRemote();
            if (held > 0) {
                // what the flush queued (a linked timeout's cancellation: io_queue_next) goes before them too
                moveBefore(before - held, twCount - before, held);
            }
        }
    }

    /**
     * One pass of {@link #runNormal}: the items queued now, in turn; but once an io-wq worker's completion
     * ({@link IoWq.WorkerCompletion}) of a request with a link (whose completion queues task work: a linked
     * timeout's cancellation, {@code io_disarm_next}) ran, the task's run may come after that or any later worker's
     * completion while another one is still to come in the pass ({@link #taskRunsHere}), which ends the pass. Answers
     * how many workers' completions it held back for after what the pass and its flush queue, or 0.
     */
    private int runNormalPass() {
        int n = twCount;
        if (lifo) {
            newestFirst(n);
        }
        boolean linked = false;
        for (int i = 0; i < n; i++) {
            runner.beforeItem(i);
            Req next = tw[twHead];
            boolean posted = chooser != Chooser.DEFAULT && workerPosts(next);
            linked |= posted && next.link() != null;
            runItem();
            int held = posted && linked ? taskRunsHere(n - i - 1) : 0;
            if (held > 0) {
                return held;
            }
        }
        return 0;
    }

    /**
     * {@link Choice#TASK_WORK_BETWEEN_IOWQ_POSTS}, asked where a chooser is set, on a ring whose workers post their
     * own CQEs, while a worker's completion is among the {@code left} items still to run in this pass: when the
     * task's run comes here, the pass ends; what is left of it but the workers' completions (task work queued before
     * the run) stays first, then comes the work queued during the pass, then those completions, whose number it
     * answers (else 0).
     */
    private int taskRunsHere(int left) {
        if ((flags & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_IOPOLL)) != 0) {
            return 0;
        }
        int mask = tw.length - 1;
        int workers = 0;
        for (int i = 0; i < left; i++) {
            workers += workerPosts(tw[(twHead + i) & mask]) ? 1 : 0;
        }
        if (workers == 0 || chooser.choose(Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, fd) == 0) {
            return 0;
        }
        Req[] ordered = new Req[twCount];
        int k = 0;
        for (int i = 0; i < left; i++) {
            Req r = tw[(twHead + i) & mask];
            if (!workerPosts(r)) {
                ordered[k++] = r;
            }
        }
        for (int i = left; i < twCount; i++) {
            ordered[k++] = tw[(twHead + i) & mask];
        }
        for (int i = 0; i < left; i++) {
            Req r = tw[(twHead + i) & mask];
            if (workerPosts(r)) {
                ordered[k++] = r;
            }
        }
        for (int i = 0; i < twCount; i++) {
            tw[(twHead + i) & mask] = ordered[i];
        }
        return workers;
    }

    /** Moves the {@code count} items after position {@code from + held} of the queue before the {@code held} at it. */
    private void moveBefore(int from, int count, int held) {
        int mask = tw.length - 1;
        Req[] moved = new Req[held + count];
        for (int i = 0; i < count; i++) {
            moved[i] = tw[(twHead + from + held + i) & mask];
        }
        for (int i = 0; i < held; i++) {
            moved[count + i] = tw[(twHead + from + i) & mask];
        }
        for (int i = 0; i < moved.length; i++) {
            tw[(twHead + from + i) & mask] = moved[i];
        }
    }

    /** Whether a queued item is an io-wq worker's completion, which the kernel's worker posts itself. */
    private static boolean workerPosts(Req r) {
        return r.twAction() == Req.TW_FUNC && r.twFunc() instanceof IoWq.WorkerCompletion;
    }

    /**
     * {@code io_run_local_work(ctx, min_events, max(IO_LOCAL_TW_DEFAULT_MAX, min_events))}, as the enter path and
     * the start of a wait call it.
     */
    void runLocal(int minEvents) {
        runLocal(minEvents, Math.max(LOCAL_TW_DEFAULT_MAX, minEvents));
    }

    /**
     * {@code __io_run_local_work} on a DEFER_TASKRUN ring: clears IORING_SQ_TASKRUN; each pass runs first what an
     * earlier run left over (the retry list), then the work queued since, at most {@code maxEvents} items a pass,
     * leaving the rest for later; it flushes, and makes another pass only while the pass ran fewer than
     * {@code minEvents} ({@code io_run_local_work_continue}); work left over raises IORING_SQ_TASKRUN again.
     */
    void runLocal(int minEvents, int maxEvents) {
        // the task's own wakeups first, as runNormal takes them
        beforeAdd.run();
        takeRemote();
        if (twCount == 0) {
            return; // the callers check io_local_work_pending first
        }
        if (mLocalTaskWorkUncapped || localWork == KernelProfile.LocalWork.UNCAPPED) {
            // __io_run_local_work before 6.13: every item of each pass, no cap and no retry list (the cap came
            // with upstream f46b9cdb "io_uring: limit local tw done"; 6.12.117 io_uring.c, __io_run_local_work)
            maxEvents = Integer.MAX_VALUE;
        }
        rules.fire(Rules.RUN_LOCAL_WORK, twCount);
        if (localWork == KernelProfile.LocalWork.RUN_TO_EMPTY) {
            runLocalToEmpty();
            return;
        }
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0) {
            Regions.andNotSqFlags(layout, rings, IORING_SQ_TASKRUN);
        }
        int ret = 0;
        if (localWork == KernelProfile.LocalWork.LIVE_FIFO) {
            while (true) {
                minEvents -= ret;
                // __io_run_local_work_loop (7.2+, the mpscq of io_uring/tw.c): pops from the live FIFO, work the
                // items queue included, comparing before each pop, so a pass runs at most maxEvents; no retry list
                ret = 0;
                while (ret < maxEvents && (takeRemote() || twCount != 0)) {
                    runItem();
                    ret++;
                }
                if (localWorkContinues(ret, minEvents)) {
                    continue;
                }
                runner.flushCompletions();
                if (localWorkContinues(ret, minEvents)) {
                    continue;
                }
                return;
            }
        }
        while (true) {
            minEvents -= ret;
            // the retry list: what earlier runs left, at the front of the queue
            ret = runItems(twRetry, maxEvents);
            twRetry -= ret;
            if (twRetry == 0) {
                // the work list, all of it taken at once (llist_del_all: it includes what the retry items just
                // queued and what other threads queued since the last pass); what this pass does not run becomes
                // the retry list
                takeRemote();
                int work = twCount;
                int ran = runItems(work, maxEvents - ret);
                ret += ran;
                twRetry = work - ran;
                if (localWorkContinues(ret, minEvents)) {
                    continue;
                }
            }
            runner.flushCompletions();
            if (localWorkContinues(ret, minEvents)) {
                continue;
            }
            return;
        }
    }

    /**
     * {@code __io_run_local_work} in 6.1: batch after batch, each newest first, until the list stays empty,
     * whatever the caller waits for; IORING_SQ_TASKRUN cleared after the first batch, completions flushed once at
     * the end (6.1.192 io_uring.c).
     */
    private void runLocalToEmpty() {
        boolean first = true;
        while (twCount != 0) {
            runPass();
            if (first && (flags & IORING_SETUP_TASKRUN_FLAG) != 0) {
                Regions.andNotSqFlags(layout, rings, IORING_SQ_TASKRUN);
            }
            first = false;
            takeRemote();
        }
        runner.flushCompletions();
    }

    /** {@code io_run_task_work_ctx} as 6.1's {@code io_uring_register} calls it: local work, all of it. */
    void runLocalForRegister() {
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0) {
            takeRemote();
            if (twCount != 0) {
                runLocal(0, Integer.MAX_VALUE);
            }
        }
    }

    /** {@code io_run_local_work_continue}: another pass while work is left and too few ran; else mark it. */
    private boolean localWorkContinues(int events, int minEvents) {
        // io_local_work_pending: work other threads queued during the run counts too
        if (!pending()) {
            return false;
        }
        if (events < minEvents) {
            return true;
        }
        // io_run_local_work_continue: work left over after IO_LOCAL_TW_DEFAULT_MAX raises IORING_SQ_TASKRUN again
        rules.fire(Rules.LOCAL_WORK_CAPPED, twCount);
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0) {
            Regions.orSqFlags(layout, rings, IORING_SQ_TASKRUN);
        }
        return false;
    }

    /** Task work of the calling task, the way the syscall return path runs it. */
    void runOnReturn() {
        otherTaskWork.run();
        if ((flags & IORING_SETUP_DEFER_TASKRUN) == 0) {
            runNormal();
        }
    }

    /** The task's work, as a wait runs it: local work on a DEFER_TASKRUN ring, else normal task work. */
    void runForWait(int minEvents, int maxEvents) {
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0) {
            runLocal(minEvents, maxEvents);
            // io_cqring_wait: io_run_task_work after the local work
            otherTaskWork.run();
        } else {
            runNormal();
        }
    }
}
