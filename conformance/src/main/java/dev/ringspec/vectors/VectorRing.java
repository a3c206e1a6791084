package dev.ringspec.vectors;

import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_URING_CMD128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;

import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;

/**
 * One ring of a vector run: the ring, a {@link RingDriver} for reading its regions and reaping CQEs, and the SQ
 * positions the vector has filled but not yet submitted. On an SQ_REWIND ring the kernel ignores the SQ tail, so
 * the filled positions start at SQE 0 again after every submit and the tail is never published.
 */
final class VectorRing {
    final Ring ring;
    final RingDriver driver;
    private final boolean rewind;
    private final boolean mixed;
    private int publishedTail;
    private int pending;

    VectorRing(IoUringKernel kernel, Ring ring) {
        this.ring = ring;
        this.driver = new RingDriver(kernel, ring);
        this.rewind = (ring.params().flags() & IORING_SETUP_SQ_REWIND) != 0;
        this.mixed = (ring.params().flags() & IORING_SETUP_SQE_MIXED) != 0;
        this.publishedTail = driver.sq().readOnceTail();
    }

    MemorySegment sqes() {
        return driver.sqes();
    }

    /** Whether {@code opcode} takes two SQ positions here: a 128-byte opcode on an SQE_MIXED ring. */
    private boolean takesTwo(int opcode) {
        return mixed && (opcode == IORING_OP_NOP128 || opcode == IORING_OP_URING_CMD128);
    }

    /**
     * Clears the SQE at physical {@code index} for {@code opcode}: 128 bytes for a 128-byte opcode, unless it lies
     * in the last slot, where only the first half is inside the SQE array (all the kernel reads before refusing).
     */
    long clearAt(int index, int opcode) {
        int entries = driver.sq().readOnceRingEntries();
        long offset = driver.sq().sqeOffset(index);
        int size = driver.sq().sqeSizeBytes();
        if (takesTwo(opcode) && index + 1 < entries) {
            size = 128;
        }
        Sqe.clear(sqes(), offset, size);
        return offset;
    }

    /** The next free position's SQE, with an identity SQ array entry for each position it takes. */
    long nextAtTail(int opcode) {
        int mask = driver.sq().readOnceRingMask();
        int first = (publishedTail + pending) & mask;
        int positions = takesTwo(opcode) ? 2 : 1;
        for (int p = 0; p < positions; p++) {
            int index = (publishedTail + pending + p) & mask;
            if (driver.sq().hasArray()) {
                driver.sq().writeOnceArray(index, index);
            }
        }
        pending += positions;
        return clearAt(first, opcode);
    }

    /** Publishes the filled positions (not on an SQ_REWIND ring) and returns how many there were. */
    int publishPending() {
        int count = pending;
        pending = 0;
        if (!rewind) {
            publishedTail += count;
            driver.sq().storeReleaseTail(publishedTail);
        }
        return count;
    }

    /** {@code publish tail=N}: the vector moves the tail itself; filling continues from there. */
    void publishTail(int tail) {
        driver.sq().storeReleaseTail(tail);
        publishedTail = tail;
        pending = 0;
    }
}
