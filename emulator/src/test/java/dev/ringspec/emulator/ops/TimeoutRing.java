package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT_REMOVE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives one ring of a backend (the kernel or the emulator) for the timeout tests: writes TIMEOUT, LINK_TIMEOUT,
 * TIMEOUT_REMOVE and NOP SQEs as an application would, and reaps CQEs in order. Expected values never come from
 * here; this only drives.
 */
final class TimeoutRing implements AutoCloseable {
    final IoUringKernel kernel;
    final UserMemory memory;
    final RingDriver d;
    private final List<Cqe> reaped = new ArrayList<>();

    TimeoutRing(IoUringKernel kernel, UserMemory memory) {
        this(kernel, memory, 16, 0);
    }

    /** A ring of {@code entries} SQEs set up with {@code setupFlags}. */
    TimeoutRing(IoUringKernel kernel, UserMemory memory, int entries, int setupFlags) {
        this(kernel, memory, entries, setupFlags, 0);
    }

    /** The same with {@code cqEntries} (for IORING_SETUP_CQSIZE). */
    TimeoutRing(IoUringKernel kernel, UserMemory memory, int entries, int setupFlags, int cqEntries) {
        this.kernel = kernel;
        this.memory = memory;
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        this.d = new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    /** A {@code struct __kernel_timespec} of {@code nanos} in user memory; its address. */
    long timespec(long nanos) {
        return timespec(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
    }

    long timespec(long sec, long nsec) {
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, sec);
        ts.set(JAVA_LONG, 8, nsec);
        return ts.address();
    }

    /** An SQE of {@code opcode} with the fields the timeout opcodes read; its offset for further fields. */
    long sqe(int opcode, long userData, long addr, int len, long off, int opFlags, int sqeFlags) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.userData(d.sqes(), at, userData);
        Sqe.addr(d.sqes(), at, addr);
        Sqe.len(d.sqes(), at, len);
        Sqe.off(d.sqes(), at, off);
        Sqe.opFlags(d.sqes(), at, opFlags);
        Sqe.flags(d.sqes(), at, sqeFlags);
        return at;
    }

    /** IORING_OP_TIMEOUT of {@code nanos}, completing after {@code count} CQEs (0: time only). */
    long timeout(long userData, long nanos, int count, int timeoutFlags, int sqeFlags) {
        return sqe(IORING_OP_TIMEOUT, userData, timespec(nanos), 1, count, timeoutFlags, sqeFlags);
    }

    long linkTimeout(long userData, long nanos, int timeoutFlags, int sqeFlags) {
        return sqe(IORING_OP_LINK_TIMEOUT, userData, timespec(nanos), 1, 0, timeoutFlags, sqeFlags);
    }

    /** IORING_OP_TIMEOUT_REMOVE of the timeout {@code target}. */
    long remove(long userData, long target) {
        return sqe(IORING_OP_TIMEOUT_REMOVE, userData, target, 0, 0, 0, 0);
    }

    /** TIMEOUT_REMOVE with {@code flags} (IORING_TIMEOUT_UPDATE, ...): {@code target} gets {@code nanos}. */
    long update(long userData, long target, long nanos, int flags) {
        return sqe(IORING_OP_TIMEOUT_REMOVE, userData, target, 0, timespec(nanos), flags, 0);
    }

    long nop(long userData, int sqeFlags) {
        long at = d.nextSqe();
        Sqe.prepNop(d.sqes(), at, userData);
        Sqe.flags(d.sqes(), at, sqeFlags);
        return at;
    }

    /** Writes the 8-byte word at {@code byteOffset} of the SQE at {@code at} (addr3 at 48, __pad2 at 56). */
    void word(long at, int byteOffset, long value) {
        d.sqes().set(JAVA_LONG, at + byteOffset, value);
    }

    /** Submits what was written; returns enter's result. */
    int submit() {
        return d.submit(0, 0);
    }

    /** Waits until {@code n} CQEs were reaped in all, reaping each as it comes; answers every CQE so far. */
    List<Cqe> await(int n) {
        while (reaped.size() < n) {
            int r = kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            if (r < 0 && r != -EINTR) {
                throw new IllegalStateException("io_uring_enter: " + r);
            }
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                reaped.add(c);
            }
        }
        return List.copyOf(reaped);
    }

    /** A GETEVENTS enter that waits for nothing and reaps nothing: the task's work runs. */
    void runTaskWork() {
        kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
    }

    /** Reaps what is there now without waiting (task work run first, as a GETEVENTS enter of 0 does). */
    List<Cqe> now() {
        kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            reaped.add(c);
        }
        return List.copyOf(reaped);
    }

    @Override
    public void close() {
        kernel.close(d.ring());
    }
}
