package dev.ringspec.seam;

import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.uapi.IoUringCqe;
import java.lang.foreign.MemorySegment;

/**
 * The application's side of the CQ ring in the kernel's layout. CQE slots are 16 bytes (32 on a
 * {@code CQE32} ring); on a {@code CQE_MIXED} ring a 32-byte CQE takes two consecutive 16-byte slots.
 */
public final class CqRingView implements CqeSlots {
    private final MemorySegment ring;
    private final long head;
    private final long tail;
    private final long ringMask;
    private final long ringEntries;
    private final long overflow;
    private final long flags;
    private final long cqes;
    private final int cqeSizeBytes;

    public CqRingView(MemorySegment ring, RingParams params) {
        this.ring = ring;
        this.head = params.cqOff().head();
        this.tail = params.cqOff().tail();
        this.ringMask = params.cqOff().ringMask();
        this.ringEntries = params.cqOff().ringEntries();
        this.overflow = params.cqOff().overflow();
        this.flags = params.cqOff().flags();
        this.cqes = params.cqOff().cqes();
        this.cqeSizeBytes = params.cqeSizeBytes();
    }

    /** Pairs with the kernel's {@code smp_store_release(&rings->cq.tail)} in {@code io_commit_cqring}. */
    public int loadAcquireTail() {
        return loadAcquire(ring, tail);
    }

    public int readOnceHead() {
        return readOnce(ring, head);
    }

    /**
     * Frees consumed CQEs; the release orders the application's reads of them before the kernel may reuse the
     * slots (paired with the kernel's {@code READ_ONCE(rings->cq.head)} behind its control dependency).
     */
    public void storeReleaseHead(int value) {
        storeRelease(ring, head, value);
    }

    public int readOnceOverflow() {
        return readOnce(ring, overflow);
    }

    public int readOnceFlags() {
        return readOnce(ring, flags);
    }

    /** The application owns {@code cq.flags} ({@code IORING_CQ_EVENTFD_DISABLED}). */
    public void writeOnceFlags(int value) {
        writeOnce(ring, flags, value);
    }

    public int readOnceRingMask() {
        return readOnce(ring, ringMask);
    }

    public int readOnceRingEntries() {
        return readOnce(ring, ringEntries);
    }

    /** The byte offset of CQE slot {@code index} in the CQ ring region. */
    public long cqeOffset(int index) {
        return cqes + (long) index * cqeSizeBytes;
    }

    public long userData(int index) {
        return ring.get(JAVA_LONG, cqeOffset(index) + IoUringCqe.USER_DATA_OFFSET);
    }

    public int res(int index) {
        return ring.get(JAVA_INT, cqeOffset(index) + IoUringCqe.RES_OFFSET);
    }

    public int flags(int index) {
        return ring.get(JAVA_INT, cqeOffset(index) + IoUringCqe.FLAGS_OFFSET);
    }

    /** {@code big_cqe[word]} of the 32-byte CQE starting at slot {@code index}. */
    public long bigCqe(int index, int word) {
        return ring.get(JAVA_LONG, cqeOffset(index) + IoUringCqe.BIG_CQE_OFFSET + (long) word * Long.BYTES);
    }

    public int cqeSizeBytes() {
        return cqeSizeBytes;
    }

    public MemorySegment memory() {
        return ring;
    }
}
