package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;

/**
 * Where the kernel puts each shared field of a ring with the given sizes and flags: the layout of its internal
 * {@code struct io_rings}, which user space sees only through {@code sq_off} and {@code cq_off}.
 *
 * <pre>
 * offset  0      4      8      12     16        20        24           28           32         36       40       44          64
 *         |sq.hd |sq.tl |cq.hd |cq.tl |sq_mask  |cq_mask  |sq_entries  |cq_entries  |sq_dropped|sq_flags|cq_flags|cq_overflow|..|cqes[cq_entries]|..|sq_array[sq_entries]
 * </pre>
 *
 * <p>The CQEs start at the first cache line ({@code ____cacheline_aligned_in_smp}, 64 on x86_64); the SQ array
 * follows them, aligned to 64 ({@code rings_size} in io_uring/io_uring.c). A {@code CQE32} ring doubles the whole
 * size up to the end of the CQEs, header included; a {@code CQE_MIXED} ring counts 16-byte slots; {@code NO_SQARRAY} has no array and reports offset 0.
 */
public final class RingGeometry {
    public static final int SQ_HEAD = 0;
    public static final int SQ_TAIL = 4;
    public static final int CQ_HEAD = 8;
    public static final int CQ_TAIL = 12;
    public static final int SQ_RING_MASK = 16;
    public static final int CQ_RING_MASK = 20;
    public static final int SQ_RING_ENTRIES = 24;
    public static final int CQ_RING_ENTRIES = 28;
    public static final int SQ_DROPPED = 32;
    public static final int SQ_FLAGS = 36;
    public static final int CQ_FLAGS = 40;
    public static final int CQ_OVERFLOW = 44;
    public static final int CQES = 64;
    /** SMP_CACHE_BYTES on x86_64. */
    public static final int CACHE_LINE_BYTES = 64;
    /**
     * The setup flags that shape a ring's layout, which a resize carries over to the new rings ({@code COPY_FLAGS}
     * in io_uring/register.c, io_register_resize_rings).
     */
    public static final int RESIZE_COPY_FLAGS = IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQE128 | IORING_SETUP_CQE32
            | IORING_SETUP_NO_MMAP | IORING_SETUP_CQE_MIXED | IORING_SETUP_SQE_MIXED;

    private RingGeometry() {
    }

    /** The byte offset of the SQ array, or 0 on a {@code NO_SQARRAY} ring. */
    public static long sqArrayOffset(int flags, int cqEntries) {
        if ((flags & IORING_SETUP_NO_SQARRAY) != 0) {
            return 0;
        }
        return alignUp(cqesEnd(flags, cqEntries), CACHE_LINE_BYTES);
    }

    /** The size of the rings region ({@code rings_size}): header, CQEs and, unless NO_SQARRAY, the SQ array. */
    public static long ringsSizeBytes(int flags, int sqEntries, int cqEntries) {
        long end = alignUp(cqesEnd(flags, cqEntries), CACHE_LINE_BYTES);
        if ((flags & IORING_SETUP_NO_SQARRAY) != 0) {
            return end;
        }
        return end + (long) sqEntries * Integer.BYTES;
    }

    private static long cqesEnd(int flags, int cqEntries) {
        // rings_size: struct_size(rings, cqes, cq_entries), doubled whole (header too) on a CQE32 ring.
        long end = CQES + (long) cqEntries * 16;
        return (flags & IORING_SETUP_CQE32) != 0 ? end << 1 : end;
    }

    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
