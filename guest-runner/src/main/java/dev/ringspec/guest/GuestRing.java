package dev.ringspec.guest;

import dev.ringspec.guest.agent.SyncedRing;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A ring of a guest kernel, as the host sees it: the descriptor the guest's kernel gave, what setup reported, and
 * host memory laid out exactly like the guest's mappings, kept equal to them at every call. Each mapping
 * generation (setup, then one per resize) owns a shared arena whose closing frees it, so a segment kept past a
 * resize or close fails on access, as a native ring's does.
 */
final class GuestRing implements Ring {
    /** One generation of regions and the answer that sized them. */
    record Mapping(Arena arena, RingParams params, MemorySegment sqRing, MemorySegment cqRing,
            MemorySegment sqes) {
    }

    private final int fd;
    private final boolean registeredIndex;
    private final SyncedRing synced;
    private volatile Mapping mapping;
    private volatile boolean closed;

    GuestRing(int fd, boolean registeredIndex, SyncedRing synced, Mapping mapping) {
        this.fd = fd;
        this.registeredIndex = registeredIndex;
        this.synced = synced;
        this.mapping = mapping;
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public RingParams params() {
        return mapping.params();
    }

    @Override
    public MemorySegment sqRing() {
        return mapping.sqRing();
    }

    @Override
    public MemorySegment cqRing() {
        return mapping.cqRing();
    }

    @Override
    public MemorySegment sqes() {
        return mapping.sqes();
    }

    boolean registeredIndex() {
        return registeredIndex;
    }

    SyncedRing synced() {
        return synced;
    }

    /** Swaps in a new generation of regions and frees the old one. */
    void remap(Mapping next) {
        Mapping previous = mapping;
        mapping = next;
        previous.arena().close();
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the ring closed and frees its regions. */
    void markClosedAndFree() {
        closed = true;
        synced.clear();
        mapping.arena().close();
    }

    @Override
    public String toString() {
        RingParams p = mapping.params();
        return "guest ring fd " + fd + " (sq " + p.sqEntries() + ", cq " + p.cqEntries() + ", flags 0x"
                + Integer.toHexString(p.flags()) + (closed ? ", closed" : "") + ")";
    }
}
