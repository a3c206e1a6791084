package dev.ringspec.model;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A model, its user memory and one ring driven like an application would: SQEs written at the tail with an
 * identity SQ array, published with a release store, CQEs reaped in order. Expected values in tests never come
 * from here; this only drives.
 */
final class ModelFixture implements AutoCloseable {
    final UserMemory memory = new UserMemory();
    final ModelIoUring model;
    MemorySegment params;
    Ring ring;
    RingDriver driver;

    ModelFixture(KernelProfile profile, Set<Mutant> mutants) {
        this.model = new ModelIoUring(profile, memory, mutants);
    }

    static ModelFixture of() {
        return new ModelFixture(KernelProfile.LINUX_6_18, Set.of());
    }

    static ModelFixture of(KernelProfile profile) {
        return new ModelFixture(profile, Set.of());
    }

    static ModelFixture of(Set<Mutant> mutants) {
        return new ModelFixture(KernelProfile.LINUX_6_18, mutants);
    }

    /** Setup with {@code flags} and (with CQSIZE) {@code cqEntries}; returns the syscall's result. */
    int trySetup(int entries, int flags, int cqEntries) {
        params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        SetupResult result = model.setup(entries, params);
        ring = result.ringOrNull();
        if (ring != null) {
            driver = new RingDriver(model, ring);
        }
        return result.result();
    }

    ModelFixture setup(int entries, int flags) {
        return setup(entries, flags, 0);
    }

    ModelFixture setup(int entries, int flags, int cqEntries) {
        int result = trySetup(entries, flags, cqEntries);
        if (result < 0) {
            throw new AssertionError("setup failed: " + result);
        }
        return this;
    }

    /** A NOP at the next SQE; returns its offset in the SQE array for further fields. */
    long nop(long userData) {
        long at = driver.nextSqe();
        Sqe.prepNop(driver.sqes(), at, userData);
        return at;
    }

    long nop(long userData, int sqeFlags) {
        long at = nop(userData);
        Sqe.flags(driver.sqes(), at, sqeFlags);
        return at;
    }

    /** An SQE of {@code opcode} at the next position, otherwise zero; returns its offset for further fields. */
    long op(int opcode, long userData, int sqeFlags) {
        long at = driver.nextSqe();
        Sqe.clear(driver.sqes(), at, 64);
        Sqe.opcode(driver.sqes(), at, opcode);
        Sqe.userData(driver.sqes(), at, userData);
        Sqe.flags(driver.sqes(), at, sqeFlags);
        return at;
    }

    /** A NOP with IORING_NOP_INJECT_RESULT. */
    long inject(long userData, int result, int sqeFlags) {
        long at = nop(userData, sqeFlags);
        Sqe.opFlags(driver.sqes(), at, IoUring.IORING_NOP_INJECT_RESULT);
        Sqe.len(driver.sqes(), at, result);
        return at;
    }

    int submit() {
        return driver.submit(0, 0);
    }

    int submit(int minComplete, int enterFlags) {
        return driver.submit(minComplete, enterFlags);
    }

    int enter(int toSubmit, int minComplete, int flags) {
        return model.enter(ring, toSubmit, minComplete, flags, MemorySegment.NULL, 0);
    }

    /** Publishes the SQEs written so far without entering. */
    void publish(int count) {
        driver.sq().storeReleaseTail(driver.sq().readOnceTail() + count);
    }

    List<Cqe> reapAll() {
        List<Cqe> all = new ArrayList<>();
        for (Cqe c = driver.reap(); c != null; c = driver.reap()) {
            all.add(c);
        }
        return all;
    }

    List<Long> userDatas(List<Cqe> cqes) {
        List<Long> out = new ArrayList<>();
        for (Cqe c : cqes) {
            out.add(c.userData());
        }
        return out;
    }

    int sqHead() {
        return driver.sq().readOnceHead();
    }

    int sqFlags() {
        return driver.sq().readOnceFlags();
    }

    int cqTail() {
        return driver.cq().loadAcquireTail();
    }

    int cqHead() {
        return driver.cq().readOnceHead();
    }

    /** The 16-byte CQE slot {@code index} (no head movement). */
    Cqe slot(int index) {
        long at = 64L + index * 16L;
        MemorySegment cq = ring.cqRing();
        return new Cqe(cq.get(JAVA_LONG, at), cq.get(JAVA_INT, at + 8), cq.get(JAVA_INT, at + 12),
                cq.get(JAVA_LONG, at + 16), cq.get(JAVA_LONG, at + 24));
    }

    @Override
    public void close() {
        if (ring != null) {
            model.close(ring);
        }
        memory.close();
    }
}
