package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;

import dev.ringspec.emulator.ops.ProgramTransfers;
import dev.ringspec.emulator.ops.TaskFput;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import dev.ringspec.model.RuleListener;
import dev.ringspec.model.Waiter;
import dev.ringspec.seam.AddressSpace;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * A kernel-compatible io_uring in Java: the reference model's rings, rules and errnos (a {@link ModelIoUring} with
 * any {@link KernelProfile}, so this machine can behave as another kernel version), plus what the model leaves
 * out: opcodes that do real I/O on the process's descriptors ({@link EmulatorOpcodes}), an io-wq of real threads
 * ({@link WorkerPool}), readiness through epoll ({@link Readiness}), waits that block ({@link RingWaiter}), timers
 * on a real or virtual clock ({@link Timers}, {@link VirtualClock}), and real ring descriptors. The emulator adds
 * opcodes and a world; every ring rule is the model's.
 *
 * <p>The calling thread is the ring's task, as with the kernel. Close the emulator to stop its threads.
 */
public final class EmulatedIoUring implements IoUringKernel, AutoCloseable, EmulatorServices {
    private final EmulatorOptions options;
    private final KernelProfile base;
    private final ModelIoUring model;
    private final Clock clock;
    private final RingWaiter waiter;
    private final DeterministicScheduler scheduler;
    private final Readiness readiness;
    private final Timers timers;
    private final WorkerPool ioWq;
    private final DirectIo directIo;
    private final EmulatorOpcodes opcodes;
    private final Faults faults;
    private final Pedantic pedantic;
    private final SqPollThreads sqPoll;
    /** The rings' tasks outside the emulator, back from a sleep or a syscall of their own. */
    private final TaskOutside taskOutside;
    /** Where the addresses in the arguments point. */
    private final AddressSpace memory;
    /** Each live ring's descriptor and its memfd's inode, to know a ring by a duplicate of its descriptor. */
    private final Map<Integer, Long> ringInodes = new ConcurrentHashMap<>();
    private final ThreadExitCancel threadExits = new ThreadExitCancel(task -> cancelExitedTask(task, 5_000_000_000L));
    private final TaskExits taskExits = new TaskExits();
    /** The program served from outside ({@link #hosted}), or null. */
    private ProgramMemory served;
    /** This JVM's descriptors, or the served program's. */
    private final ProcessDescriptorTable processDescriptors;
    /** The rings' descriptors, each given back after its ring's state here is forgotten ({@link #close}). */
    private final HeldRingDescriptors ringDescriptors;
    /** What was answered -EOPNOTSUPP because the emulator cannot do it here ({@link #refuse}), and how often. */
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
    /** Told of each ring that got task work from another thread ({@link #onRemoteTaskWork}), or null. */
    private volatile IntConsumer remoteTaskWork;
    /**
     * Each ring's {@code uring_lock} but an SQPOLL ring's (whose lock its SQ thread shares, {@link SqPollThreads}):
     * held by a thread inside enter, register or close on the ring, let go of while it sleeps in a wait, so that
     * threads of the application that use one ring at once take turns as in the kernel.
     */
    private final Map<Integer, ReentrantLock> ringLocks = new ConcurrentHashMap<>();
    /** Run on a thread about to sleep in a wait ({@link #beforeSleep}), or null. */
    private volatile Runnable beforeSleep;
    /** The kernel's interrupt of a task for work from another thread; null when served or deterministic. */
    private final TaskWorkInterrupts interrupts;
    /** Whose task the calling thread is ({@link #withTaskKey}). */
    private volatile Supplier<Object> taskKey = Thread::currentThread;

    private EmulatedIoUring(EmulatorOptions options, AddressSpace memory, ProcessDescriptorTable program) {
        this.options = Objects.requireNonNull(options, "options");
        this.memory = memory;
        this.base = options.profile();
        this.clock = options.clock();
        this.faults = new Faults(options.faults());
        SplittableRandom order = options.deterministic() ? new SplittableRandom(options.seed()) : null;
        this.timers = new Timers(clock, order != null);
        this.readiness = new Readiness(order == null ? null : order.split(), this::deliver, taskExits);
        RealDescriptors descriptors = new RealDescriptors(timers);
        this.ringDescriptors = new HeldRingDescriptors(descriptors);
        this.processDescriptors = program == null ? descriptors : program;
        IoWqLimits limits = new IoWqLimits(() -> taskKey.get());
        this.opcodes = EmulatorOpcodes.build(base, this, options.extraOpcodes(), !memory.local(), limits.registerOps());
        this.ioWq = new WorkerPool(opcodes.byOpcode(), readiness, order == null ? null : order.split(),
                this::deliver, limits, taskExits);
        ioWq.watchExits(threadExits::watch);
        this.directIo = new DirectIo(this::deliver, order != null);
        Waiter sleeps;
        if (order != null) {
            this.waiter = null;
            this.scheduler = new DeterministicScheduler(clock, readiness, ioWq, timers);
            sleeps = scheduler;
        } else {
            this.scheduler = null;
            this.waiter = new RingWaiter(clock, readiness);
            if (clock instanceof VirtualClock v) {
                v.onAdvance(waiter::wakeAll);
            }
            sleeps = waiter;
        }
        this.pedantic = options.pedantic() ? new Pedantic() : null;
        this.sqPoll = new SqPollThreads(sleeps, order == null);
        Waiter wakes = sqPoll;
        this.model = new ModelIoUring(opcodes.profile(), memory)
                .withProcessDescriptors(processDescriptors)
                .withRingDescriptors(ringDescriptors)
                .withWaiter(new ModelWaiter(wakes, ringLocks, () -> beforeSleep, () -> remoteTaskWork))
                .withSqPoll(sqPoll)
                .withIoWq(ioWq)
                .withAsyncPoll(readiness)
                .withClock(clock);
        sqPoll.attach(model);
        this.taskOutside = new TaskOutside(model, readiness, ringLocks, scheduler);
        if (order == null && memory.local()) {
            this.interrupts = new TaskWorkInterrupts(() -> taskKey.get(), taskOutside::runTaskWork);
            model.withTaskKey(interrupts::taskKey);
            this.remoteTaskWork = interrupts::signal;
        } else {
            this.interrupts = null;
        }
        if (options.faults().rates().containsKey(FaultPlan.Point.CQ_OVERFLOW)) {
            model.withCqOverflowFault(fd -> faults.happens(FaultPlan.Point.CQ_OVERFLOW, "a CQE of ring " + fd));
        }
    }

    /** An emulator that behaves as {@code profile}'s kernel, on the real clock, over {@code memory}. */
    public static EmulatedIoUring open(KernelProfile profile, UserMemory memory) {
        return new EmulatedIoUring(EmulatorOptions.of(profile), memory, null);
    }

    /** The same on {@code clock} (a {@link VirtualClock} for tests whose time passes only when they say so). */
    public static EmulatedIoUring open(KernelProfile profile, UserMemory memory, Clock clock) {
        return new EmulatedIoUring(EmulatorOptions.of(profile).withClock(clock), memory, null);
    }

    /** An emulator as {@code options} say: deterministic, with faults, pedantic. */
    public static EmulatedIoUring open(EmulatorOptions options, UserMemory memory) {
        return new EmulatedIoUring(options, memory, null);
    }

    /** This process's own descriptor table, as the emulator uses it by default (a base for {@link #open} with one). */
    public static ProcessDescriptorTable thisProcess() {
        return new RealDescriptors(null);
    }

    /**
     * An emulator in this JVM whose SQEs name descriptors through {@code descriptors} instead of this process's own
     * table: for a test that gives the emulator files of its own under the numbers another side uses (the SQE
     * fuzz's pipe).
     */
    public static EmulatedIoUring open(EmulatorOptions options, UserMemory memory,
            ProcessDescriptorTable descriptors) {
        return new EmulatedIoUring(options, memory, Objects.requireNonNull(descriptors));
    }

    /**
     * An emulator serving another process (see the {@code host} module): the addresses in its arguments are read
     * and written through {@code memory}, its descriptors are {@code program}'s. Where {@code memory} is not local,
     * only the opcodes that can reach another process's memory are there ({@link EmulatorOpcodes#HOSTED}); the
     * others answer -EOPNOTSUPP, as compiled out. Every ring's regions are in its memfd at the kernel's offsets.
     */
    public static EmulatedIoUring hosted(EmulatorOptions options, ProgramMemory memory,
            ProcessDescriptorTable program) {
        EmulatedIoUring io = new EmulatedIoUring(options, Objects.requireNonNull(memory),
                Objects.requireNonNull(program));
        io.served = memory;
        ProgramTransfers.serve(memory, program);
        return io;
    }

    public EmulatorOptions options() {
        return options;
    }

    /** The application's protocol mistakes the pedantic mode saw (empty when it is off). */
    public List<Pedantic.Finding> findings() {
        return pedantic == null ? List.of() : pedantic.findings();
    }

    /**
     * What the emulator answered -EOPNOTSUPP because it cannot do it for the process it serves (an opcode it lacks,
     * or one it cannot serve another process with; an argument it cannot pass on), each with how many requests it
     * refused, by name.
     */
    public Map<String, Long> refusals() {
        Map<String, Long> counts = new TreeMap<>();
        refusals.forEach((what, n) -> counts.put(what, n.sum()));
        return counts;
    }

    @Override
    public void refuse(String what) {
        refusals.computeIfAbsent(what, w -> new LongAdder()).increment();
    }

    @Override
    public ProcessDescriptorTable processDescriptors() {
        return processDescriptors;
    }

    /** Every fault injected so far. */
    public List<String> faultLog() {
        return faults.log();
    }

    /**
     * The same with {@code extra} opcodes beside the emulator's own (an entry replaces the emulator's for its
     * opcode): how a test runs an entry point that another opcode file will call.
     */
    public static EmulatedIoUring open(KernelProfile profile, UserMemory memory, Clock clock, List<EmuOp> extra) {
        List<EmuOp> copy = List.copyOf(extra);
        return new EmulatedIoUring(EmulatorOptions.of(profile).withClock(clock).withOpcodes(s -> copy), memory,
                null);
    }

    /**
     * Tells {@code signal} the descriptor of each ring that got task work from another thread (a completion from
     * io-wq, a poll, a timer). The kernel interrupts a task running in user space to run such work
     * ({@code task_work_add} with TWA_SIGNAL) unless the ring is COOP_TASKRUN or DEFER_TASKRUN. For this JVM's own
     * rings {@link TaskWorkInterrupts} does that; a served program's supervisor runs the work (an empty enter from
     * the ring's task) when told.
     */
    public EmulatedIoUring onRemoteTaskWork(IntConsumer signal) {
        this.remoteTaskWork = interrupts == null ? signal : signal == null ? interrupts::signal
                : fd -> {
                    interrupts.signal(fd);
                    signal.accept(fd);
                };
        return this;
    }

    /**
     * Runs {@code hook} on each thread that is about to sleep in a wait (a GETEVENTS wait, SQ_WAIT, an SQ thread's
     * idle), on that thread: for a supervisor whose serving thread would otherwise hold up the calls of others.
     */
    public EmulatedIoUring beforeSleep(Runnable hook) {
        this.beforeSleep = hook;
        return this;
    }

    /**
     * Says whose task the calling thread runs as (see {@link ModelIoUring#withTaskKey}): a supervisor serving a
     * program's threads from whichever of its threads is free names the program thread it serves.
     */
    public EmulatedIoUring withTaskKey(Supplier<Object> key) {
        this.taskKey = Objects.requireNonNull(key, "key");
        if (interrupts == null) {
            model.withTaskKey(key);
        }
        return this;
    }

    /**
     * Whom the SQ threads of SQPOLL rings set up from now on act for (see {@link SqThreadContext}); by default this
     * JVM's own process.
     */
    public EmulatedIoUring withSqThreadContext(SqThreadContext context) {
        sqPoll.context(Objects.requireNonNull(context, "context"));
        return this;
    }

    /** The kernel version this emulator behaves as. */
    @Override
    public KernelProfile profile() {
        return base;
    }

    /** Reports every rule of the model as it applies (see {@link ModelIoUring#withRuleListener}). */
    public EmulatedIoUring withRuleListener(RuleListener listener) {
        model.withRuleListener(listener);
        return this;
    }

    /**
     * Asks {@code chooser} at the model's choice points ({@link dev.ringspec.model.Choice}): where the kernel may
     * do either of several things by timing, a test or a lockstep run decides which the emulator does; in the
     * deterministic mode also the order of io-wq work pending together ({@link IoWqChoices#IOWQ_COMPLETION_ORDER}),
     * and readiness events ready together come in the kernel's order of wakeups, not a seeded one
     * ({@link Readiness#inWakeOrder}).
     */
    public EmulatedIoUring withChooser(Chooser chooser) {
        model.withChooser(chooser);
        ioWq.withChooser(chooser);
        if (scheduler != null) {
            scheduler.withChooser(chooser);
        }
        if (chooser != null) {
            readiness.inWakeOrder();
        }
        return this;
    }

    /**
     * For a lockstep run, where nothing outside acts while a side waits: in the deterministic mode on the virtual
     * clock, a wait that only a descriptor becoming ready could end gives up at once, as one that would block for
     * ever ({@code CQRING_WAIT_WOULD_BLOCK}), instead of blocking the run. No effect in the threaded mode.
     */
    public EmulatedIoUring withStillWorld() {
        if (scheduler != null) {
            scheduler.stillWorld();
        }
        return this;
    }

    @Override
    public String description() {
        return "emulator, profile " + base.version();
    }

    @Override
    public String release() {
        return base.version() + ".0-emulator";
    }

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        SetupResult result = model.setup(entries, params);
        Ring ring = result.ringOrNull();
        if (ring != null) {
            ringInodes.put(ring.fd(), Linux.inode(ring.fd()));
            ioWq.madeRing(taskKey.get(), model.issueContextOf(ring.fd()), ring.params().sqEntries());
            if ((ring.params().flags() & IORING_SETUP_SQPOLL) != 0) {
                sqPoll.start(ring, SqPollThreads.idleMillis(params, memory));
                ioWq.madeSqThread(sqPoll.threadOf(ring.fd()), model.issueContextOf(ring.fd()));
            } else {
                ringLocks.put(ring.fd(), new ReentrantLock());
            }
            if (interrupts != null) {
                interrupts.setUp(ring);
            }
            if (pedantic != null) {
                pedantic.setUp(ring);
            }
        }
        return result;
    }

    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        if (interrupts == null) {
            return enterOwn(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
        }
        int r = Integer.MIN_VALUE;
        interrupts.entering(ring.fd());
        try {
            r = enterOwn(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
            return r;
        } finally {
            interrupts.left(ring.fd(), r);
        }
    }

    /**
     * Ring {@code ring}'s task sleeps outside the emulator while its time passes, and runs the task work that wakes
     * it ({@link TaskOutside#wakeSleepingTask}).
     */
    public void wakeSleepingTask(Ring ring) {
        taskOutside.wakeSleepingTask(ring);
    }

    /**
     * Ring {@code ring}'s task goes to sleep outside the emulator: io-wq work it left runs meanwhile, and the task
     * runs the task work that wakes it ({@link TaskOutside#taskSleeps}); then {@link #wakeSleepingTask} as time passes.
     */
    public void taskSleeps(Ring ring) {
        taskOutside.taskSleeps(ring);
    }

    /**
     * Ring {@code ring}'s task is back from a syscall of its own outside the emulator, which may have woken polls,
     * and runs their task work ({@link TaskOutside#ownCallReturned}).
     */
    public void ownCallReturned(Ring ring) {
        taskOutside.ownCallReturned(ring);
    }

    private int enterOwn(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg,
            long argSizeBytes) {
        ReentrantLock sqLock = lockOf(ring.fd());
        if (sqLock == null) {
            return enterLocked(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
        }
        sqPoll.checkAlive(ring.fd());
        sqLock.lock();
        try {
            return enterLocked(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
        } finally {
            sqLock.unlock();
        }
    }

    /** The lock of ring {@code ringFd} ({@link #ringLocks}, or its SQ thread's), or null for no live ring. */
    private ReentrantLock lockOf(int ringFd) {
        ReentrantLock sq = sqPoll.lockOf(ringFd);
        return sq != null ? sq : ringLocks.get(ringFd);
    }

    private int enterLocked(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg,
            long argSizeBytes) {
        if (pedantic != null) {
            pedantic.before(ring);
        }
        readiness.enterBegins();
        ioWq.submits(toSubmit, taskKey.get(), model.issueContextOf(ring.fd()));
        int r;
        try {
            if (scheduler == null && readiness.watching()) {
                // a wakeup made before this enter has its work queued first, as the kernel queues it in the waking call
                readiness.pollOnce(0);
            }
            r = enterWithFaults(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
            int setup = ring.params().flags();
            // on a DEFER_TASKRUN ring only the submission's own wakeups are run by the wait below: io_cqring_wait runs
            // the local work first and then the task's (io_run_task_work: ____fput), so what the files the call
            // dropped wake stays queued, IORING_SQ_TASKRUN set (world lockstep seed 2714: an ACCEPT's failed direct
            // install, io_fixed_fd_install's fput, woke a READ of the connection's other end after the enter)
            // but not an eventfd's: a ring's signal made before the wait's last local run had its wakeups run there
            // (the run looks at the task's own wakeups first, AsyncPoll.ownWakeups), and one made after it (the run's
            // flush, io_cqring_wait's io_cqring_do_overflow_flush) queues work the kernel's wait, returning at once,
            // leaves queued (world lockstep seed 1204: a READ of the ring's eventfd)
            long fileWakes = Wakeups.fileWakes();
            boolean submissionWoke = (setup & IORING_SETUP_DEFER_TASKRUN) != 0 && r >= 0 && readiness.watching()
                    && readiness.pollOnce(0) > 0 && Wakeups.fileWakes() > fileWakes;
            TaskFput.run(model.issueContextOf(ring.fd())); // the files the call dropped, as it returns
            boolean ready = r >= 0 && readiness.watching() && readiness.pollOnce(0) > 0;
            if ((setup & IORING_SETUP_DEFER_TASKRUN) != 0) {
                ready = submissionWoke;
            }
            if (ready && (setup & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL)) == 0) {
                // what the enter itself made ready (a write in this batch waking a read's poll) wakes its waiter
                // before the syscall returns, as in the kernel, and the task runs that task work on its way out
                model.enter(ring, 0, 0, 0, MemorySegment.NULL, 0);
            } else if (ready && (setup & IORING_SETUP_SQPOLL) == 0 && (flags & IORING_ENTER_GETEVENTS) != 0
                    && toSubmit > 0 && r == toSubmit) {
                // on a DEFER_TASKRUN ring the wakeup queued local work during the submission (a loopback connect
                // completes inside it), which the same enter's wait runs (io_cqring_wait: io_run_local_work), but
                // for one that submitted fewer than asked and returns without waiting (io_uring_enter: seeds 89, 443)
                // and one from the wait's overflow flush (the ring's eventfd to a poll): the next enter (seed 7)
                model.enter(ring, 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            }
        } finally {
            // what the enter left armed is watched from now on
            readiness.afterEnter();
        }
        if (pedantic != null) {
            pedantic.after(ring, false);
        }
        return r;
    }

    private int enterWithFaults(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg,
            long argSizeBytes) {
        if (scheduler != null) {
            scheduler.pollAtEnter(toSubmit > 0 || (flags & IORING_ENTER_GETEVENTS) != 0, () -> wakeSleepingTask(ring));
        }
        return faults.any() ? faults.enter(model, ring, toSubmit, minComplete, flags, arg, argSizeBytes)
                : model.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
    }

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        ReentrantLock sqLock = lockOf(ring.fd());
        if (sqLock == null) {
            return registerLocked(ring, opcode, arg, nrArgs);
        }
        sqLock.lock();
        try {
            return registerLocked(ring, opcode, arg, nrArgs);
        } finally {
            sqLock.unlock();
        }
    }

    private int registerLocked(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        if (scheduler != null) {
            // an io-wq worker may still run across the call (IOWQ_STILL_RUNNING): io_uring_register takes
            // uring_lock, as the worker's io_fixed_fd_install does, so it finishes before or after it (seed 42)
            scheduler.pollAtEnter(true);
        }
        if (pedantic != null) {
            pedantic.before(ring);
        }
        int r = model.register(ring, opcode, arg, nrArgs);
        if (pedantic != null) {
            pedantic.after(ring, r == 0 && (opcode & ~IORING_REGISTER_USE_REGISTERED_RING)
                    == IORING_REGISTER_RESIZE_RINGS);
        }
        return r;
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        return model.registerWithoutRing(opcode, arg, nrArgs);
    }

    @Override
    public int setNoNewPrivs() {
        return model.setNoNewPrivs();
    }

    @Override
    public int forkTask(boolean dropCapSysAdmin) {
        return model.forkTask(dropCapSysAdmin);
    }

    @Override
    public int freshTask() {
        return model.freshTask();
    }

    @Override
    public int close(Ring ring) {
        int fd = ring.fd();
        sqPoll.stop(fd); // io_ring_exit_work parks and ends the SQ thread first
        IssueContext ctx = model.issueContextOf(fd);
        return ringDescriptors.closeHolding(() -> closeModel(ring), () -> forget(fd, ctx));
    }

    private int closeModel(Ring ring) {
        ReentrantLock lock = ringLocks.get(ring.fd());
        if (lock == null) {
            return model.close(ring);
        }
        lock.lock();
        try {
            return model.close(ring);
        } finally {
            lock.unlock();
        }
    }

    /** What this emulator keeps under closed ring {@code fd}'s number, removed before the number is given back. */
    private void forget(int fd, IssueContext ctx) {
        ioWq.ringClosed(ctx);
        if (interrupts != null) {
            interrupts.forget(fd);
        }
        ringLocks.remove(fd);
        ringInodes.remove(fd);
        if (waiter != null) {
            waiter.forget(fd);
        } else {
            scheduler.forget(fd);
        }
        if (pedantic != null) {
            pedantic.closed(fd);
        }
    }

    /** Whether live ring {@code ring} has requests waiting outside it ({@link Inflight}), which may still complete. */
    public boolean waitsOutside(Ring ring) {
        IssueContext ctx = model.issueContextOf(ring.fd());
        return ctx != null && !ctx.ringLocal(Inflight.class, Inflight::new).all().isEmpty();
    }

    /** Whether live ring {@code ring} has task work not yet run (a DEFER_TASKRUN ring's runs only in a wait). */
    public boolean taskWorkPending(Ring ring) {
        return model.taskWorkPending(ring.fd());
    }

    /** An exec's cancellation for the calling thread's task ({@link TaskCancel}); then its io-wq ends. */
    public int cancelTaskRequests(long timeoutNanos) {
        Object task = taskKey.get();
        int cancelled = TaskCancel.cancel(task, e -> true, List.copyOf(ringInodes.keySet()), model::issueContextOf,
                this::lockOf, clock, timeoutNanos);
        ioWq.exit(task);
        return cancelled;
    }

    /** An exit's cancellation for {@code task} ({@link TaskCancel}), {@code timeoutNanos}; its io-wq ends. */
    public int cancelExitedTask(Object task, long timeoutNanos) {
        int cancelled = TaskCancel.cancel(task, e -> e.fd() >= 0 && !e.fixed() && ring(e.fd()) != null,
                List.copyOf(ringInodes.keySet()), model::issueContextOf, this::lockOf, clock, timeoutNanos);
        ioWq.exit(task);
        return cancelled;
    }

    /** Which tasks have exited, where the task keys are not platform threads ({@link TaskExits}). */
    public EmulatedIoUring withTaskExited(java.util.function.Predicate<Object> exited) {
        taskExits.set(exited);
        return this;
    }

    // ---- EmulatorServices ----

    @Override
    public void inflightTracked(Object task) {
        threadExits.watch(task);
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public TaskExits taskExits() {
        return taskExits;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Timers timers() {
        return timers;
    }

    @Override
    public IssueContext ring(int ringFd) {
        IssueContext own = model.issueContextOf(ringFd);
        if (own != null || ringFd < 0) {
            return own;
        }
        // a duplicate of a ring's descriptor (a registered-file slot holds one): the same memfd, the same inode
        long inode = Linux.inode(ringFd);
        for (Map.Entry<Integer, Long> e : ringInodes.entrySet()) {
            if (inode >= 0 && e.getValue() == inode) {
                return model.issueContextOf(e.getKey());
            }
        }
        return null;
    }

    @Override
    public Faults faults() {
        return faults;
    }

    @Override
    public void deliver(IssueContext ctx, Req req, OpDef.Issue func) {
        deliver(ctx, req, func, () -> { });
    }

    @Override
    public void deliver(IssueContext ctx, Req req, OpDef.Issue func, Runnable queued) {
        long late = faults.any() ? faults.completionDelayNanos(req.userData()) : 0;
        if (late > 0) {
            timers.after(late, () -> {
                ctx.taskWorkFromOtherThread(req, func);
                queued.run();
            });
            return;
        }
        ctx.taskWorkFromOtherThread(req, func);
        queued.run();
    }

    @Override
    public void directIo(IssueContext ctx, Req req, Supplier<OpDef.Issue> transfer) {
        directIo.submit(ctx, req, transfer);
    }

    /** Stops the emulator's threads (poll, timers, io-wq, bios). Rings still open are not usable afterwards. */
    @Override
    public void close() {
        sqPoll.stopAll();
        if (interrupts != null) {
            interrupts.close();
        }
        if (served != null) {
            ProgramTransfers.serve(null, null);
        }
        readiness.close();
        timers.close();
        ioWq.close();
        directIo.close();
    }
}
