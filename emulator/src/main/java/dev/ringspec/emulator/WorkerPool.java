package dev.ringspec.emulator;

import static dev.ringspec.emulator.IoWqChoices.IOWQ_COMPLETION_ORDER;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_NOT_TAKEN_YET;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_WAKES_BEFORE_IT_POSTS;
import static dev.ringspec.emulator.IoWqChoices.WOKEN_WORKER_POSTS_FIRST;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;

import dev.ringspec.model.Chooser;
import dev.ringspec.model.IoWq;
import dev.ringspec.model.IoWq.SubmitPoint;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.model.RequestTask;
import dev.ringspec.emulator.ops.IoWqHash;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The emulator's io-wq: requests the kernel hands to io-wq run on worker threads with their {@link EmuOp.Blocking}
 * form, and their result reaches the ring's task as task work ({@code io_req_task_work_add} of the completion), so
 * they complete at a time of their own, as in the kernel. An opcode without a blocking form is issued again on its
 * ring's task; one whose worker issues it as the task would ({@link EmuOp.WorkersTry}: a socket's transfers, which
 * arm their poll from there on -EAGAIN, and SHUTDOWN) is issued when the worker runs in the deterministic mode.
 */
final class WorkerPool implements IoWq, AutoCloseable {
    private final Map<Integer, EmuOp> ops;
    /** Each task's workers and their caps (IORING_REGISTER_IOWQ_MAX_WORKERS). */
    private final IoWqLimits limits;
    private final TaskExits taskExits;
    private final Readiness readiness;
    /** How a worker's completion reaches the ring's task: as that worker's ({@link IoWqCompletions#asWorker}). */
    private final Delivery delivery;
    /** How a cancelled item's completion reaches it: the cancelling task's, no worker's ({@code io_run_cancel}). */
    private final Delivery cancelled;
    private final AtomicInteger workers = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, IoWqCompletions.WORKER_NAME + workers.incrementAndGet());
        t.setDaemon(true);
        return t;
    });


    /** The worker threads' hashed work, each hash's items in turn. */
    private final IoWqHashChains chains = new IoWqHashChains(pool);

    /** The deterministic mode's workers that post their own CQEs while the ring's task is busy. */
    private final IoWqOwnPosts ownPosts = new IoWqOwnPosts(this);

    /** The deterministic mode's workers that a ring's exit interrupted, on their way to their posts. */
    private final IoWqExitPosts exitPosts = new IoWqExitPosts();

    /** The deterministic mode's work that finishes later in its submission; the worker threads' never waits. */
    private final DuringSubmit duringSubmit = new DuringSubmit();

    /** The deterministic mode's order among pending work; null with worker threads. */
    private final SplittableRandom order;
    private final List<IoWqWork> pending = new ArrayList<>();

    /**
     * The hash map of each task's io-wq: the ring it was made for ({@code io_init_wq_offload} takes that ring's
     * {@code ctx->hash_map}, made once per ring and shared by every io-wq made for it), which is the first ring the
     * task set up ({@link #madeRing}) or, failing that, the first it queued io-wq work on. The kernel makes a task's
     * io-wq at its first use of any ring ({@code __io_uring_add_tctx_node}), so a task that submitted to one ring
     * without io-wq work before it set up another or queued hashed work there is keyed here by the latter.
     */
    private final Map<Object, Object> hashMaps = new java.util.concurrent.ConcurrentHashMap<>();

    /** Who decides {@link IoWqChoices#IOWQ_COMPLETION_ORDER}, or null: the seeded order. */
    private volatile Chooser chooser;
    /** The worker threads' work that runs now, each with its task, its worker and its state ({@link #exit}). */
    private final Set<Running> running = ConcurrentHashMap.newKeySet();
    /** Told of each task that queues io-wq work, whose exit then comes to {@link #exit}. */
    private volatile java.util.function.Consumer<Object> watchExit = task -> { };

    private record Running(Object task, int workerTid, AtomicInteger state) {
    }

    /**
     * With {@code order} null, worker threads run io-wq work as it comes, as many of each kind at once as
     * {@code limits} lets each task have; otherwise there are no threads, and the deterministic scheduler runs the
     * pending work on the task's thread ({@link #runPending}), in an order {@code order} picks.
     */
    WorkerPool(Map<Integer, EmuOp> ops, Readiness readiness, SplittableRandom order, Delivery delivery,
            IoWqLimits limits, TaskExits taskExits) {
        this.ops = ops;
        this.delivery = (c, req, func) -> IoWqCompletions.asWorker(() -> delivery.deliver(c, req, func));
        this.cancelled = delivery;
        this.readiness = readiness;
        this.order = order;
        this.limits = limits;
        this.taskExits = taskExits;
        limits.attach(pool);
        if (order == null) {
            // worker threads: a running one must be interruptible (io_wq_worker_cancel), or the emulator not start
            IoWqSignal.check();
        }
    }

    /** From now on {@code c} decides the order of pending work ({@link IoWqChoices#IOWQ_COMPLETION_ORDER}). */
    void withChooser(Chooser c) {
        chooser = c;
    }

    /** From now on {@code watch} hears of each task that queues io-wq work (once or more). */
    void watchExits(java.util.function.Consumer<Object> watch) {
        watchExit = watch;
    }

    /**
     * {@code task} has exited: the work of its io-wq that runs now is interrupted, as {@code io_wq_exit_workers}
     * (io_uring/io-wq.c, from {@code io_uring_clean_tctx} at the end of {@code io_uring_cancel_generic}) wakes every
     * worker with a notify signal, so a call that blocks interruptibly ends (measured on 6.18.44: a SPLICE from an
     * empty pipe on io-wq, whose thread exits, ends -ERESTARTSYS, -512, at the exit). Its unbound work that no
     * worker took, beyond the cap of IORING_REGISTER_IOWQ_MAX_WORKERS, ends -ECANCELED ({@link IoWqLimits#exit}).
     * Answers how many it woke.
     */
    int exit(Object task) {
        hashMaps.remove(task); // io_uring_clean_tctx: the io-wq is gone; a new one is made at the next use
        limits.exit(task);
        int woken = 0;
        for (Running r : running) {
            if (task.equals(r.task())) {
                IoWqSignal.interrupt(r.workerTid(), r.state(), RUNNING);
                woken++;
            }
        }
        return woken;
    }

    /**
     * {@code task} set up the ring {@code ctx} ({@code io_uring_create}: {@code __io_uring_add_tctx_node}): a task
     * without an io-wq gets one made for this ring, with its hash map.
     */
    void madeRing(Object task, IssueContext ctx, int sqEntries) {
        if (task != null && ctx != null) {
            hashMaps.putIfAbsent(task, ctx);
            limits.madeRing(task, ctx, sqEntries);
        }
    }

    /** {@code sqThread} is the SQ thread of the SQPOLL ring {@code ctx} ({@code io_sq_offload_create}), or null. */
    void madeSqThread(Object sqThread, IssueContext ctx) {
        if (sqThread != null && ctx != null) {
            limits.madeSqThread(sqThread, ctx);
        }
    }

    /**
     * {@code task} enters the ring {@code ctx} to submit {@code toSubmit} ({@code io_uring_enter}:
     * {@code io_uring_add_tctx_node} where it submits, but for an SQPOLL ring, whose SQ thread submits): a task
     * without an io-wq gets one made for this ring.
     */
    void submits(int toSubmit, Object task, IssueContext ctx) {
        if (toSubmit > 0 && ctx != null && (ctx.setupFlags() & IORING_SETUP_SQPOLL) == 0) {
            limits.used(task, ctx);
        }
    }

    @Override
    public boolean taskExited(Object task) {
        return taskExits.exited(task);
    }

    /** Whether no work is pending (the deterministic mode's). */
    boolean idle() {
        synchronized (pending) {
            return pending.isEmpty();
        }
    }

    /**
     * The ring {@code ctx} was closed (the deterministic mode's): {@code io_ring_exit_work} cancels its io-wq work,
     * pending work ends cancelled and running work (here: waiting for the world, or held as still running by a
     * choice) goes on or is signalled, each posting into a ring nobody sees, but for the signal of an ASYNC eventfd
     * that such a worker's post makes, which comes after the close ({@link IoWqExitPosts}); it leaves the pending
     * work, whose later look would hand a completion to a ring that is gone (the world lockstep's next run failed on
     * the closed ring's memory). That includes the work io-wq hands back to the ring's task (an opcode without a
     * blocking form), held past its enter by a choice (world seed 731).
     */
    void ringClosed(IssueContext ctx) {
        if (ctx == null || order == null) {
            return;
        }
        synchronized (pending) {
            pending.removeIf(w -> w.ctx == ctx);
        }
        exitPosts.closed(ctx);
    }

    /**
     * Whether pending work waits in its call for the outside world (the deterministic mode's): nothing in the
     * emulator wakes the task when the world acts, so a waiting task looks again now and then.
     */
    boolean waitsForWorld() {
        synchronized (pending) {
            return pending.stream().anyMatch(w -> w.waits != null && w.waits.getAsBoolean());
        }
    }

    /**
     * Whether pending work that waited in its call for the outside world can go on now (the deterministic mode's):
     * the world made its file ready.
     */
    boolean wokenByWorld() {
        synchronized (pending) {
            return pending.stream().anyMatch(w -> w.waits != null && w.state.get() == RUNNING
                    && !w.waits.getAsBoolean());
        }
    }

    /**
     * The deterministic mode: runs the work pending now, in a seeded order; answers how much ran. At the start of an
     * enter ({@code atEnter}) an item still running ({@link IoWqChoices#IOWQ_STILL_RUNNING}) stays pending, in its
     * place, and counts the enter if it submits or waits ({@code counts}). Where an item's call made the file of
     * another that waited in its call ready (a SPLICE into the pipe a READV's worker waits on: fs/splice.c
     * splice_file_to_pipe -> wakeup_pipe_readers, with the pipe's mutex dropped), {@code woke} (if not null) runs
     * before that worker is taken, as the one wakeup reaches the file's polls too ({@code __wake_up_common}), and
     * answers how much it ran.
     */
    int runPending(boolean atEnter, boolean counts, IntSupplier woke) {
        int ran = exitPosts.look(atEnter);
        List<IoWqWork> running = null;
        while (true) {
            IoWqWork next;
            Chooser c = chooser;
            synchronized (pending) {
                List<Integer> ready = ready(running);
                if (ready.isEmpty()) {
                    break;
                }
                int size = ready.size();
                next = pending.remove((int) ready.get(c == null || size < 2 ? order.nextInt(size) : switch (c.choose(
                        IOWQ_COMPLETION_ORDER, -1)) {
                            case 0 -> 0;
                            case 1 -> size - 1;
                            default -> 1;
                        }));
            }
            if (atEnter && (next.entersLeft > 0 || next.callsLeft > 0)) {
                if (counts && next.entersLeft > 0) {
                    next.entersLeft--;
                } else if (next.entersLeft == 0) {
                    next.callsLeft--;
                }
                if (running == null) {
                    running = new ArrayList<>();
                }
                running.add(next);
                continue;
            }
            List<IoWqWork> waiting = woke == null ? List.of() : waitingInTheirCalls();
            // the completion of work that may wake another waits for WOKEN_WORKER_POSTS_FIRST; that of work whose call
            // woke polls waits for their task work, queued before the worker posts (IOWQ_WAKES_BEFORE_IT_POSTS)
            List<Runnable> held = waiting.isEmpty() && !next.wakesFirst ? null : new ArrayList<>(1);
            next.body.accept(held == null ? delivery
                    : (x, req, func) -> held.add(() -> delivery.deliver(x, req, func)));
            if (next.wakesFirst) {
                readiness.ownWakeups();
            }
            ran++;
            List<IoWqWork> woken = waiting.stream().filter(w -> !w.waits.getAsBoolean()).toList();
            if (!woken.isEmpty() && c != null && c.choose(WOKEN_WORKER_POSTS_FIRST, next.ctx.ringFd()) == 1) {
                for (IoWqWork w : woken) {
                    take(w);
                    w.body.accept(delivery);
                    ran++;
                }
            }
            if (held != null) {
                held.forEach(Runnable::run);
            }
            if (!woken.isEmpty()) {
                ran += woke.getAsInt();
            }
        }
        if (running != null) {
            synchronized (pending) {
                pending.addAll(0, running);
            }
        }
        return ran;
    }

    /** The pending items whose call waits for its file now (the deterministic mode's). */
    private List<IoWqWork> waitingInTheirCalls() {
        synchronized (pending) {
            return pending.stream().filter(w -> w.waits != null && w.waits.getAsBoolean()).toList();
        }
    }

    /**
     * The positions in {@code pending} of the items a worker could take now: every item that is not hashed, and the
     * oldest item of each hash unless an item of that hash is still running ({@code running}, or null): io-wq runs
     * hashed work one item at a time, in queue order ({@link IoWqHash}).
     */
    private List<Integer> ready(List<IoWqWork> running) {
        List<Integer> ready = new ArrayList<>(pending.size());
        Set<IoWqHashChains.Key> busy = new HashSet<>();
        if (running != null) {
            for (IoWqWork w : running) {
                if (w.hash != null) {
                    busy.add(w.hash);
                }
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            IoWqWork w = pending.get(i);
            if (w.hash != null && !busy.add(w.hash)) {
                continue;
            }
            if (w.waits != null && w.waits.getAsBoolean()) {
                // a worker took it and waits in the call, keeping its hash, until the world acts or a signal comes
                w.state.compareAndSet(PENDING, RUNNING);
                continue;
            }
            ready.add(i);
        }
        return ready;
    }

    @Override
    public void submitting(IssueContext ctx, SubmitPoint point, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
        boolean defer = (ctx.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0;
        if (chooser != null && order != null && (defer || postsOnItsOwn(ctx))) {
            // each finished worker's task work is queued now, behind what the task queued before; where workers post
            // their own CQEs (io_req_complete_post), each posts now, ahead of the task's batch
            Delivery now = defer ? delivery : (c, req, func) -> post.accept(req, func);
            duringSubmit.reached(ctx, point).forEach(finish -> finish.accept(now));
        }
    }

    /**
     * Whether unhashed work queued now, during a submission on a DEFER_TASKRUN ring or one whose workers post their own
     * CQEs, finishes later in it ({@link IoWqChoices#IOWQ_FINISHES_DURING_SUBMIT}); if so it waits for
     * {@link #submitting} to run {@code body}.
     */
    private boolean finishesLaterInTheSubmission(IssueContext ctx, IoWqHashChains.Key hash,
            java.util.function.Consumer<Delivery> body) {
        Chooser c = chooser;
        if (c == null || order == null || hash != null) {
            return false;
        }
        if (!duringSubmit.submitting(ctx)) {
            return false;
        }
        int sqes = c.choose(IOWQ_FINISHES_DURING_SUBMIT, ctx.ringFd());
        if (sqes == 0) {
            return false;
        }
        duringSubmit.add(ctx, sqes, body);
        return true;
    }

    @Override
    public void beforeFlush(IssueContext ctx, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
        if (postsOnItsOwn(ctx)) {
            ownPosts.beforeFlush(ctx, chooser, post);
        }
    }

    @Override
    public void beforeTaskWork(IssueContext ctx, int item, java.util.function.BiConsumer<Req, OpDef.Issue> post) {
        if (postsOnItsOwn(ctx)) {
            ownPosts.beforeTaskWork(ctx, item, chooser, post);
        }
    }

    /** Takes {@code w} out of the pending work (the deterministic mode's), for a worker that runs it now. */
    void take(IoWqWork w) {
        synchronized (pending) {
            pending.remove(w);
        }
    }

    /**
     * The pending items of the ring {@code ctx} a worker could take now and that are not still running
     * ({@link IoWqChoices#IOWQ_STILL_RUNNING}, {@link IoWqChoices#IOWQ_FINISHES_BETWEEN_CALLS}), oldest first.
     */
    List<IoWqWork> readyOf(IssueContext ctx) {
        List<IoWqWork> out = new ArrayList<>();
        synchronized (pending) {
            for (int i : ready(null)) {
                IoWqWork w = pending.get(i);
                if (w.ctx == ctx && w.entersLeft == 0 && w.callsLeft == 0) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /**
     * Whether the deterministic mode's chooser places this ring's io-wq work among the task's flushes: on a ring whose
     * workers post their own CQEs (neither DEFER_TASKRUN nor IOPOLL), work the task runs for io-wq (an opcode without a
     * blocking form, a try without blocking on a pollable file) waits as pending, so that
     * {@link IoWqChoices#IOWQ_POSTS_BEFORE_FLUSH} decides which of the task's flushes its CQE comes before, as for
     * blocking work.
     */
    private boolean postsOnItsOwn(IssueContext ctx) {
        return chooser != null && order != null
                && (ctx.setupFlags() & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_IOPOLL)) == 0;
    }

    /** The chooser of the deterministic mode, or null (worker threads, or none set): {@link IoWqTiming}'s. */
    private Chooser deterministic() {
        return order == null ? null : chooser;
    }

    @Override
    public void queue(Req req, IssueContext ctx) {
        EmuOp op = ops.get(req.opcode());
        EmuOp.Blocking form = op == null ? null : op.blocking();
        // io_wq_submit_work: a forced-async request of an opcode that polls, on a file that can, is issued without
        // blocking and arms a poll when it would block, rather than blocking a worker
        // (and when that try sends it back here at once, the file refused it: the retry blocks, as there)
        boolean opPolls = form != null && (op.def().has(OpDef.POLLIN) || op.def().has(OpDef.POLLOUT));
        boolean polls = opPolls && IoWqCompletions.ISSUING.get() != req && readiness.canPoll(ctx.fileDescriptor(req));
        // worker threads must not touch the ring, nor block in a try that would block there: the ring's task issues
        // it (EmuOp.WorkersTry)
        EmuOp.Blocking blocking = form instanceof EmuOp.WorkersTry t
                && (order == null || opPolls && !polls || !t.onWorker().test(req)) ? null : form;
        boolean pollable = blocking != null && polls;
        // worker threads make that try on the ring's task; the deterministic mode in the worker's body below, where
        // the blocking form tries without blocking first: the bytes move when the worker runs, as the kernel's
        // worker moves them (io_wq_submit_work -> io_issue_sqe), and only the completion waits for the ring's task
        // work (a DEFER_TASKRUN ring's next GETEVENTS: world lockstep seed 62, an IOSQE_ASYNC READV of a pipe with
        // bytes in it, whose buffer the kernel had filled before the enter returned)
        boolean pollsInstead = pollable && order == null && (req.flags() & IOSQE_ASYNC) != 0;
        boolean onWorker = blocking == null;
        IoWq.WorkerCompletion reissue = (r, c) -> {
            if (onWorker) {
                c.ringLocal(IoWqCompletions.class, IoWqCompletions::new).completed(r);
            }
            Req outer = IoWqCompletions.ISSUING.get();
            IoWqCompletions.ISSUING.set(r);
            try {
                c.reissue(r);
            } finally {
                IoWqCompletions.ISSUING.set(outer);
            }
            return OpDef.SKIP_COMPLETE;
        };
        if (blocking == null || pollsInstead) {
            // an item still running past the enter (IOWQ_STILL_RUNNING) has not finished at once either; on a
            // DEFER_TASKRUN ring it may also finish calls after the last enter that found it running
            int running = IoWqTiming.entersRunning(deterministic(), ctx);
            int calls = postsOnItsOwn(ctx) ? IoWqTiming.finishesBetweenCalls(deterministic(), ctx)
                    : IoWqTiming.finishesAfterTheEnter(deterministic(), ctx);
            if (running > 0 || calls >= 0 || postsOnItsOwn(ctx)) {
                synchronized (pending) {
                    pending.add(new IoWqWork(ctx, d -> d.deliver(ctx, req, reissue), null, running,
                            Math.max(calls, 0)));
                }
                return;
            }
            java.util.function.Consumer<Delivery> now = d -> d.deliver(ctx, req, reissue);
            if (!finishesLaterInTheSubmission(ctx, null, now)) {
                now.accept(delivery);
            }
            return;
        }
        // io-wq work: pending until a worker takes it (cancellation stops it then, with -ECANCELED), running after
        // (-EALREADY), done once its result is handed to the ring's task
        AtomicInteger state = new AtomicInteger(PENDING);
        AtomicInteger workerTid = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        var queued = new java.util.concurrent.atomic.AtomicReference<IoWqWork>(); // its pending item, if held
        IoWqExitPosts.watchExit(ctx);
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        // the entry names the request's own reference to its file (req->file; none for an opcode without one)
        boolean fixed = (req.flags() & IOSQE_FIXED_FILE) != 0;
        int file = fixed ? req.fd() : op.def().has(OpDef.NEEDS_FILE) ? ctx.fileDescriptor(req) : -1;
        // io_wq_cancel_cb, io_run_cancel: work no worker took ends -ECANCELED
        java.util.function.BooleanSupplier cancelPending = () -> {
            if (!state.compareAndSet(PENDING, DONE)) {
                return false;
            }
            ctx.linkedTimeoutNeverStarted(req); // no worker issued it (__io_issue_sqe starts a LINK_TIMEOUT)
            cancelled.deliver(ctx, req, (r, c) -> {
                inflight.remove(r);
                return -ECANCELED;
            });
            return true;
        };
        inflight.add(new Inflight.Entry(req, Inflight.Kind.IO_WQ, file, fixed,
                () -> {
                    // the ring's exit may find a worker on work held as still running (IOWQ_NOT_TAKEN_YET)
                    if (order != null && state.get() == PENDING && exitPosts.heldAtExit(ctx, queued.get(), chooser)
                            && state.compareAndSet(PENDING, DONE)) {
                        return -EALREADY;
                    }
                    if (cancelPending.getAsBoolean()) {
                        return 0;
                    }
                    if (state.get() != RUNNING) {
                        return -ENOENT;
                    }
                    // io_wq_worker_cancel: the running worker is signalled; the cancellation answers -EALREADY
                    if (order != null) {
                        // the deterministic mode runs work on the task, so running work here waits for the world,
                        // taken as soon as pending work was looked at: its worker may not have taken it yet
                        Chooser c = chooser;
                        if (c != null && c.choose(IOWQ_NOT_TAKEN_YET, ctx.ringFd()) == 1
                                && state.compareAndSet(RUNNING, PENDING) && cancelPending.getAsBoolean()) {
                            return 0;
                        }
                        // else the signal ends its call, which the next look at pending work finishes; at the
                        // ring's exit the worker posts on its own time, after the close (IOWQ_POSTS_AFTER_EXIT)
                        interrupted.set(true);
                        exitPosts.interrupted(ctx, c);
                        return -EALREADY;
                    }
                    IoWqSignal.interrupt(workerTid.get(), state, RUNNING);
                    return -EALREADY;
                }));
        java.util.function.Consumer<Delivery> body = d -> {
            workerTid.set(IoWqSignal.tid());
            // (the deterministic mode's work that waited for the world was taken, RUNNING, before)
            if (!state.compareAndSet(PENDING, RUNNING) && (order == null || state.get() != RUNNING)) {
                return;
            }
            if (op.def().has(OpDef.NEEDS_FILE) && fixed && ctx.fileDescriptor(req) < 0) {
                // io_wq_submit_work: io_assign_file finds no file, the worker queues -EBADF as task work for the
                // ring's task to post (io_req_task_queue_fail), no worker's commit (world lockstep seed 2304)
                state.set(DONE);
                delivery.deliver(ctx, req, (r, c) -> {
                    inflight.remove(r);
                    return -EBADF;
                });
                return;
            }
            // the worker shares the submitting task's memory and files (io-wq workers are its threads)
            Object task = req.task();
            Running runs = order == null && task != null ? new Running(task, workerTid.get(), state) : null;
            if (runs != null) {
                running.add(runs);
            }
            Object before = RequestTask.enter(task);
            int ret;
            boolean wasOnTask = EmuOp.ON_THE_RINGS_TASK.get();
            EmuOp.ON_THE_RINGS_TASK.set(order != null);
            try {
                ret = interrupted.get() ? blocking.interrupted(req, ctx) : blocking.issue(req, ctx);
            } finally {
                EmuOp.ON_THE_RINGS_TASK.set(wasOnTask);
                RequestTask.leave(before, task);
                if (runs != null) {
                    running.remove(runs);
                }
            }
            synchronized (state) {
                state.set(DONE);
            }
            if (ret == -EAGAIN && pollable && order != null
                    && IoWqArmsPoll.arm(readiness, req, ctx, op.def(), inflight)) {
                return;
            }
            if (ret == OpDef.SKIP_COMPLETE && blocking instanceof EmuOp.WorkersTry) {
                // the worker's issue armed what completes the request later (a poll, a timer, a task work of its
                // own): io-wq hands nothing to the ring's task (io_issue_sqe: IOU_ISSUE_SKIP_COMPLETE)
                inflight.remove(req, Inflight.Kind.IO_WQ);
                return;
            }
            if (order != null && ret != EmuOp.REISSUE_ON_TASK && !(ret == -EAGAIN && pollable)
                    && IoWqFillRefused.deferred(ctx, req, ret, readiness, delivery, inflight)) {
                return; // the worker found no slot for its CQE: its commit, then task work (io_req_complete_post)
            }
            if (order != null) {
                IoWqFillRefused.wakeupsBeforeTaskWork(ctx, readiness); // lockless_cq: task work, behind its wakeups
            }
            d.deliver(ctx, req, (IoWq.WorkerCompletion) (r, c) -> {
                inflight.remove(r);
                if (ret == EmuOp.REISSUE_ON_TASK) {
                    // the kernel's worker finishes this one itself (io_openat2 installs the direct descriptor under
                    // io_ring_submit_lock and returns IOU_COMPLETE), so its completion is io-wq's, as an ASYNC
                    // eventfd counts it (world lockstep seed 353: the kernel's count one higher)
                    c.ringLocal(IoWqCompletions.class, IoWqCompletions::new).completed(r);
                    c.reissue(r);
                    return OpDef.SKIP_COMPLETE;
                }
                if (ret == -EAGAIN && pollable && order != null) {
                    // the worker's poll was not armed (the file was ready by then, or cannot be watched): the retry
                    // is the ring's task's, which tries once more first
                    return reissue.issue(r, c);
                }
                c.ringLocal(IoWqCompletions.class, IoWqCompletions::new).completed(r);
                return ret;
            });
        };
        // io_prep_async_work: a write to a regular file (or any request of an IOPOLL ring) is hashed by its inode,
        // where an issue set req->file before (a forced-async request has none there: neither hashed nor bound)
        IoWqHash.Inode inode = !req.fileAssigned() ? null : IoWqHash.of(ctx.fileDescriptor(req),
                op.def().has(OpDef.HASH_REG_FILE), (ctx.setupFlags() & IORING_SETUP_IOPOLL) != 0);
        IoWqHashChains.Key hash = inode == null ? null : new IoWqHashChains.Key(
                req.task() == null ? ctx : hashMaps.computeIfAbsent(req.task(), t -> ctx), inode);
        if (order == null) {
            if (req.task() != null) {
                watchExit.accept(req.task());
            }
            if (hash != null) {
                chains.run(hash, () -> body.accept(delivery)); // regular files' work, bound: not counted
                return;
            }
            // io_prep_async_work: without a file, or on one neither regular nor a block device, the work is unbound
            int fd = ctx.fileDescriptor(req);
            int kind = op.def().has(OpDef.UNBOUND_NONREG_FILE)
                    && (!req.fileAssigned() || fd < 0 || !IoWqHash.regularOrBlock(fd))
                    ? IoWqLimits.UNBOUND : IoWqLimits.BOUND;
            limits.queue(req.task(), ctx, kind,
                    new IoWqLimits.Item(() -> body.accept(delivery), cancelPending::getAsBoolean));
            return;
        }
        int running = IoWqTiming.entersRunning(deterministic(), ctx);
        boolean behind; // an item of the same hash is pending or still running: this one cannot finish before it
        synchronized (pending) {
            behind = hash != null && pending.stream().anyMatch(w -> hash.equals(w.hash));
        }
        java.util.function.BooleanSupplier waits = () -> !interrupted.get() && state.get() != DONE
                && !blocking.ready(req, ctx);
        // work that would wait for the world stays pending (it cannot have finished at once); an item still running
        // at later enters (IOWQ_STILL_RUNNING) may on a DEFER_TASKRUN ring finish calls after the last of them too
        // and on a ring whose workers post their own CQEs, calls after them (IOWQ_FINISHES_BETWEEN_CALLS)
        int calls = behind || chooser == null || waits.getAsBoolean() ? 0
                : (ctx.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0
                        ? IoWqTiming.finishesAfterTheEnter(deterministic(), ctx)
                : postsOnItsOwn(ctx) ? IoWqTiming.finishesBetweenCalls(deterministic(), ctx) : 0;
        // work that finishes later in this submission may find that an SQE after it took what it was ready for (a
        // READ of the pipe a SPLICE reads from): then the worker waits in its call, pending like work that waited from
        // the start, where running the call on the task would block the emulator for good (world lockstep seed 1115)
        java.util.function.Consumer<Delivery> later = d -> {
            if (waits.getAsBoolean()) {
                synchronized (pending) {
                    pending.add(new IoWqWork(ctx, body, hash, 0, 0, waits, state));
                }
            } else {
                body.accept(d);
            }
        };
        if (calls < 0 && running == 0) {
            // the worker finished before the enter's wait: at once, or later in this submission
            if (!finishesLaterInTheSubmission(ctx, hash, later)) {
                body.accept(delivery);
            }
        } else if (running > 0 || calls > 0 || !postsOnItsOwn(ctx) || waits.getAsBoolean()
                || !finishesLaterInTheSubmission(ctx, hash, later)) {
            // pending, unless a worker that posts its own CQE posts it later in this submission
            IoWqWork work = new IoWqWork(ctx, body, hash, running, Math.max(calls, 0), waits, state);
            queued.set(work);
            // a write to a pollable file may wake a poll, whose task work may come before the worker's CQE
            work.wakesFirst = pollable && op.def().has(OpDef.POLLOUT) && postsOnItsOwn(ctx)
                    && chooser.choose(IOWQ_WAKES_BEFORE_IT_POSTS, ctx.ringFd()) == 1;
            synchronized (pending) {
                pending.add(work);
            }
        }
    }

    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;

    @Override
    public void close() {
        exitPosts.close();
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
