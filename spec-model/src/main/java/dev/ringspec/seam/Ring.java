package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;

/**
 * A ring created through an {@link IoUringKernel}: its file descriptor, what setup reported, and its mapped
 * regions laid out exactly as the kernel reports in {@code params}.
 *
 * <p>Under {@code IORING_FEAT_SINGLE_MMAP} the SQ and CQ rings are one mapping and {@link #sqRing()} and
 * {@link #cqRing()} are the same memory. After a successful resize the regions are new mappings; segments taken
 * before it are closed and fail on access instead of touching unmapped memory.
 */
public interface Ring {

    /** The ring's file descriptor (a pseudo descriptor for the model and emulator). */
    int fd();

    /** What setup, or the last successful resize, reported. */
    RingParams params();

    /** The SQ ring region ({@code IORING_OFF_SQ_RING}): head, tail, mask, entries, flags, dropped, the SQ array. */
    MemorySegment sqRing();

    /** The CQ ring region ({@code IORING_OFF_CQ_RING}): head, tail, mask, entries, overflow, flags, the CQEs. */
    MemorySegment cqRing();

    /** The SQE array ({@code IORING_OFF_SQES}). */
    MemorySegment sqes();

    /** The SQ ring's shared fields, read and written with the access modes the protocol asks for. */
    default SqRingView sq() {
        return new SqRingView(sqRing(), sqes(), params());
    }

    /** The CQ ring's shared fields and CQEs. */
    default CqRingView cq() {
        return new CqRingView(cqRing(), params());
    }
}
