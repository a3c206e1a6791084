package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_ABS_TIMER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD_ASYNC;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RSRC_REGISTER_SPARSE;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_EVENTFD;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.VirtualClock;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.U32;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringSqe;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One backend's part in a lockstep run: the backend, its user memory and argument memory (filled with the same
 * contents on both sides), its current ring, and the result of the last step. It executes a step as an
 * application would and observes the ring afterwards; it knows nothing of the other side.
 */
final class Side {
    static final int MAX_FILES = 16;
    static final int MAX_BUFFERS = 16;
    static final int BUFFER_BYTES = 4096;

    final String name;
    final UserMemory memory;
    final IoUringKernel kernel;
    final MemorySegment params;
    final MemorySegment resizeParams;
    final MemorySegment files;
    final MemorySegment rsrcRegister;
    final MemorySegment update;
    final MemorySegment iovecs;
    final MemorySegment buffers;
    final MemorySegment probe;
    final MemorySegment taskRestriction;
    /** The filter registrations' and the filtered opcodes' argument memory. */
    final FilterArgs filterArgs;
    /** Whether the backend can give the run thread another task ({@link IoUringKernel#freshTask}). */
    final boolean hasTasks;
    /** Whether this run changed the run thread's task (a fork, no_new_privs, restrictions). */
    private boolean taskChanged;
    /** The outside world of a run with real I/O, or null ({@link #world()}). */
    private OutsideWorld world;
    private final int pipeRead;
    private final int pipeWrite;
    Ring ring;
    /** The kernel's SQ head as far as the application can tell (see {@link #noteSubmitHead}). */
    int submitHead;
    SqRingView sq;
    CqRingView cq;
    int sqMask;
    int sqEntries;
    int cqMask;
    int cqEntries;
    int cqeBytes;
    int ringFlags;
    int result;
    /** Whether this is a kernel side of a run with real I/O, whose waits are bounded ({@link #boundWaits}). */
    private boolean boundedWaits;
    /** A bounded wait's io_uring_getevents_arg and its relative timespec. */
    private final MemorySegment waitArg;
    /** A {@link #frozen} copy's world buffers, plain, provided and registered ones; null on a live side. */
    private final List<MemorySegment> frozenBuffers;

    Side(Backend backend, int pipeRead, int pipeWrite) {
        this.name = backend.name();
        this.memory = new UserMemory();
        this.kernel = backend.open(memory);
        this.pipeRead = pipeRead;
        this.pipeWrite = pipeWrite;
        this.params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        this.resizeParams = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        this.files = memory.allocate((long) MAX_FILES * Integer.BYTES, 8);
        this.rsrcRegister = memory.allocate(IoUringRsrcRegister.SIZE_BYTES, 8);
        this.update = memory.allocate(IoUringRsrcUpdate.SIZE_BYTES, 8);
        this.iovecs = memory.allocate((long) MAX_BUFFERS * 16, 8);
        this.buffers = memory.allocate((long) MAX_BUFFERS * BUFFER_BYTES, BUFFER_BYTES);
        this.probe = memory.allocate(new Step.Probe(Step.Probe.MAX_OPS).argBytes(), 8);
        this.taskRestriction = memory.allocate(IoUringTaskRestriction.SIZE_BYTES
                + (long) Step.RegisterTaskRestrictions.MAX_ENTRIES * IoUringRestriction.SIZE_BYTES, 8);
        this.filterArgs = new FilterArgs(memory);
        this.waitArg = memory.allocate(WAIT_ARG_BYTES + 16, 8);
        this.boundedWaits = false;
        this.frozenBuffers = null;
        this.hasTasks = tryFreshTask(kernel);
        if (kernel instanceof EmulatedIoUring e) {
            e.withStillWorld(); // in lockstep nothing outside acts while a side waits
        }
    }

    /**
     * {@link #frozen}: this side's arguments, world and settings, with a copy of its ring's regions and of the
     * buffers its requests read into.
     */
    private Side(Side live) {
        this.name = live.name;
        this.memory = live.memory;
        this.kernel = live.kernel;
        this.pipeRead = live.pipeRead;
        this.pipeWrite = live.pipeWrite;
        this.params = live.params;
        this.resizeParams = live.resizeParams;
        this.files = live.files;
        this.rsrcRegister = live.rsrcRegister;
        this.update = live.update;
        this.iovecs = live.iovecs;
        this.buffers = live.buffers;
        this.probe = live.probe;
        this.taskRestriction = live.taskRestriction;
        this.filterArgs = live.filterArgs;
        this.waitArg = live.waitArg;
        this.boundedWaits = live.boundedWaits;
        this.hasTasks = live.hasTasks;
        this.world = live.world;
        Arena arena = Arena.ofAuto();
        this.frozenBuffers = live.worldBuffers().stream()
                .map(b -> arena.allocate(b.byteSize(), BUFFER_BYTES).copyFrom(b)).toList();
        this.ring = live.ring == null ? null : FrozenRing.of(live.ring);
        this.submitHead = live.submitHead;
        this.result = live.result;
        if (ring != null) {
            refresh();
        }
    }

    /**
     * This side as it stands now, a copy that nothing changes: its ring's regions and the bytes its requests read
     * (the world's buffers, plain and provided, and the registered ones). A kernel's ring goes on changing after a
     * step on the kernel's own time (a TIMEOUT of the world's 5 ms fires, an io-wq worker posts); the choice search
     * compares each of its trials with the subject as the diverging step left it, not as it became while the search
     * ran ({@link LockstepRunner}). Only observed: it executes nothing and closes nothing.
     */
    Side frozen() {
        return new Side(this);
    }

    /** Whether this is a {@link #frozen} copy. */
    boolean isFrozen() {
        return frozenBuffers != null;
    }

    /**
     * The buffers the side's requests read into, whose bytes the comparison compares: the world's plain and provided
     * buffers and the registered ones, in that order; none without a world. A {@link #frozen} copy's are copies.
     */
    List<MemorySegment> worldBuffers() {
        if (frozenBuffers != null) {
            return frozenBuffers;
        }
        return world == null ? List.of() : List.of(world.buffers, world.provided, buffers);
    }

    private static boolean tryFreshTask(IoUringKernel kernel) {
        try {
            return kernel.freshTask() == 0;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    boolean hasRing() {
        return ring != null;
    }

    /**
     * A world step; after the world's syscall an emulator's task runs the task work of what that syscall woke
     * ({@link EmulatedIoUring#ownCallReturned}), as the kernel's task does on its way back to user space. An
     * emulator on a virtual clock lets its time pass by the millisecond instead of sleeping (its timers fire in
     * order, as a kernel's do while the run thread sleeps), and after each millisecond the ring's task runs the work
     * the timers queued, as the kernel's sleeping task is woken to do ({@link EmulatedIoUring#wakeSleepingTask});
     * before that, io-wq work the task left runs in its sleep ({@link EmulatedIoUring#taskSleeps}).
     */
    private int outside(Step.Outside o) {
        if (o.action() == Step.Outside.ADVANCE_CLOCK && kernel instanceof EmulatedIoUring e
                && e.options().clock() instanceof VirtualClock v) {
            world();
            if (ring != null) {
                e.taskSleeps(ring); // the kernel's io-wq workers have the CPU the sleeping task leaves
            }
            for (int ms = 0; ms < Math.clamp(o.amount(), 0, 1000); ms++) {
                v.advance(1_000_000);
                if (ring != null) {
                    e.wakeSleepingTask(ring);
                }
            }
            return 0;
        }
        if (o.action() == Step.Outside.REGISTER_EVENTFD || o.action() == Step.Outside.UNREGISTER_EVENTFD) {
            return eventfd(o);
        }
        int r = world().act(o);
        if (ring != null && kernel instanceof EmulatedIoUring e) {
            // the kernel's task runs the task work its own syscall's wakeups queued on that syscall's way out
            e.ownCallReturned(ring);
        }
        return r;
    }

    /** The application registering the world's eventfd with its ring, or unregistering it; -EBADF with no ring. */
    private int eventfd(Step.Outside o) {
        if (ring == null) {
            return -Errno.EBADF;
        }
        if (o.action() == Step.Outside.UNREGISTER_EVENTFD) {
            return kernel.register(ring, IORING_UNREGISTER_EVENTFD, MemorySegment.NULL, 0);
        }
        int r = kernel.register(ring, o.amount() == 1 ? IORING_REGISTER_EVENTFD_ASYNC : IORING_REGISTER_EVENTFD,
                world().eventfdArg(), 1);
        world().eventfdRegistered(r == 0);
        return r;
    }

    /** This side's outside world, made on first use ({@link LockstepRunner#withWorld}). */
    OutsideWorld world() {
        if (world == null) {
            world = new OutsideWorld(memory);
        }
        return world;
    }

    /**
     * A new run starts in a new world: what earlier runs wrote, created or closed is gone, the bytes they read into
     * the registered buffers too. Those buffers are the side's own and outlive its runs; a reference rebuilt for a
     * choice ({@link ChoiceRebuild}) is a new side whose buffers hold zeroes, so an earlier run's bytes there, left
     * alike on both sides, made every rebuilt reference differ from the subject (BufferBytes) and no choice explain
     * a difference (world lockstep seeds 82, 88, 100, 120 and 150 in a run of seeds 1 to 150, none of them alone).
     */
    void resetWorld() {
        if (world != null) {
            world.close();
            world = null;
        }
        buffers.fill((byte) 0);
    }

    boolean hasWorld() {
        return world != null;
    }

    /** Whether an SQE between the SQ head and tail is a TIMEOUT or LINK_TIMEOUT of the world's 5 ms. */
    boolean pendingShortTimeout() {
        if (world == null || ring == null) {
            return false;
        }
        long shortTimeout = world.timespec(0);
        return observe().pendingSqes().stream().anyMatch(p -> p.addr() == shortTimeout
                && (p.opcode() == IORING_OP_TIMEOUT || p.opcode() == IORING_OP_LINK_TIMEOUT));
    }

    /**
     * What a task does on its way back from any syscall: runs its task work. A kernel does it on the way out of a
     * world step's write or connect (io_uring/io_uring.c io_req_task_work_add: TWA_SIGNAL), and its io-wq workers
     * post on their own; an emulator runs what became ready only in a call into it. So after every step of a run
     * with real I/O, both sides make the same empty {@code io_uring_enter(ring, 0, 0, 0)}: on the kernel a syscall
     * that does nothing else, on the emulator the point where its deterministic scheduler collects io-wq work,
     * readiness and due timers.
     */
    void returnToUser() {
        if (isFrozen()) {
            throw new IllegalStateException("a frozen copy of " + name + " makes no call");
        }
        if (ring != null) {
            kernel.enter(ring, 0, 0, 0, MemorySegment.NULL, 0);
        }
    }

    /** The size of io_uring_getevents_arg: sigmask, sigmask_sz, min_wait_usec, ts. */
    private static final int WAIT_ARG_BYTES = 24;
    /** How long a kernel side of a run with real I/O waits for CQEs at most ({@link #boundWaits}). */
    static final int WAIT_BOUND_MILLIS = 2000;

    /**
     * Bounds this side's waits, if it is a kernel: an ENTER with GETEVENTS and a min_complete but no EXT_ARG of its
     * own gets an EXT_ARG with a {@value #WAIT_BOUND_MILLIS} ms relative timeout (ABS_TIMER dropped: without EXT_ARG
     * the kernel ignores it). In a run with real I/O the kernel's completions can lag or never come where the
     * model's came at once (a read the kernel parks until the world writes, which the model saw as ready); the
     * unbounded wait would block the run thread for ever. A bounded one returns -ETIME, which the comparison reports
     * as a divergence of the step's result, replayable from the run's steps.
     */
    void boundWaits() {
        boundedWaits = !(kernel instanceof EmulatedIoUring);
    }

    private int enter(Step.Enter e) {
        boolean waits = (e.flags() & IORING_ENTER_GETEVENTS) != 0 && e.minComplete() > 0
                && (e.flags() & IORING_ENTER_EXT_ARG) == 0;
        if (!boundedWaits || !waits) {
            return kernel.enter(ring, e.toSubmit(), e.minComplete(), e.flags(), MemorySegment.NULL, 0);
        }
        MemorySegment ts = waitArg.asSlice(WAIT_ARG_BYTES, 16);
        ts.set(JAVA_LONG, 0, WAIT_BOUND_MILLIS / 1000);
        ts.set(JAVA_LONG, 8, (WAIT_BOUND_MILLIS % 1000) * 1_000_000L);
        waitArg.set(JAVA_LONG, 0, 0); // no sigmask
        waitArg.set(JAVA_INT, 8, 0);
        waitArg.set(JAVA_INT, 12, 0); // no min_wait_usec
        waitArg.set(JAVA_LONG, 16, ts.address());
        return kernel.enter(ring, e.toSubmit(), e.minComplete(),
                (e.flags() | IORING_ENTER_EXT_ARG) & ~IORING_ENTER_ABS_TIMER, waitArg, WAIT_ARG_BYTES);
    }

    // ---- executing a step ----

    /** Executes {@code step} (for {@link Step.OnOtherThread}, its syscall) on this thread; sets {@link #result}. */
    int execute(Step step) {
        if (isFrozen()) {
            throw new IllegalStateException("a frozen copy of " + name + " executes nothing");
        }
        int dropped = hasRing() ? sq.readOnceDropped() : 0;
        result = run(step.effective());
        noteSubmitHead(step.effective(), dropped);
        return result;
    }

    private int run(Step step) {
        return switch (step) {
            case Step.Setup setup -> setup(setup);
            case Step.WriteSqe w -> {
                w.sqe().writeTo(sq, w.slot() & sqMask);
                yield 0;
            }
            case Step.WriteSqe128 w -> {
                writeSqe128(w);
                yield 0;
            }
            case Step.WriteArray a -> {
                if (sq.hasArray()) {
                    sq.writeOnceArray(a.position() & sqMask, a.value());
                }
                yield 0;
            }
            // Publishes the SQEs written before; pairs with the kernel's smp_load_acquire of sq.tail.
            case Step.PublishTail p -> {
                sq.storeReleaseTail(sq.readOnceTail() + p.delta());
                yield 0;
            }
            case Step.Enter e -> enter(e);
            case Step.ConsumeCqes c -> {
                int head = cq.readOnceHead();
                int tail = cq.loadAcquireTail();
                for (int i = 0; i < c.count() && head != tail; i++) {
                    int slots = c.perSlot() ? 1 : CqeReader.slotCountAt(cq, cqShape(), head, tail);
                    if (slots < 0) {
                        break; // a malformed CQE: an application cannot tell how far to go, so it stops before it
                    }
                    head += slots;
                }
                // Frees the slots; pairs with the kernel's READ_ONCE of cq.head before it reuses them.
                cq.storeReleaseHead(head);
                yield 0;
            }
            // Pairs with the kernel's READ_ONCE of cq.head, as a consume does, whatever the value.
            case Step.MoveCqHead m -> {
                cq.storeReleaseHead(cq.readOnceHead() + m.delta());
                yield 0;
            }
            // A plain store: the kernel never reads sq.head with ordering (only a resize reads it at all).
            case Step.MoveSqHead m -> {
                sq.writeOnceHead(sq.readOnceHead() + m.delta());
                yield 0;
            }
            case Step.RegisterFiles r -> registerFiles(r);
            case Step.UpdateFiles u -> updateFiles(u);
            case Step.UnregisterFiles u -> kernel.register(ring, IORING_UNREGISTER_FILES, MemorySegment.NULL, 0);
            case Step.RegisterBuffers b -> registerBuffers(b);
            case Step.UnregisterBuffers u -> kernel.register(ring, IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0);
            case Step.EnableRings e -> kernel.register(ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
            case Step.RegisterRestrictions r -> registerRestrictions(r);
            case Step.Resize r -> resize(r);
            case Step.Probe p -> probe(p);
            case Step.RegisterBpfFilter f -> kernel.register(ring, IORING_REGISTER_BPF_FILTER, filterArgs.bpfArg(f),
                    f.nrArgs());
            case Step.ArgSqe a -> {
                filterArgs.writeSqe(sq, sqMask, a);
                yield 0;
            }
            case Step.Outside o -> outside(o);
            case Step.WriteIo w -> {
                world().writeSqe(sq, sqMask, w, ring.fd(), buffers.address());
                yield 0;
            }
            case Step.OnOtherThread o -> run(o.op());
            case Step.TaskStep t -> task(t);
        };
    }

    private int task(Step.TaskStep step) {
        taskChanged = true;
        return switch (step) {
            case Step.ForkTask f -> kernel.forkTask(f.dropCapSysAdmin());
            case Step.SetNoNewPrivs n -> kernel.setNoNewPrivs();
            case Step.RegisterTaskRestrictions t -> registerTaskRestrictions(t);
            case Step.RegisterTaskBpfFilter f -> kernel.registerWithoutRing(IORING_REGISTER_BPF_FILTER,
                    filterArgs.bpfArg(f), f.nrArgs());
        };
    }

    private int registerTaskRestrictions(Step.RegisterTaskRestrictions t) {
        taskRestriction.fill((byte) 0);
        taskRestriction.set(JAVA_SHORT, IoUringTaskRestriction.FLAGS_OFFSET, (short) t.flags());
        taskRestriction.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) t.nrRes());
        taskRestriction.set(JAVA_INT, IoUringTaskRestriction.RESV_OFFSET, t.resv());
        writeRestrictionEntries(t);
        return kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, taskRestriction, t.nrArgs());
    }

    /** The ring's own restrictions: the entries where a task registration's follow its header. */
    private int registerRestrictions(Step.RegisterRestrictions r) {
        taskRestriction.fill((byte) 0);
        writeRestrictionEntries(new Step.RegisterTaskRestrictions(1, 0, 0, r.nrArgs(), r.pattern()));
        return kernel.register(ring, IORING_REGISTER_RESTRICTIONS,
                taskRestriction.asSlice(IoUringTaskRestriction.RESTRICTIONS_OFFSET), r.nrArgs());
    }

    private void writeRestrictionEntries(Step.RegisterTaskRestrictions t) {
        for (int i = 0; i < 2; i++) {
            long at = IoUringTaskRestriction.RESTRICTIONS_OFFSET + i * IoUringRestriction.SIZE_BYTES;
            taskRestriction.set(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET, (short) t.type(i));
            taskRestriction.set(JAVA_BYTE, at + IoUringRestriction.REGISTER_OP_OFFSET, (byte) t.value(i));
        }
    }

    /** After a run that changed the run thread's task: the next run starts in a fresh one, unrestricted. */
    void endTask() {
        if (taskChanged) {
            taskChanged = false;
            kernel.freshTask();
        }
    }

    /**
     * A 128-byte SQE: one slot of an SQE128 ring; on a ring of 64-byte slots two, the second cut off at the end of
     * the SQE array, which ends there in every backend's mapping (see {@link Step.WriteSqe128}).
     */
    private void writeSqe128(Step.WriteSqe128 w) {
        int index = w.slot() & sqMask;
        int slotBytes = sq.sqeSizeBytes();
        int bytes = slotBytes >= 128 || index + 1 < sqEntries ? 128 : slotBytes;
        long offset = sq.sqeOffset(index);
        w.sqe().writeTo(sq.sqes(), offset, bytes);
        if (bytes == 128) {
            // the second half read as an SQE of its own: its user_data field
            Sqe.userData(sq.sqes(), offset + Step.WriteSqe128.SECOND_HALF_OFFSET,
                    Step.WriteSqe128.secondHalfUserData(w.userData()));
        }
    }

    private int setup(Step.Setup op) {
        closeRing();
        params.fill((byte) 0);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, op.flags());
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, op.cqEntries());
        SetupResult r = kernel.setup(op.entries(), params);
        if (r instanceof SetupResult.Created(Ring created)) {
            ring = created;
            refresh();
            return 0;
        }
        return r.result();
    }

    private void refresh() {
        RingParams p = ring.params();
        sq = ring.sq();
        cq = ring.cq();
        sqEntries = p.sqEntries();
        sqMask = sqEntries - 1;
        cqEntries = p.cqEntries();
        cqMask = cqEntries - 1;
        cqeBytes = p.cqeSizeBytes();
        ringFlags = p.flags();
    }

    /**
     * Ends this side: its ring, the backend instance where it owns resources of its own (an emulator's threads:
     * {@link AutoCloseable}), then its memory.
     */
    void close() {
        if (isFrozen()) {
            return; // it owns nothing but its copies, which go with it
        }
        closeRing();
        if (world != null) {
            world.close();
            world = null;
        }
        if (kernel instanceof AutoCloseable owned) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + name + " failed: " + e, e);
            }
        }
        memory.close();
    }

    void closeRing() {
        if (ring != null) {
            kernel.close(ring);
            ring = null;
            sq = null;
            cq = null;
        }
    }

    private int registerFiles(Step.RegisterFiles r) {
        clearFileArgs();
        if (r.sparse()) {
            rsrcRegister.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, r.count());
            rsrcRegister.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
            return kernel.register(ring, IORING_REGISTER_FILES2, rsrcRegister, (int) rsrcRegister.byteSize());
        }
        fillFiles(r.count(), r.pattern());
        // the count goes to the kernel as written (a negative one is a huge nr_args: -EINVAL); the table holds at most
        // MAX_FILES descriptors, none for a negative count
        return kernel.register(ring, IORING_REGISTER_FILES, files.asSlice(0,
                (long) Math.clamp(r.count(), 0, MAX_FILES) * Integer.BYTES), r.count());
    }

    private int updateFiles(Step.UpdateFiles u) {
        clearFileArgs();
        fillFiles(u.count(), u.pattern());
        update.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, u.offset());
        update.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, files.address());
        return kernel.register(ring, IORING_REGISTER_FILES_UPDATE, update, u.count());
    }

    /**
     * A file registration compares all of its argument memory ({@link Comparison}): what an earlier step left
     * there, maybe in an earlier run, is cleared, so a reference rebuilt at a choice point (which replays only the
     * current run) holds what the subject holds.
     */
    private void clearFileArgs() {
        files.fill((byte) 0);
        update.fill((byte) 0);
        rsrcRegister.fill((byte) 0);
    }

    private void fillFiles(int count, int pattern) {
        files.fill((byte) 0);
        for (int i = 0; i < Math.min(count, MAX_FILES); i++) {
            files.setAtIndex(JAVA_INT, i, Step.FileTable.fd(pattern, i, pipeRead, pipeWrite));
        }
    }

    private int registerBuffers(Step.RegisterBuffers b) {
        int count = Math.min(b.count(), MAX_BUFFERS);
        for (int i = 0; i < count; i++) {
            iovecs.set(JAVA_LONG, i * 16L, buffers.address() + (long) i * BUFFER_BYTES);
            iovecs.set(JAVA_LONG, i * 16L + 8, Math.min(b.lengthBytes(), BUFFER_BYTES));
        }
        return kernel.register(ring, IORING_REGISTER_BUFFERS, iovecs.asSlice(0, Math.max(count, 1) * 16L),
                b.count());
    }

    private int resize(Step.Resize r) {
        resizeParams.fill((byte) 0);
        resizeParams.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, r.sqEntries());
        resizeParams.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, r.cqEntries());
        resizeParams.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, r.flags());
        int res = kernel.register(ring, IORING_REGISTER_RESIZE_RINGS, resizeParams, 1);
        if (res >= 0) {
            refresh();
        }
        return res;
    }

    /** The PROBE argument of {@code p}: the whole of it, header and op slots. */
    MemorySegment probeArg(Step.Probe p) {
        return probe.asSlice(0, p.argBytes());
    }

    private int probe(Step.Probe p) {
        probe.fill((byte) 0);
        return kernel.register(ring, IORING_REGISTER_PROBE, probeArg(p), p.nrArgs());
    }

    /**
     * Keeps {@link #submitHead}, the kernel's own SQ head ({@code cached_sq_head}), which the ring's sq.head shows
     * only until a {@link Step.MoveSqHead} step moves it: 0 on a new ring; after an enter that consumed entries
     * (it submitted some, or dropped some) the head it committed; unchanged by everything else, a resize
     * included (the kernel keeps its cached head and gives the new ring the old ring's sq.head).
     */
    private void noteSubmitHead(Step stepped, int droppedBefore) {
        if (ring == null) {
            return;
        }
        if (stepped instanceof Step.Setup
                || (stepped instanceof Step.Enter && (result > 0 || sq.readOnceDropped() != droppedBefore))) {
            submitHead = sq.loadAcquireHead();
        }
    }

    // ---- observing the ring ----

    /**
     * Whether the ring, whose counters are {@code after}, holds completions whose order does not show yet: CQEs on
     * its overflow list (IORING_SQ_CQ_OVERFLOW), or task work not yet run, which a TASKRUN_FLAG ring shows
     * (IORING_SQ_TASKRUN) and an emulator tells of on any ring: a DEFER_TASKRUN ring runs it only in a wait (world
     * lockstep seed 125, no TASKRUN_FLAG: an io-wq OPENAT's completion queued 88 steps before the wait that ran it).
     */
    boolean holdsCompletions(Counters after) {
        return (after.sqFlags() & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0
                || kernel instanceof EmulatedIoUring e && ring != null && e.taskWorkPending(ring);
    }

    /** The ring's counters and flags now, without its CQEs: what every step compares first. */
    Counters observeCounters() {
        if (ring == null) {
            return Counters.none(result);
        }
        return new Counters(true, result, sq.loadAcquireHead(), sq.readOnceTail(), sq.readOnceDropped(),
                sq.readOnceFlags(), cq.readOnceHead(), cq.loadAcquireTail(), cq.readOnceOverflow(),
                cq.readOnceFlags());
    }

    /** The whole ring as an application can see it now. */
    RingObservation observe() {
        return RingObservation.capture(ring, result);
    }

    CqeReader.Shape cqShape() {
        return CqeReader.Shape.of(ringFlags, cqEntries);
    }

    /** The CQEs from counter {@code from} to {@code to}, as {@link CqeReader} reads them (up to a malformed one). */
    List<Cqe> cqes(int from, int to) {
        return CqeReader.read(cq, cqShape(), from, to).cqes().stream().map(CqeReader.VisibleCqe::cqe).toList();
    }

    /** One SQE as the trace prints it. */
    record PendingSqe(int position, int opcode, int flags, long userData) {
    }

    /** The SQEs between the ring's SQ head and tail (at most one ring's worth), by position. */
    List<PendingSqe> pendingSqes() {
        List<PendingSqe> out = new ArrayList<>();
        int head = sq.loadAcquireHead();
        long n = Math.min(U32.distance(sq.readOnceTail(), head), sqEntries);
        MemorySegment sqes = sq.sqes();
        for (int i = 0; i < n; i++) {
            int position = head + i;
            long off = sq.sqeOffset(position & sqMask);
            out.add(new PendingSqe(position, Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET)),
                    Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET)),
                    sqes.get(JAVA_LONG, off + IoUringSqe.USER_DATA_OFFSET)));
        }
        return out;
    }
}
