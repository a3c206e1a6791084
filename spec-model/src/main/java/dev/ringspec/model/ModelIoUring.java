package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAIT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;

import dev.ringspec.seam.AddressSpace;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * The reference model of io_uring behind the same seam as the kernel: a drop-in replacement for
 * {@code NativeIoUring}, and the syscall facade of the model. Its rings live in native memory laid out exactly like
 * the kernel's (one {@link Arena} per ring and mapping generation, closed on close and on resize), so the same
 * application code drives both. The calling thread is the kernel's task ({@link IoUringTask}; {@link #forkTask}
 * moves it to a child task): the owner of a SINGLE_ISSUER ring is the creating task, or the task that enables an
 * R_DISABLED ring. Ring descriptors are small fake numbers from 1000
 * up.
 *
 * <h2>Where the rules live</h2>
 * Each syscall starts here and goes to the file named after the kernel's: setup in {@link IoUringSetup}; enter in
 * {@link SubmitSqes} (with {@link SqRing}, {@link InitReq}, {@link Links}, {@link Drain}, {@link IssueSqe} and the
 * opcode table {@link IoIssueDefs}), {@link Completion}, {@link CqeCache}, {@link OverflowList}, {@link TaskWork}
 * and {@link CqringWait}; register in {@link Register} (with {@link ResizeRings}, {@link Query},
 * {@link Restrictions}, {@link Rsrc}, {@link FileTable}, {@link BufferTable}). A ring ({@link ModelRing}) holds its
 * parts; every rule is a named {@link Rule} reported to the {@link RuleListener} of {@link #withRuleListener}.
 *
 * <h2>What is not modelled</h2>
 * <ul>
 *   <li>Opcodes other than NOP/NOP128, unless the profile brings them ({@link KernelProfile.Builder#opcode}): they
 *       pass io_init_req's generic checks (opcode range, SQE flags, drain, restrictions), report
 *       {@link Rules#OPCODE_NOT_MODELLED} and throw {@link UnsupportedOperationException}. Generators must not
 *       send them past those checks. The ring is not usable after such an exception.</li>
 *   <li>Asynchronous execution: a request the kernel sends to io-wq (IOSQE_ASYNC, a dangling link, drained
 *       requests) goes to the {@link IoWq} of {@link #withIoWq}; the model's own issues it through the task's task
 *       work. On a DEFER_TASKRUN ring that is what the kernel does too; on other rings io-wq posts the CQE at a
 *       time of its own, so a lockstep run must avoid it ({@link Rules#IO_QUEUE_IOWQ} says when).</li>
 *   <li>SQPOLL's thread (setup accepted like the kernel; enter throws UnsupportedOperationException unless a
 *       backend runs the SQ thread: {@link #withSqPoll}), IOPOLL polling (a backend's read or write of a file
 *       that polls joins the iopoll list with its result already there, see {@link IopollList}; a GETEVENTS enter
 *       is io_iopoll_check and never sleeps), the SQ thread shared through ATTACH_WQ (the checks are modelled:
 *       -ENXIO for a closed wq_fd, -EINVAL for a non-io_uring one or, with SQPOLL, one without an SQ thread;
 *       read from the source),
 *       registered ring descriptors (the {@link Ring} object names the ring; the flag bits are ignored), signal
 *       masks, EXT_ARG_REG wait regions, register opcodes other than those {@link Register} lists (they throw
 *       UnsupportedOperationException), resource tags (a non-zero tag throws), query ZCRX, dropped CQEs (the
 *       model never fails an allocation, so no -EBADR) and BPF filters.</li>
 *   <li>Read from the source but not measured: the errnos of the file and buffer tables.</li>
 *   <li>Intended, not mirrored: after a refill that fails once the skip CQE is written, Linux 6.18 keeps its
 *       stale CQE cache range and writes the next 16-byte CQE over the skip CQE, past a full ring (measured on
 *       6.18.44: tail - head = 9 on an 8-entry CQ). The model queues that CQE behind the overflow list and reports
 *       {@link Rules#STALE_CQE_CACHE_6_18}; the divergence catalogue holds the kernel's behaviour
 *       (cqe-stale-cache-jumps-overflow-list).</li>
 * </ul>
 *
 * <h2>Blocking waits</h2>
 * A GETEVENTS enter that asks for more CQEs than can ever appear would put the kernel task to sleep. The model's
 * {@link Waiter} never blocks: after running all task work and flushing the overflow list, nothing else can happen
 * in a NOP-only model, so such a wait is final: with an EXT_ARG timeout the model answers what the kernel answers
 * when the timeout expires (-ETIME if the CQ is empty, else 0); without one the kernel would sleep until a signal
 * arrives, and the model answers what such a signal produces, -EINTR. Neither is invented;
 * {@link Rules#CQRING_WAIT_WOULD_BLOCK} tells "satisfied" and "the kernel would have slept" apart.
 *
 * <h2>File descriptors</h2>
 * The model cannot see the process's descriptors. {@link ProcessDescriptorTable} answers for them; by default every
 * descriptor {@code >= 0} is open. The model's own ring descriptors count as io_uring files, which REGISTER_FILES
 * refuses.
 */
public final class ModelIoUring implements IoUringKernel {
    private static final int FIRST_FD = 1000;

    private final KernelProfile profile;
    private final UserArgs args;
    private final Set<Mutant> mutants;
    private final IoIssueDefs issueDefs;
    private final RuleSink ringlessRules;
    private final IoUringSetup setup;
    private final Register register;
    private volatile ProcessDescriptorTable descriptorTable = ProcessDescriptorTable.NON_NEGATIVE_OPEN;
    private volatile boolean onHeapRings;
    private volatile RuleListener ruleListener = RuleListener.NONE;
    private volatile Chooser chooser = Chooser.DEFAULT;
    private volatile IoWq ioWq = IoWq.TASK_WORK;
    private volatile Waiter waiter = Waiter.NEVER_SLEEPS;
    private volatile AsyncPoll asyncPoll = AsyncPoll.NONE;
    /** Who runs SQPOLL rings' SQ threads; null: nobody, and an SQPOLL enter throws. */
    private volatile SqPoll sqPoll;
    private volatile RingDescriptors ringDescriptors;
    private volatile IntPredicate cqOverflowFault;
    private volatile Clock clock = Clock.SYSTEM;
    private final AtomicInteger nextFd = new AtomicInteger(FIRST_FD);
    private final Map<Integer, ModelRing> live = new ConcurrentHashMap<>();
    /** The task each thread runs as now ({@link #currentTask}); a fork or a fresh task replaces it. */
    private final TaskTable tasks = new TaskTable(this::newRootTask);
    /** Whose task the calling thread runs as: the thread itself unless {@link #withTaskKey} says otherwise. */
    private volatile Supplier<Object> taskKey = Thread::currentThread;
    private final AtomicInteger nextTask = new AtomicInteger(1);
    private volatile boolean capSysAdmin = true;

    public ModelIoUring(KernelProfile profile) {
        this(profile, new UserMemory());
    }

    public ModelIoUring(KernelProfile profile, AddressSpace userMemory) {
        this(profile, userMemory, Set.of());
    }

    public ModelIoUring(KernelProfile profile, AddressSpace userMemory, Set<Mutant> mutants) {
        this.profile = profile;
        this.args = new UserArgs(userMemory);
        this.mutants = mutants.isEmpty() ? EnumSet.noneOf(Mutant.class) : EnumSet.copyOf(mutants);
        this.issueDefs = new IoIssueDefs(profile, this.mutants);
        this.ringlessRules = new RuleSink(-1, RuleListener.NONE);
        this.setup = new IoUringSetup(this, args, ringlessRules);
        this.register = new Register(profile, args, setup, new Query(profile, args, ringlessRules),
                new BpfFilter(profile, args, issueDefs, this.mutants), issueDefs, this.mutants);
    }

    /** Replaces the answer to "is this descriptor open in the process?" (see {@link ProcessDescriptorTable}). */
    public ModelIoUring withProcessDescriptors(ProcessDescriptorTable table) {
        this.descriptorTable = Objects.requireNonNull(table);
        return this;
    }

    /**
     * Puts the rings of rings set up from now on in plain Java arrays instead of native memory: the same layout and
     * the same rules, for teaching and for tests without native memory. Rings set up with NO_MMAP still live in the
     * user memory they were given. A heap ring's memory is not freed by close; it is collected like any array.
     */
    public ModelIoUring withOnHeapRings() {
        this.onHeapRings = true;
        return this;
    }

    /**
     * Reports every {@link Rule} as it applies, on every ring of this model, those set up before included, and for
     * setup and ringless register calls (ring descriptor -1). Replaces the listener before; {@link RuleListener#NONE}
     * stops reporting.
     */
    public ModelIoUring withRuleListener(RuleListener listener) {
        this.ruleListener = Objects.requireNonNull(listener);
        ringlessRules.listen(listener);
        for (ModelRing r : live.values()) {
            r.listen(listener);
        }
        return this;
    }

    /**
     * Lets {@code chooser} pick the outcome of every {@link Choice} point, on every ring of this model, those set up
     * before included. {@link Chooser#DEFAULT} keeps the model's default outcomes.
     */
    public ModelIoUring withChooser(Chooser newChooser) {
        this.chooser = Objects.requireNonNull(newChooser);
        for (ModelRing r : live.values()) {
            r.choose(newChooser);
        }
        return this;
    }

    /** The io-wq of rings set up from now on (see {@link IoWq}); the default issues through task work. */
    public ModelIoUring withIoWq(IoWq newIoWq) {
        this.ioWq = Objects.requireNonNull(newIoWq);
        return this;
    }

    /** How a wait that would sleep sleeps (see {@link Waiter}); the default never blocks. */
    public ModelIoUring withWaiter(Waiter newWaiter) {
        this.waiter = Objects.requireNonNull(newWaiter);
        return this;
    }

    /**
     * Where the descriptors of rings set up from now on come from: by default small numbers from 1000 up, which a
     * real process's descriptors may collide with; an emulator takes real descriptors of its process.
     */
    public ModelIoUring withRingDescriptors(RingDescriptors descriptors) {
        this.ringDescriptors = Objects.requireNonNull(descriptors);
        return this;
    }

    /**
     * A fault to inject, not a kernel rule: for rings set up from now on, each CQE about to be posted asks
     * {@code fault} (with the ring's descriptor) and, on true, finds no slot, as if the CQ were full: it joins the
     * overflow list, IORING_SQ_CQ_OVERFLOW is raised, and later CQEs follow it there until the list is flushed, by the
     * model's own rules. How an emulator tests that a library copes with overflow ({@link Rules#INJECTED_CQ_OVERFLOW}).
     */
    public ModelIoUring withCqOverflowFault(IntPredicate fault) {
        this.cqOverflowFault = Objects.requireNonNull(fault);
        return this;
    }

    IntPredicate cqOverflowFault() {
        return cqOverflowFault;
    }

    /** A source of ring descriptors (see {@link #withRingDescriptors}). */
    public interface RingDescriptors {
        /**
         * A new descriptor for a ring being set up (a setup that cannot get one is a bug of the caller's); taken
         * before the regions are allocated, given back by {@link #close} if the setup fails.
         */
        int open();

        /** The ring was closed, or its setup failed: its descriptor may be reused. */
        void close(int fd);

        /**
         * The regions of the ring behind {@code fd} (not NO_MMAP) as the descriptor's own memory, the way the
         * kernel's mmap hands them out ({@code struct io_rings} at {@code IORING_OFF_SQ_RING}, the SQEs at
         * {@code IORING_OFF_SQES}), mapped for the lifetime of {@code arena}: {@code {rings, sqes}}, at least
         * {@code ringsBytes} and {@code sqesBytes} long and zeroed; or {@code null}, and the model allocates them in
         * {@code arena}. Only setup asks: the regions of a resize are the model's own memory.
         */
        default MemorySegment[] map(int fd, Arena arena, long ringsBytes, long sqesBytes) {
            return null;
        }
    }

    RingDescriptors ringDescriptors() {
        return ringDescriptors;
    }

    /** How a request that would block on a pollable file waits (see {@link AsyncPoll}); the default arms nothing. */
    public ModelIoUring withAsyncPoll(AsyncPoll newAsyncPoll) {
        this.asyncPoll = Objects.requireNonNull(newAsyncPoll);
        return this;
    }

    AsyncPoll asyncPoll() {
        return asyncPoll;
    }

    /** Who runs the SQ threads of SQPOLL rings (see {@link SqPoll}); without one an SQPOLL enter throws. */
    public ModelIoUring withSqPoll(SqPoll newSqPoll) {
        this.sqPoll = Objects.requireNonNull(newSqPoll);
        return this;
    }

    /** The clock opcodes read (see {@link Clock}). */
    public ModelIoUring withClock(Clock newClock) {
        this.clock = Objects.requireNonNull(newClock);
        return this;
    }

    /**
     * Whether the tasks this model starts have CAP_SYS_ADMIN (the default, as a root process such as the guest's
     * agent has): it lets a task register per-task restrictions without no_new_privs.
     */
    public ModelIoUring withCapSysAdmin(boolean value) {
        this.capSysAdmin = value;
        return this;
    }

    /**
     * Says whose task the calling thread runs as ({@code key}'s answer; equal answers are one task): for a
     * supervisor that serves another process's threads from whichever of its own threads is free, the served
     * thread's id. By default each thread of this JVM is a task of its own.
     */
    public ModelIoUring withTaskKey(Supplier<Object> key) {
        this.taskKey = Objects.requireNonNull(key);
        return this;
    }

    /** The kernel this model is: its rules and features. */
    public KernelProfile profile() {
        return profile;
    }

    /** The task the calling thread runs as: on its first call a new one that inherits nothing. */
    IoUringTask currentTask() {
        return tasks.current(taskKey.get());
    }

    /** The calling thread continues as {@code task}: back in a parent after {@link #forkTask}, as its process would. */
    void runAs(IoUringTask task) {
        tasks.set(taskKey.get(), Objects.requireNonNull(task));
    }

    private IoUringTask newRootTask() {
        return IoUringTask.root(String.valueOf(nextTask.getAndIncrement()), capSysAdmin);
    }

    Set<Mutant> mutants() {
        return mutants;
    }

    UserArgs userArgs() {
        return args;
    }

    IoIssueDefs issueDefs() {
        return issueDefs;
    }

    ProcessDescriptorTable descriptorTable() {
        return descriptorTable;
    }

    boolean onHeapRings() {
        return onHeapRings;
    }

    RuleListener ruleListener() {
        return ruleListener;
    }

    Chooser chooser() {
        return chooser;
    }

    IoWq ioWq() {
        return ioWq;
    }

    Waiter waiter() {
        return waiter;
    }

    Clock clock() {
        return clock;
    }

    /** Whether {@code fd} is one of this model's live rings (an io_uring file). */
    boolean isRingFd(int fd) {
        return live.containsKey(descriptorTable.ringDescriptor(fd));
    }

    /** The live ring {@code fd} names, or null. */
    ModelRing liveRing(int fd) {
        return live.get(descriptorTable.ringDescriptor(fd));
    }

    /** Who runs the SQ threads, or null. */
    SqPoll sqPoll() {
        return sqPoll;
    }

    @Override
    public String description() {
        return "model, profile " + profile.version() + (mutants.isEmpty() ? "" : ", mutants " + mutants);
    }

    /**
     * Shaped like uname's release ({@code "6.18.0-model"}), so checks pinned to a kernel line judge the model by
     * the same numbers as the kernel.
     */
    @Override
    public String release() {
        return profile.version() + ".0-model";
    }

    // ---- io_uring_setup ----

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        if (UserArgs.isHeap(params)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = UserArgs.nativeCopy(call, params);
                SetupResult result = setup(entries, copy);
                MemorySegment.copy(copy, 0, params, 0, params.byteSize());
                return result;
            }
        }
        RingDescriptors descriptors = ringDescriptors;
        int own = descriptors == null ? -1 : descriptors.open();
        SetupResult result = setup.setup(entries, params, own, (flags, owner, regions) -> {
            int fd = own >= 0 ? own : nextFd.getAndIncrement();
            ModelRing ring = new ModelRing(this, args, fd, flags, owner, regions);
            live.put(fd, ring);
            return ring;
        });
        if (own >= 0 && result.ringOrNull() == null) {
            descriptors.close(own);
        }
        return result;
    }

    // ---- io_uring_enter ----

    /**
     * {@code io_uring_enter}. Never blocks with the model's {@link Waiter}: see the class documentation for what an
     * unsatisfiable GETEVENTS wait answers.
     */
    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        if (UserArgs.isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                return enter(ring, toSubmit, minComplete, flags, UserArgs.nativeCopy(call, arg), argSizeBytes);
            }
        }
        ModelRing r = own(ring);
        if (r.closed()) {
            return -EBADF;
        }
        RuleSink rules = r.rules();
        // io_uring_enter: unknown enter flags -> -EINVAL
        if ((flags & ~profile.enterFlags()) != 0) {
            rules.fire(Rules.ENTER_UNKNOWN_FLAGS, Integer.toUnsignedLong(flags & ~profile.enterFlags()));
            return -EINVAL;
        }
        // io_uring_enter: a ring still R_DISABLED -> -EBADFD
        if (r.has(IORING_SETUP_R_DISABLED)) {
            rules.fire(Rules.ENTER_RING_DISABLED, 0);
            return -EBADFD;
        }
        int ret = 0;
        boolean getEvents = (flags & IORING_ENTER_GETEVENTS) != 0;
        if (r.has(IORING_SETUP_SQPOLL)) {
            SqPoll thread = sqPoll;
            if (thread == null) {
                throw new UnsupportedOperationException("SQPOLL rings are created but not executed by the model");
            }
            // io_uring_enter: on an SQPOLL ring the SQ thread submits; enter wakes it, may wait for SQ room, and
            // answers to_submit
            rules.fire(Rules.SQPOLL_ENTER, Integer.toUnsignedLong(flags & (IORING_ENTER_SQ_WAKEUP
                    | IORING_ENTER_SQ_WAIT)));
            if ((flags & IORING_ENTER_SQ_WAKEUP) != 0) {
                thread.wakeUp(r.fd());
            }
            if ((flags & IORING_ENTER_SQ_WAIT) != 0) {
                thread.waitSq(r.fd(), r.sqState()::full);
            }
            ret = toSubmit;
        } else if (toSubmit != 0) {
            // io_uring_add_tctx_node: a SINGLE_ISSUER ring submitted from another task -> -EEXIST
            if (!r.isOwnerOrUnowned()) {
                rules.fire(Rules.ADD_TCTX_NODE_NOT_SUBMITTER, 0);
                return -EEXIST;
            }
            int tail = r.cqeCache().cachedCqTail();
            ret = r.submit().submitSqes(toSubmit, taskKey.get());
            if (r.cqeCache().cachedCqTail() != tail) {
                // __io_submit_flush_completions -> io_cqring_wake: a task waiting on the ring sees the new CQEs
                waiter.cqPosted(r.fd());
            }
            // io_uring_enter: fewer submitted than asked -> return at once, without the GETEVENTS part
            if (ret != toSubmit && !mutants.contains(Mutant.EARLY_RETURN_WAITS)) {
                if (getEvents) {
                    rules.fire(Rules.ENTER_EARLY_RETURN_SKIPS_WAIT, Integer.toUnsignedLong(ret));
                }
                return leave(r, ret, getEvents);
            }
            // io_uring_enter: DEFER_TASKRUN runs its local work here before waiting
            if (getEvents && r.has(IORING_SETUP_DEFER_TASKRUN)) {
                r.taskWork().runLocal(minComplete);
            }
        }
        if (getEvents) {
            // io_uring_enter: an IOPOLL ring without SQPOLL (ctx->syscall_iopoll) polls instead of waiting
            int ret2 = r.has(IORING_SETUP_IOPOLL) && !r.has(IORING_SETUP_SQPOLL)
                    ? r.cqringWait().iopollCheck(minComplete, flags, arg, argSizeBytes, r.isOwnerOrUnowned())
                    : r.cqringWait().getEvents(minComplete, flags, arg, argSizeBytes, r.isOwnerOrUnowned());
            if (ret == 0) {
                ret = ret2;
            }
        }
        return leave(r, ret, getEvents);
    }

    /**
     * One look of the SQ thread at {@code ring} ({@code __io_sq_thread} and {@code io_sq_tw}): submits what the SQ
     * holds unless the ring is still R_DISABLED, then runs the ring's task work. Returns whether it did anything
     * (the thread then keeps spinning). Call it only from the thread that {@link #withSqPoll}'s backend runs for the
     * ring, never concurrently with another call on the same ring.
     */
    public boolean sqThreadPass(Ring ring) {
        ModelRing r = own(ring);
        if (r.closed()) {
            return false;
        }
        int toSubmit = r.sqState().entries();
        int submitted = 0;
        // __io_sq_thread: submit what the SQ holds, not while the ring is R_DISABLED
        if (toSubmit != 0 && !r.has(IORING_SETUP_R_DISABLED)) {
            r.rules().fire(Rules.SQ_THREAD_SUBMITS, Integer.toUnsignedLong(toSubmit));
            int tail = r.cqeCache().cachedCqTail();
            submitted = r.submit().submitSqes(toSubmit, taskKey.get());
            if (r.cqeCache().cachedCqTail() != tail) {
                waiter.cqPosted(r.fd());
            }
        }
        // __io_sq_thread: an IOPOLL ring's iopoll list is polled after the submission (io_do_iopoll)
        boolean polled = r.iopoll() != null && !r.iopoll().isEmpty() && r.iopoll().doIopoll() > 0;
        boolean work = r.taskWork().pending();
        r.taskWork().runOnReturn();
        return submitted > 0 || polled || work;
    }

    /**
     * The SQ thread found nothing to do for its idle time: raises IORING_SQ_NEED_WAKEUP, then looks at the SQ tail
     * again (a submission that raced the flag). Returns whether the thread may sleep now.
     */
    public boolean sqThreadIdle(Ring ring) {
        ModelRing r = own(ring);
        if (r.closed()) {
            return false;
        }
        // io_sq_thread: atomic_or(IORING_SQ_NEED_WAKEUP), smp_mb__after_atomic, then io_sqring_entries again
        r.rules().fire(Rules.SQ_THREAD_NEED_WAKEUP, 0);
        Regions.orSqFlags(profile.ringLayout(), r.regions().rings(), IORING_SQ_NEED_WAKEUP);
        return r.sqState().entries() == 0 && !r.taskWork().pending();
    }

    /** The SQ thread woke (or did not sleep): clears IORING_SQ_NEED_WAKEUP. */
    public void sqThreadAwake(Ring ring) {
        ModelRing r = own(ring);
        if (!r.closed()) {
            Regions.andNotSqFlags(profile.ringLayout(), r.regions().rings(), IORING_SQ_NEED_WAKEUP);
        }
    }

    /** The return to user space: task work of a non-DEFER ring runs before the syscall returns. */
    private int leave(ModelRing r, int ret, boolean getEvents) {
        if (!getEvents && mutants.contains(Mutant.FLUSH_OUTSIDE_GETEVENTS)) {
            r.overflow().flush();
        }
        r.taskWork().runOnReturn();
        return ret;
    }

    /**
     * Whether, on {@code ring}, Linux 6.18 has by now written a CQE through the stale cached range it keeps after a
     * failed refill, where these semantics queue it behind the overflow list or refill first: the point from which
     * that kernel departs (divergence catalogue entry cqe-stale-cache-jumps-overflow-list). The same moment is
     * reported as {@link Rules#STALE_CQE_CACHE_6_18}; a listener is the way to follow it.
     */
    public boolean kernelUsesStaleCqeCache(Ring ring) {
        return own(ring).cqeCache().kernelUsesStaleCqeCache();
    }

    /**
     * The CQEs waiting in {@code ring}'s overflow list, oldest first: kernel-internal state no application can read
     * (it sees only IORING_SQ_CQ_OVERFLOW), shown by {@code ringspec explain}. Allocates; not for the hot path.
     */
    public List<Cqe> overflowList(Ring ring) {
        return own(ring).overflow().entries();
    }

    /**
     * Whether the last GETEVENTS wait on {@code ring} asked for CQEs that could never arrive; reported as
     * {@link Rules#CQRING_WAIT_WOULD_BLOCK} when it happens.
     */
    public boolean lastWaitWouldBlock(Ring ring) {
        return own(ring).cqringWait().lastWaitWouldBlock();
    }

    /**
     * Test hook for model and emulator tests only: starts every counter of a fresh ring at {@code counter} (the
     * kernel's cached SQ head and CQ tail, and the shared {@code sq.head}, {@code sq.tail}, {@code cq.head},
     * {@code cq.tail}), so wrap-around near 2^32 can be tested without 2^32 submissions. A kernel offers no such
     * thing; lockstep code must not use it.
     */
    public void startCountersAt(Ring ring, int counter) {
        own(ring).startCountersAt(counter);
    }

    // ---- io_uring_register ----

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        if (UserArgs.isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = UserArgs.nativeCopy(call, arg);
                int result = register(ring, opcode, copy, nrArgs);
                MemorySegment.copy(copy, 0, arg, 0, arg.byteSize());
                return result;
            }
        }
        ModelRing r = own(ring);
        if (r.closed()) {
            return -EBADF;
        }
        return register.register(r, opcode, arg, nrArgs);
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        if (UserArgs.isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = UserArgs.nativeCopy(call, arg);
                int result = registerWithoutRing(opcode, copy, nrArgs);
                MemorySegment.copy(copy, 0, arg, 0, arg.byteSize());
                return result;
            }
        }
        return register.registerBlind(currentTask(), opcode, arg, nrArgs, ringlessRules);
    }

    // ---- tasks ----

    @Override
    public int setNoNewPrivs() {
        currentTask().setNoNewPrivs();
        return 0;
    }

    /** {@code copy_process}: the calling thread continues as a child of its task (see {@link IoUringTask#fork}). */
    @Override
    public int forkTask(boolean dropCapSysAdmin) {
        IoUringTask parent = currentTask();
        if (parent.restrictions() != null) {
            // __io_uring_fork: the child's restrictions are a copy of the parent's
            ringlessRules.fire(Rules.FORK_INHERITS_TASK_RESTRICTIONS, 0);
        }
        if (parent.filters() != null && parent.filters().table() != null) {
            // __io_uring_fork: io_bpf_filter_clone shares the parent's filters with the child, copy-on-write
            ringlessRules.fire(Rules.FORK_INHERITS_TASK_FILTERS, 0);
        }
        String child = String.valueOf(nextTask.getAndIncrement());
        tasks.set(taskKey.get(), mutants.contains(Mutant.FORK_DROPS_TASK_RESTRICTIONS)
                ? parent.forkUnrestricted(child, dropCapSysAdmin)
                : parent.fork(child, dropCapSysAdmin, profile.bpfCloneMarksSourceCow(),
                        mutants.contains(Mutant.BPF_FORK_DROPS_FILTERS)));
        return 0;
    }

    @Override
    public int freshTask() {
        tasks.set(taskKey.get(), newRootTask());
        return 0;
    }

    @Override
    public int close(Ring ring) {
        ModelRing r = own(ring);
        if (!r.close()) {
            return -EBADF;
        }
        live.remove(r.fd());
        r.release();
        if (ringDescriptors != null) {
            ringDescriptors.close(r.fd());
        }
        r.regions().arena().close();
        return 0;
    }

    /** Whether live ring {@code ringFd} is still IORING_SETUP_R_DISABLED. */
    boolean ringDisabled(int ringFd) {
        ModelRing r = live.get(ringFd);
        return r != null && r.has(IORING_SETUP_R_DISABLED);
    }

    /** {@code __io_register_rsrc_update} of ring {@code ringFd}'s file table (IORING_OP_FILES_UPDATE). */
    int filesUpdate(int ringFd, int offset, long data, int nrArgs) {
        return live.get(ringFd).rsrc().filesUpdate(offset, data, nrArgs);
    }

    /**
     * The {@link IssueContext} of live ring {@code ringFd}, or null: how an opcode reaches another ring of the same
     * kernel ({@code MSG_RING}'s target).
     */
    public IssueContext issueContextOf(int ringFd) {
        ModelRing r = live.get(ringFd);
        return r == null ? null : r.issueContext();
    }

    /**
     * Whether live ring {@code ringFd} has task work waiting: queued by its task, or added from another thread and
     * not yet taken in. Read by the ring's task, or by another thread holding what serialises it with the task.
     */
    public boolean taskWorkPending(int ringFd) {
        ModelRing r = live.get(ringFd);
        return r != null && r.taskWork().pending();
    }

    private ModelRing own(Ring ring) {
        if (ring instanceof ModelRing r && r.kernel() == this) {
            return r;
        }
        throw new IllegalArgumentException("not a ring of this model: " + ring);
    }
}
