package dev.ringspec.invariants;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.U32;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * An application on one ring of any backend whose every step is followed by the {@link InvariantChecker}: it
 * writes SQEs with an identity SQ array, publishes them, enters, consumes CQEs through {@link CqeReader}, and
 * can misbehave the ways the lockstep engine does (moving a head). Each method is one step; {@link #violations()}
 * collects what the invariants said.
 */
public final class CheckedRing implements AutoCloseable {
    private final IoUringKernel kernel;
    private final UserMemory memory;
    private final InvariantChecker checker = new InvariantChecker();
    private final List<Violation> violations = new ArrayList<>();
    private Ring ring;
    private int kernelHead;
    private int written;

    private CheckedRing(IoUringKernel kernel, UserMemory memory) {
        this.kernel = kernel;
        this.memory = memory;
    }

    /**
     * Sets a ring up ({@code IORING_SETUP_CQSIZE} is added when {@code cqEntries} is not 0) as the first checked
     * step; {@link #exists()} says whether it succeeded.
     */
    public static CheckedRing setup(IoUringKernel kernel, UserMemory memory, int entries, int flags, int cqEntries) {
        CheckedRing r = new CheckedRing(kernel, memory);
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags | (cqEntries != 0 ? IoUring.IORING_SETUP_CQSIZE : 0));
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        IoUringKernel.SetupResult result = kernel.setup(entries, params);
        r.ring = result.ringOrNull();
        r.kernelHead = r.ring == null ? 0 : r.ring.sq().loadAcquireHead();
        r.record(new RingStep.Setup(), result.result());
        return r;
    }

    public boolean exists() {
        return ring != null;
    }

    public Ring ring() {
        return ring;
    }

    /**
     * Writes one SQE at the next unpublished position and points the SQ array at it (one step). Returns the SQE's
     * byte offset for fields the arguments do not cover.
     */
    public long sqe(int opcode, long userData, int sqeFlags, int opFlags, long off, long addr, int len) {
        var sq = ring.sq();
        int position = (sq.readOnceTail() + written) & (ring.params().sqEntries() - 1);
        if (sq.hasArray()) {
            sq.writeOnceArray(position, position);
        }
        long at = sq.sqeOffset(position);
        MemorySegment sqes = sq.sqes();
        Sqe.clear(sqes, at, sq.sqeSizeBytes());
        Sqe.opcode(sqes, at, opcode);
        Sqe.flags(sqes, at, sqeFlags);
        Sqe.opFlags(sqes, at, opFlags);
        Sqe.off(sqes, at, off);
        Sqe.addr(sqes, at, addr);
        Sqe.len(sqes, at, len);
        Sqe.userData(sqes, at, userData);
        written++;
        record(new RingStep.ApplicationWrite(RingStep.Field.SQES), 0);
        return at;
    }

    /** A NOP with the given SQE flags and NOP flags. */
    public long nop(long userData, int sqeFlags, int nopFlags) {
        return sqe(IoUring.IORING_OP_NOP, userData, sqeFlags, nopFlags, 0, 0, 0);
    }

    /** Overwrites SQ array entry {@code index} (one step): an out-of-range value makes the kernel drop it. */
    public void array(int index, int value) {
        ring.sq().writeOnceArray(index, value);
        record(new RingStep.ApplicationWrite(RingStep.Field.SQ_ARRAY), 0);
    }

    /**
     * Starts the next SQE at position 0 again without publishing anything (no step): an application of an
     * {@code IORING_SETUP_SQ_REWIND} ring, whose kernel takes every submission from SQE 0 and ignores the tail.
     */
    public void rewind() {
        written = 0;
    }

    /** Publishes the SQEs written since the last publish (one step). */
    public void publish() {
        ring.sq().storeReleaseTail(ring.sq().readOnceTail() + written);
        written = 0;
        record(new RingStep.ApplicationWrite(RingStep.Field.SQ_TAIL), 0);
    }

    /** {@code io_uring_enter} (one step); returns its result. */
    public int enter(int toSubmit, int minComplete, int flags) {
        int droppedBefore = ring.sq().readOnceDropped();
        int result = kernel.enter(ring, toSubmit, minComplete, flags, MemorySegment.NULL, 0);
        if (result > 0 || ring.sq().readOnceDropped() != droppedBefore) {
            kernelHead = ring.sq().loadAcquireHead();
        }
        record(new RingStep.Enter(toSubmit, minComplete, flags), result);
        return result;
    }

    /** Publishes what was written and enters for all of it, with {@code GETEVENTS} and {@code minComplete}. */
    public int submit(int minComplete) {
        int count = written;
        publish();
        return enter(count, minComplete, IoUring.IORING_ENTER_GETEVENTS);
    }

    /** Consumes up to {@code count} CQEs from the head, as {@link CqeReader} reads them (one step). */
    public List<CqeReader.VisibleCqe> consume(int count) {
        var cq = ring.cq();
        int head = cq.readOnceHead();
        CqeReader.CqeRead read = CqeReader.read(cq, CqeReader.Shape.of(ring.params().flags(),
                ring.params().cqEntries()), head, cq.loadAcquireTail(), count);
        cq.storeReleaseHead(read.end());
        record(new RingStep.ApplicationWrite(RingStep.Field.CQ_HEAD), 0);
        return read.cqes();
    }

    /** Moves cq.head by {@code delta}, wherever that leads (one step). */
    public void moveCqHead(int delta) {
        ring.cq().storeReleaseHead(ring.cq().readOnceHead() + delta);
        record(new RingStep.ApplicationWrite(RingStep.Field.CQ_HEAD), 0);
    }

    /** Moves the kernel-owned sq.head by {@code delta}, as a misbehaving application could (one step). */
    public void moveSqHead(int delta) {
        ring.sq().writeOnceHead(ring.sq().readOnceHead() + delta);
        record(new RingStep.ApplicationWrite(RingStep.Field.SQ_HEAD), 0);
    }

    /** {@code IORING_REGISTER_RESIZE_RINGS} with {@code flags} (CQSIZE added when {@code cqEntries} is not 0). */
    public int resize(int sqEntries, int cqEntries, int flags) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, sqEntries);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags | (cqEntries != 0 ? IoUring.IORING_SETUP_CQSIZE : 0));
        return register(IoUring.IORING_REGISTER_RESIZE_RINGS, params, 1);
    }

    /** {@code io_uring_register} (one step); returns its result. */
    public int register(int opcode, MemorySegment arg, int nrArgs) {
        int result = kernel.register(ring, opcode, arg, nrArgs);
        record(new RingStep.Register(opcode), result);
        return result;
    }

    /** The ring as the application sees it now, its pending SQEs from the kernel's head. */
    public RingObservation observe(int result) {
        return RingObservation.capture(ring, result, kernelHead);
    }

    private void record(RingStep step, int result) {
        violations.addAll(checker.step(step, observe(result)));
    }

    /** Every invariant broken so far. */
    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    public InvariantChecker checker() {
        return checker;
    }

    /** The kernel's SQ head as this application tracks it (sq.head, unless the application moved that). */
    public long kernelHead() {
        return U32.value(kernelHead);
    }

    @Override
    public void close() {
        if (ring != null) {
            kernel.close(ring);
            ring = null;
        }
    }
}
