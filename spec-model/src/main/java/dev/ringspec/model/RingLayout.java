package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;

import dev.ringspec.seam.RingGeometry;

/**
 * Where a kernel puts each field of its {@code struct io_rings}, which user space sees only through {@code sq_off}
 * and {@code cq_off}. From 6.12 at the latest the head and tail of each {@code struct io_uring} are adjacent u32s
 * ({@link RingGeometry}); 6.1 puts each of the four on its own cache line (6.1.192 include/linux/io_uring_types.h,
 * {@code struct io_uring}: {@code head} and {@code tail} both {@code ____cacheline_aligned_in_smp}), which moves
 * every later field, the CQEs and the SQ array (found by lockstep against 6.1.192: its {@code sq_off.tail} is 0x40).
 */
record RingLayout(int sqHead, int sqTail, int cqHead, int cqTail, int sqRingMask, int cqRingMask, int sqRingEntries,
        int cqRingEntries, int sqDropped, int sqFlags, int cqFlags, int cqOverflow, int cqes) {

    /** 6.12 and later: {@link RingGeometry}'s offsets. */
    static final RingLayout PACKED = new RingLayout(RingGeometry.SQ_HEAD, RingGeometry.SQ_TAIL, RingGeometry.CQ_HEAD,
            RingGeometry.CQ_TAIL, RingGeometry.SQ_RING_MASK, RingGeometry.CQ_RING_MASK, RingGeometry.SQ_RING_ENTRIES,
            RingGeometry.CQ_RING_ENTRIES, RingGeometry.SQ_DROPPED, RingGeometry.SQ_FLAGS, RingGeometry.CQ_FLAGS,
            RingGeometry.CQ_OVERFLOW, RingGeometry.CQES);
    /** 6.1: sq.head, sq.tail, cq.head and cq.tail each on a cache line of their own, the rest after them. */
    static final RingLayout CACHELINE_HEADS = new RingLayout(0x0, 0x40, 0x80, 0xc0, 0x100, 0x104, 0x108, 0x10c,
            0x110, 0x114, 0x118, 0x11c, 0x140);

    /** The byte offset of the SQ array, or 0 on a {@code NO_SQARRAY} ring. */
    long sqArrayOffset(int flags, int cqEntries) {
        if ((flags & IORING_SETUP_NO_SQARRAY) != 0) {
            return 0;
        }
        return RingGeometry.alignUp(cqesEnd(flags, cqEntries), RingGeometry.CACHE_LINE_BYTES);
    }

    /** {@code rings_size}: header, CQEs and, unless NO_SQARRAY, the SQ array. */
    long ringsSizeBytes(int flags, int sqEntries, int cqEntries) {
        long end = RingGeometry.alignUp(cqesEnd(flags, cqEntries), RingGeometry.CACHE_LINE_BYTES);
        if ((flags & IORING_SETUP_NO_SQARRAY) != 0) {
            return end;
        }
        return end + (long) sqEntries * Integer.BYTES;
    }

    private long cqesEnd(int flags, int cqEntries) {
        // rings_size: struct_size(rings, cqes, cq_entries), doubled whole (header too) on a CQE32 ring
        long end = cqes + (long) cqEntries * 16;
        return (flags & IORING_SETUP_CQE32) != 0 ? end << 1 : end;
    }
}
