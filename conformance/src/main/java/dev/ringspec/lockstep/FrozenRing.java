package dev.ringspec.lockstep;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A copy of a ring's mapped regions as they stood at one moment, which nothing writes: what the application saw of a
 * kernel's ring when a step diverged ({@link Side#frozen}). The kernel's ring goes on changing on its own time (a
 * timer fires, an io-wq worker posts), so a comparison made later against the live ring compares with something the
 * step never showed. Under IORING_FEAT_SINGLE_MMAP the SQ and CQ rings are one mapping, and so one copy.
 */
record FrozenRing(int fd, RingParams params, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes)
        implements Ring {

    /** Alignment of the copies: the ring views' acquire and release accesses need aligned words. */
    private static final long ALIGNMENT_BYTES = 64;

    static FrozenRing of(Ring live) {
        Arena arena = Arena.ofAuto(); // freed with the copy: a frozen side is never closed
        MemorySegment sqRing = copy(arena, live.sqRing());
        MemorySegment cqRing = live.cqRing().address() == live.sqRing().address()
                && live.cqRing().byteSize() == live.sqRing().byteSize() ? sqRing : copy(arena, live.cqRing());
        return new FrozenRing(live.fd(), live.params(), sqRing, cqRing, copy(arena, live.sqes()));
    }

    private static MemorySegment copy(Arena arena, MemorySegment live) {
        return arena.allocate(live.byteSize(), ALIGNMENT_BYTES).copyFrom(live);
    }
}
