package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The only way ringspec touches a shared ring field: every access names its memory ordering, as liburing's
 * barrier.h does. A release store publishes everything written before it to the side that does the paired
 * acquire load; {@code readOnce}/{@code writeOnce} are single, untorn accesses with no ordering
 * ({@code READ_ONCE}/{@code WRITE_ONCE}). Plain access to a shared field is a bug.
 */
public final class SharedMemory {
    private static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();

    private SharedMemory() {
    }

    public static int loadAcquire(MemorySegment memory, long offset) {
        return (int) U32.getAcquire(memory, offset);
    }

    public static void storeRelease(MemorySegment memory, long offset, int value) {
        U32.setRelease(memory, offset, value);
    }

    public static int readOnce(MemorySegment memory, long offset) {
        return (int) U32.getOpaque(memory, offset);
    }

    public static void writeOnce(MemorySegment memory, long offset, int value) {
        U32.setOpaque(memory, offset, value);
    }

    /** {@code atomic_or}: sets {@code bits} in the word, whatever another thread sets or clears at the same time. */
    public static void atomicOr(MemorySegment memory, long offset, int bits) {
        U32.getAndBitwiseOr(memory, offset, bits);
    }

    /** {@code atomic_andnot}: clears {@code bits} in the word, atomically. */
    public static void atomicAndNot(MemorySegment memory, long offset, int bits) {
        U32.getAndBitwiseAnd(memory, offset, ~bits);
    }

    /** A full barrier, as liburing's {@code io_uring_smp_mb()} before reading {@code IORING_SQ_NEED_WAKEUP}. */
    public static void fullFence() {
        VarHandle.fullFence();
    }
}
