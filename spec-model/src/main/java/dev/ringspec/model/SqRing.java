package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;

import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.U32;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * The SQ side of {@code struct io_ring_ctx}: {@code cached_sq_head}, and the count of SQEs left in the batch
 * being submitted ({@code left} of {@code io_submit_sqes}, which {@code io_init_req} decrements for the second
 * half of a 128-byte SQE). Holds {@code __io_sqring_entries}, {@code io_get_sqe} and {@code io_commit_sqring}
 * (io_uring/io_uring.c, ring-semantics.md A1).
 */
final class SqRing {
    private final int flags;
    private final RingLayout layout;
    private final RuleSink rules;
    /** Whether io_get_sqe goes through the SQ array: not on a NO_SQARRAY ring, nor with the SQ_ARRAY_IGNORED mutant. */
    private final boolean sqArrayUsed;
    private final boolean mSqe128TakesOnePosition;
    private final boolean mNop128InLastSlot;
    private final boolean mSqRewindKeepsHead;
    private final boolean mSqRewindPublishesHead;

    private MemorySegment rings;
    private int sqEntries;
    private long sqArray;

    /** {@code ctx->cached_sq_head}: the kernel's own head, never read back from the shared ring. */
    private int cachedSqHead;
    private int droppedSqes;
    private int submitLeft;

    SqRing(int flags, RingLayout layout, RuleSink rules, Set<Mutant> mutants) {
        this.layout = layout;
        this.flags = flags;
        this.rules = rules;
        this.sqArrayUsed = (flags & IORING_SETUP_NO_SQARRAY) == 0 && !mutants.contains(Mutant.SQ_ARRAY_IGNORED);
        this.mSqe128TakesOnePosition = mutants.contains(Mutant.SQE128_TAKES_ONE_POSITION);
        this.mNop128InLastSlot = mutants.contains(Mutant.NOP128_IN_LAST_SLOT);
        this.mSqRewindKeepsHead = mutants.contains(Mutant.SQ_REWIND_KEEPS_HEAD);
        this.mSqRewindPublishesHead = mutants.contains(Mutant.SQ_REWIND_PUBLISHES_HEAD);
    }

    void remap(Regions regions) {
        this.rings = regions.rings();
        this.sqEntries = regions.sqEntries();
        this.sqArray = regions.sqArray();
    }

    /** How many SQEs the batch may consume: {@code __io_sqring_entries}, or the ring's size with SQ_REWIND. */
    int entries() {
        if ((flags & IORING_SETUP_SQ_REWIND) != 0) {
            // io_submit_sqes (7.0+): SQ_REWIND ignores the tail, to_submit alone decides
            rules.fire(Rules.SQ_REWIND_IGNORES_TAIL, 0);
            return sqEntries;
        }
        // __io_sqring_entries: min(smp_load_acquire(sq.tail) - cached_sq_head, sq_entries)
        int tail = loadAcquire(rings, layout.sqTail()); // pairs with the application's release store of sq.tail
        return U32.min(tail - cachedSqHead, sqEntries);
    }

    /** {@code io_sqring_full}: the application's tail a whole ring ahead of the head the kernel published. */
    boolean full() {
        return readOnce(rings, layout.sqTail()) - readOnce(rings, layout.sqHead()) == sqEntries;
    }

    void beginBatch(int count) {
        submitLeft = count;
    }

    /** One SQE of the batch is done; how many are left. */
    int consumeLeft() {
        return --submitLeft;
    }

    int left() {
        return submitLeft;
    }

    /** {@code io_get_sqe}: the SQE index of the next ring position, or -1 for a dropped (invalid) array entry. */
    int getSqe() {
        int position = cachedSqHead++ & (sqEntries - 1);
        int index = position;
        if (sqArrayUsed) {
            // io_get_sqe: the SQ array gives the SQE index of this position
            rules.fire(Rules.GET_SQE_ARRAY, position);
            index = readOnce(rings, sqArray + (long) position * Integer.BYTES);
            // io_get_sqe: array entry >= sq_entries -> sq_dropped++, the entry is consumed
            if (Integer.compareUnsigned(index, sqEntries) >= 0) {
                rules.fire(Rules.GET_SQE_DROPPED, Integer.toUnsignedLong(index));
                writeOnce(rings, layout.sqDropped(), readOnce(rings, layout.sqDropped()) + 1);
                droppedSqes++;
                return -1;
            }
        }
        return index;
    }

    /**
     * {@code io_init_req} (6.19+), a 128-byte opcode on a ring without SQE128: with SQE_MIXED, both halves within
     * to_submit and not the last physical slot, it takes the next ring position too; false otherwise.
     */
    boolean takeSecondHalf(int sqeIndex) {
        if ((flags & IORING_SETUP_SQE_MIXED) == 0 || Integer.compareUnsigned(submitLeft, 2) < 0
                || sqeIndex >= sqEntries - 1 && !mNop128InLastSlot) {
            return false;
        }
        if (!mSqe128TakesOnePosition) {
            cachedSqHead++;
            submitLeft--;
        }
        return true;
    }

    /** {@code io_commit_sqring}: publishes the new head once, after the batch's CQEs. */
    void commitSqring() {
        if ((flags & IORING_SETUP_SQ_REWIND) != 0) {
            // io_commit_sqring (7.0+): SQ_REWIND restarts at SQE 0 and never writes sq.head
            rules.fire(Rules.SQ_REWIND_RESTARTS_AT_ZERO, cachedSqHead);
            if (mSqRewindPublishesHead) {
                storeRelease(rings, layout.sqHead(), cachedSqHead);
            }
            if (!mSqRewindKeepsHead) {
                cachedSqHead = 0;
            }
            return;
        }
        storeRelease(rings, layout.sqHead(), cachedSqHead); // pairs with the application's loadAcquireHead
    }

    int cachedSqHead() {
        return cachedSqHead;
    }

    /**
     * The SQEs this ring dropped, counted apart from the shared {@code sq_dropped}, which the application may
     * write: a drain by sequence ({@link Drain}) takes one off {@code cq_extra} for each.
     */
    int droppedSqes() {
        return droppedSqes;
    }

    /** The test hook of {@link ModelIoUring#startCountersAt}. */
    void startAt(int counter) {
        cachedSqHead = counter;
    }
}
