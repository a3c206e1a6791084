package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_FEAT_SINGLE_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_OFF_CQ_RING;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQES;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQ_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.model.RingSizing;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;

/**
 * Where a kernel backend keeps a ring's regions on the host, for this machine's kernel and a guest's alike: the
 * three regions of a generation and their sizes (one mapping under {@code IORING_FEAT_SINGLE_MMAP}), the memory of
 * ours an {@code IORING_SETUP_NO_MMAP} ring is given, and what a resize keeps of the ring and answers.
 */
public final class RingRegions {
    /** The setup flags that size the rings, in a setup and in a resize's own argument. */
    public static final int SIZING_FLAGS = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;

    private RingRegions() {
    }

    /** Where one region comes from: its memory, or a segment at address {@code -errno} when it cannot be had. */
    @FunctionalInterface
    public interface Source {
        MemorySegment region(long mmapOffset, long sizeBytes);
    }

    /** The three regions of one generation, or the {@code -errno} of the one that could not be had. */
    public record Regions(long result, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        static Regions failed(long result) {
            return new Regions(result, null, null, null);
        }

        /** The generation these regions make, owned by {@code arena}. */
        public MappedRing.Mapping in(Arena arena, RingParams params) {
            return new MappedRing.Mapping(arena, params, sqRing, cqRing, sqes);
        }
    }

    /**
     * The regions of a ring the kernel reports in {@code p}: for NO_MMAP, views of the memory setup was given
     * ({@code cq_off.user_addr} holds both rings, {@code sq_off.user_addr} the SQEs); else the SQ ring, the CQ ring
     * (the same region under SINGLE_MMAP, as large as either) and the SQEs from {@code source}, by their mmap offsets.
     */
    @SuppressWarnings("restricted") // views memory placed for the kernel, or the caller's user_addr
    public static Regions map(Arena arena, RingParams p, Source source) {
        if (p.has(IORING_SETUP_NO_MMAP)) {
            long ringsBytes = RingGeometry.ringsSizeBytes(p.flags(), p.sqEntries(), p.cqEntries());
            MemorySegment rings = MemorySegment.ofAddress(p.cqOff().userAddr()).reinterpret(ringsBytes, arena, null);
            MemorySegment sqes = MemorySegment.ofAddress(p.sqOff().userAddr())
                    .reinterpret(p.sqesSizeBytes(), arena, null);
            return new Regions(0, rings, rings, sqes);
        }
        long sqBytes = p.sqRingSizeBytes();
        long cqBytes = p.cqRingSizeBytes();
        boolean single = (p.features() & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqBytes = Math.max(sqBytes, cqBytes);
        }
        MemorySegment sq = source.region(IORING_OFF_SQ_RING, sqBytes);
        if (sq.address() < 0) {
            return Regions.failed(sq.address());
        }
        MemorySegment cq = single ? sq : source.region(IORING_OFF_CQ_RING, cqBytes);
        if (cq.address() < 0) {
            return Regions.failed(cq.address());
        }
        MemorySegment sqes = source.region(IORING_OFF_SQES, p.sqesSizeBytes());
        if (sqes.address() < 0) {
            return Regions.failed(sqes.address());
        }
        return new Regions(0, sq, cq, sqes);
    }

    /** The memory {@link #placeUserRings} gave a NO_MMAP ring: both rings, and the SQEs. */
    public record Placed(MemorySegment rings, MemorySegment sqes) {
    }

    /**
     * For {@code IORING_SETUP_NO_MMAP} with no user addresses given, places the rings and the SQEs in memory from
     * {@code pages} (page-aligned, at least the bytes asked), sized the way the kernel will size them from
     * {@code entries}, {@code flags} and the {@code sizingFlags}, and writes their addresses into {@code params}.
     * With addresses given, or sizes the kernel will refuse, the params are left alone and the kernel answers:
     * null.
     */
    public static Placed placeUserRings(MemorySegment params, int entries, int flags, int sizingFlags,
            LongFunction<MemorySegment> pages) {
        long sqUser = IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET;
        long cqUser = IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET;
        if (params.get(JAVA_LONG, sqUser) != 0 || params.get(JAVA_LONG, cqUser) != 0) {
            return null;
        }
        RingSizing sizing = RingSizing.of(entries, sizingFlags, params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            return null;
        }
        int sqeBytes = (flags & IORING_SETUP_SQE128) != 0 ? 128 : 64;
        MemorySegment rings = pages.apply(RingGeometry.ringsSizeBytes(flags, sizing.sqEntries(), sizing.cqEntries()));
        MemorySegment sqes = pages.apply((long) sizing.sqEntries() * sqeBytes);
        params.set(JAVA_LONG, cqUser, rings.address());
        params.set(JAVA_LONG, sqUser, sqes.address());
        return new Placed(rings, sqes);
    }

    /** {@link #placeUserRings} for a setup with these {@code params}. */
    public static Placed placeUserRings(MemorySegment params, int entries, int flags,
            LongFunction<MemorySegment> pages) {
        return placeUserRings(params, entries, flags, flags & SIZING_FLAGS, pages);
    }

    /**
     * {@link #placeUserRings} for a resize of a NO_MMAP ring whose setup reported {@code before}: the new rings are
     * sized by the resize's own argument and laid out with the flags the ring keeps ({@link RingGeometry#RESIZE_COPY_FLAGS}).
     */
    public static Placed placeResizedRings(RingParams before, MemorySegment arg, LongFunction<MemorySegment> pages) {
        int sizing = arg.get(JAVA_INT, IoUringParams.FLAGS_OFFSET) & SIZING_FLAGS;
        return placeUserRings(arg, arg.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET),
                sizing | (before.flags() & RingGeometry.RESIZE_COPY_FLAGS), sizing, pages);
    }

    /**
     * What the rings look like after a successful resize of a ring whose setup reported {@code before}: the entries
     * and offsets the kernel wrote into {@code arg}, the ring's own flags and features. A 6.18 kernel writes neither
     * {@code sq_off.array} nor {@code features} back, so the array's offset comes from the geometry.
     */
    public static RingParams afterResize(RingParams before, MemorySegment arg) {
        RingParams written = RingParams.read(arg);
        RingParams answer = new RingParams(written.sqEntries(), written.cqEntries(), before.flags(), before.features(),
                written.sqOff(), written.cqOff());
        return answer.withSqArray((int) RingGeometry.sqArrayOffset(before.flags(), answer.cqEntries()));
    }
}
