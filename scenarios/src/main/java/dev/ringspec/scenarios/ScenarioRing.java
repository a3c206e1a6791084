package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One ring on one backend for a scenario: setup that must succeed, SQEs filled at the tail through a
 * {@link RingDriver}, enter, and CQEs reaped in order. Closing it closes the ring.
 */
final class ScenarioRing implements AutoCloseable {
    final Backend backend;
    final Ring ring;
    final RingDriver driver;

    private ScenarioRing(Backend backend, Ring ring) {
        this.backend = backend;
        this.ring = ring;
        this.driver = new RingDriver(backend.kernel(), ring);
    }

    /** A zeroed {@code struct io_uring_params} with {@code flags}, in the backend's user memory. */
    static MemorySegment params(Backend backend, int flags) {
        MemorySegment params = backend.memory().allocate(IoUringParams.SIZE_BYTES, 8);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        return params;
    }

    /** Setup's result: the ring's fd (the ring is closed again at once) or {@code -errno}. */
    static int setupResult(Backend backend, int entries, MemorySegment params) {
        SetupResult result = backend.kernel().setup(entries, params);
        if (result instanceof SetupResult.Created(Ring ring)) {
            backend.kernel().close(ring);
        }
        return result.result();
    }

    static int setupResult(Backend backend, int entries, int flags) {
        return setupResult(backend, entries, params(backend, flags));
    }

    static ScenarioRing open(Backend backend, int entries, int flags) {
        return open(backend, entries, params(backend, flags));
    }

    /** A ring with {@code IORING_SETUP_CQSIZE} and {@code cqEntries} besides {@code flags}. */
    static ScenarioRing open(Backend backend, int entries, int flags, int cqEntries) {
        MemorySegment params = params(backend, flags | IORING_SETUP_CQSIZE);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        return open(backend, entries, params);
    }

    static ScenarioRing open(Backend backend, int entries, MemorySegment params) {
        SetupResult result = backend.kernel().setup(entries, params);
        if (result instanceof SetupResult.Created(Ring ring)) {
            return new ScenarioRing(backend, ring);
        }
        throw new AssertionError("setup(" + entries + ", flags 0x"
                + Integer.toHexString(params.get(JAVA_INT, IoUringParams.FLAGS_OFFSET)) + ") failed on "
                + backend.name() + ": " + result.result());
    }

    MemorySegment sqes() {
        return driver.sqes();
    }

    SqRingView sq() {
        return driver.sq();
    }

    CqRingView cq() {
        return driver.cq();
    }

    /** Fills the next SQE as a NOP with {@code userData} and SQE {@code flags}; returns its byte offset. */
    long nop(long userData, int sqeFlags) {
        long sqe = driver.nextSqe();
        Sqe.prepNop(sqes(), sqe, userData);
        Sqe.flags(sqes(), sqe, sqeFlags);
        return sqe;
    }

    long nop(long userData) {
        return nop(userData, 0);
    }

    /** A NOP with {@code nop_flags} and {@code len} (the injected result with INJECT_RESULT). */
    long nop(long userData, int sqeFlags, int nopFlags, int len) {
        long sqe = nop(userData, sqeFlags);
        Sqe.opFlags(sqes(), sqe, nopFlags);
        Sqe.len(sqes(), sqe, len);
        return sqe;
    }

    /** An SQE with any opcode and nothing else set. */
    long sqe(int opcode, long userData) {
        long sqe = nop(userData, 0);
        Sqe.opcode(sqes(), sqe, opcode);
        return sqe;
    }

    /** Publishes the SQEs filled since the last submit and enters without waiting. */
    int submit() {
        return driver.submit(0, 0);
    }

    /** Publishes, enters with GETEVENTS and waits for {@code minComplete}. */
    int submitAndWait(int minComplete) {
        return driver.submit(minComplete, IORING_ENTER_GETEVENTS);
    }

    int enter(int toSubmit, int minComplete, int flags) {
        return backend.kernel().enter(ring, toSubmit, minComplete, flags, MemorySegment.NULL, 0);
    }

    /** {@code enter(0, 0, GETEVENTS)}: runs task work and flushes the overflow list without waiting. */
    int getEvents() {
        return enter(0, 0, IORING_ENTER_GETEVENTS);
    }

    int register(int opcode, MemorySegment arg, int nrArgs) {
        return backend.kernel().register(ring, opcode, arg, nrArgs);
    }

    int ready() {
        return driver.ready();
    }

    Cqe reap() {
        return driver.reap();
    }

    /** Every CQE visible now, in ring order. */
    List<Cqe> reapAll() {
        List<Cqe> cqes = new ArrayList<>();
        for (Cqe cqe = reap(); cqe != null; cqe = reap()) {
            cqes.add(cqe);
        }
        return cqes;
    }

    /** The user_data of every CQE visible now, in ring order. */
    List<Long> reapUserData() {
        return reapAll().stream().map(Cqe::userData).toList();
    }

    int sqFlags() {
        return sq().readOnceFlags();
    }

    @Override
    public void close() {
        backend.kernel().close(ring);
    }
}
