package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;

/**
 * What {@code io_uring_setup} (or a resize) reported in {@code struct io_uring_params}: the ring sizes, the flags,
 * the features word and where each shared field lives in the mapped regions.
 */
public record RingParams(
        int sqEntries, int cqEntries, int flags, int features, SqOffsets sqOff, CqOffsets cqOff) {

    /** {@code struct io_sqring_offsets}: byte offsets into the SQ ring region. */
    public record SqOffsets(int head, int tail, int ringMask, int ringEntries, int flags, int dropped, int array,
            long userAddr) {
    }

    /** {@code struct io_cqring_offsets}: byte offsets into the CQ ring region. */
    public record CqOffsets(int head, int tail, int ringMask, int ringEntries, int overflow, int cqes, int flags,
            long userAddr) {
    }

    /** Reads the answer the kernel wrote into a {@code struct io_uring_params}. */
    public static RingParams read(MemorySegment params) {
        long sq = IoUringParams.SQ_OFF_OFFSET;
        long cq = IoUringParams.CQ_OFF_OFFSET;
        return new RingParams(
                params.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET),
                params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET),
                params.get(JAVA_INT, IoUringParams.FLAGS_OFFSET),
                params.get(JAVA_INT, IoUringParams.FEATURES_OFFSET),
                new SqOffsets(
                        params.get(JAVA_INT, sq + IoSqringOffsets.HEAD_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.TAIL_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.RING_MASK_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.RING_ENTRIES_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.FLAGS_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.DROPPED_OFFSET),
                        params.get(JAVA_INT, sq + IoSqringOffsets.ARRAY_OFFSET),
                        params.get(JAVA_LONG, sq + IoSqringOffsets.USER_ADDR_OFFSET)),
                new CqOffsets(
                        params.get(JAVA_INT, cq + IoCqringOffsets.HEAD_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.TAIL_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.RING_MASK_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.RING_ENTRIES_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.OVERFLOW_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.CQES_OFFSET),
                        params.get(JAVA_INT, cq + IoCqringOffsets.FLAGS_OFFSET),
                        params.get(JAVA_LONG, cq + IoCqringOffsets.USER_ADDR_OFFSET)));
    }

    /** The same answer with the SQ array offset replaced (a 6.18 resize does not write it back). */
    public RingParams withSqArray(int array) {
        return new RingParams(sqEntries, cqEntries, flags, features,
                new SqOffsets(sqOff.head, sqOff.tail, sqOff.ringMask, sqOff.ringEntries, sqOff.flags, sqOff.dropped,
                        array, sqOff.userAddr),
                cqOff);
    }

    /** The same answer with another features word (a resize does not write it). */
    public RingParams withFeatures(int newFeatures) {
        return new RingParams(sqEntries, cqEntries, flags, newFeatures, sqOff, cqOff);
    }

    public boolean has(int setupFlag) {
        return (flags & setupFlag) != 0;
    }

    /** 64, or 128 on an {@code IORING_SETUP_SQE128} ring. */
    public int sqeSizeBytes() {
        return has(IORING_SETUP_SQE128) ? 128 : 64;
    }

    /** 16, or 32 on an {@code IORING_SETUP_CQE32} ring (a {@code CQE_MIXED} ring counts 16-byte slots). */
    public int cqeSizeBytes() {
        return has(IORING_SETUP_CQE32) ? 32 : 16;
    }

    public boolean hasSqArray() {
        return !has(IORING_SETUP_NO_SQARRAY);
    }

    /** How much of the SQ ring region an application maps: up to the end of the SQ array, or of the header. */
    public long sqRingSizeBytes() {
        if (hasSqArray()) {
            return sqOff.array + (long) sqEntries * Integer.BYTES;
        }
        return Math.max(Math.max(sqOff.head, sqOff.tail), Math.max(sqOff.flags, sqOff.dropped)) + Integer.BYTES;
    }

    /** How much of the CQ ring region an application maps: up to the end of the CQE array. */
    public long cqRingSizeBytes() {
        return cqOff.cqes + (long) cqEntries * cqeSizeBytes();
    }

    /** The size of the SQE array region. */
    public long sqesSizeBytes() {
        return (long) sqEntries * sqeSizeBytes();
    }
}
