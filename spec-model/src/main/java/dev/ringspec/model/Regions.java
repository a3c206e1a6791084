package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;

import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.SharedMemory;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One mapping generation of a ring ({@code ctx->rings}, {@code ctx->sq_sqes} and their {@code io_mapped_region}s):
 * the shared regions, the sizes, and the answer setup or a resize gave. Setup makes the first; a resize replaces it
 * whole, and every part of the ring that caches a region takes the new one through its {@code remap}.
 *
 * @param arena the arena the regions live in (closed on close and when a resize replaces them)
 * @param params what setup or the resize answered
 * @param rings {@code struct io_rings}: the counters, flags and the CQE array
 * @param sqes the SQE array
 * @param flags the ring's setup flags
 */
record Regions(Arena arena, RingParams params, MemorySegment rings, MemorySegment sqes, int flags) {

    int sqEntries() {
        return params.sqEntries();
    }

    int cqEntries() {
        return params.cqEntries();
    }

    long sqArray() {
        return params.sqOff().array();
    }

    int cqeSizeBytes() {
        return (flags & IORING_SETUP_CQE32) != 0 ? 32 : 16;
    }

    int sqeShift() {
        return (flags & IORING_SETUP_SQE128) != 0 ? 7 : 6;
    }

    /** Sets bits of {@code sq.flags}, which only the kernel writes. */
    static void orSqFlags(RingLayout layout, MemorySegment rings, int bits) {
        // atomic_or, as the kernel sets them: task work queued from another thread sets IORING_SQ_TASKRUN too
        SharedMemory.atomicOr(rings, layout.sqFlags(), bits);
    }

    /** Clears bits of {@code sq.flags}. */
    static void andNotSqFlags(RingLayout layout, MemorySegment rings, int bits) {
        SharedMemory.atomicAndNot(rings, layout.sqFlags(), bits);
    }
}
