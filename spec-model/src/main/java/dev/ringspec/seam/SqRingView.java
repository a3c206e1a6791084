package dev.ringspec.seam;

import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;

import java.lang.foreign.MemorySegment;

/**
 * The application's side of the SQ ring in the kernel's layout: the shared fields at the offsets setup reported,
 * the SQ array, and the SQE array.
 */
public final class SqRingView {
    private final MemorySegment ring;
    private final MemorySegment sqes;
    private final long head;
    private final long tail;
    private final long ringMask;
    private final long ringEntries;
    private final long flags;
    private final long dropped;
    private final long array;
    private final boolean hasArray;
    private final int sqeSizeBytes;

    public SqRingView(MemorySegment ring, MemorySegment sqes, RingParams params) {
        this.ring = ring;
        this.sqes = sqes;
        this.head = params.sqOff().head();
        this.tail = params.sqOff().tail();
        this.ringMask = params.sqOff().ringMask();
        this.ringEntries = params.sqOff().ringEntries();
        this.flags = params.sqOff().flags();
        this.dropped = params.sqOff().dropped();
        this.array = params.sqOff().array();
        this.hasArray = params.hasSqArray();
        this.sqeSizeBytes = params.sqeSizeBytes();
    }

    /** Pairs with the kernel's {@code smp_store_release(&rings->sq.head)} in {@code io_commit_sqring}. */
    public int loadAcquireHead() {
        return loadAcquire(ring, head);
    }

    public int readOnceHead() {
        return readOnce(ring, head);
    }

    /** The application's own tail: only it writes the field. */
    public int readOnceTail() {
        return readOnce(ring, tail);
    }

    /** Publishes SQEs; pairs with the kernel's {@code smp_load_acquire(&rings->sq.tail)} in {@code __io_sqring_entries}. */
    public void storeReleaseTail(int value) {
        storeRelease(ring, tail, value);
    }

    /** Moves the head the way a misbehaving application could; the kernel never reads it back. */
    public void writeOnceHead(int value) {
        writeOnce(ring, head, value);
    }

    public int readOnceFlags() {
        return readOnce(ring, flags);
    }

    /**
     * Overwrites the kernel-owned flags word, as a misbehaving application could. ringspec's lockstep engine uses
     * it on the model's ring to carry a catalogued kernel difference over, so a run goes on past it.
     */
    public void writeOnceFlags(int value) {
        writeOnce(ring, flags, value);
    }

    public int readOnceDropped() {
        return readOnce(ring, dropped);
    }

    public int readOnceRingMask() {
        return readOnce(ring, ringMask);
    }

    public int readOnceRingEntries() {
        return readOnce(ring, ringEntries);
    }

    public boolean hasArray() {
        return hasArray;
    }

    /** Points SQ array slot {@code index} at SQE {@code sqeIndex}. Published by the next tail release. */
    public void writeOnceArray(int index, int sqeIndex) {
        writeOnce(ring, array + (long) index * Integer.BYTES, sqeIndex);
    }

    public int readOnceArray(int index) {
        return readOnce(ring, array + (long) index * Integer.BYTES);
    }

    /** The SQE array region. */
    public MemorySegment sqes() {
        return sqes;
    }

    /** The byte offset of SQE {@code sqeIndex} in {@link #sqes()}. */
    public long sqeOffset(int sqeIndex) {
        return (long) sqeIndex * sqeSizeBytes;
    }

    public int sqeSizeBytes() {
        return sqeSizeBytes;
    }
}
