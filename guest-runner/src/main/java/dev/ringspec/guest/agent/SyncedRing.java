package dev.ringspec.guest.agent;

import java.lang.foreign.MemorySegment;

/**
 * The host's side of one guest ring's memory: up to three regions (SQ ring, CQ ring when it is a mapping of its
 * own, SQEs), each host memory the application reads and writes, with the copy last synced with the agent. The
 * agent keeps the same copies of the real mappings; each call sends the application's changes and brings back
 * the kernel's.
 */
public final class SyncedRing {
    static final int SQ_RING = 0;
    static final int CQ_RING = 1;
    static final int SQES = 2;

    private final int id;
    private final MemorySegment[] memory = new MemorySegment[3];
    private final MemorySegment[] shadow = new MemorySegment[3];

    SyncedRing(int id) {
        this.id = id;
    }

    /** The id host and agent know this ring by (not its file descriptor: a registered ring has none). */
    public int id() {
        return id;
    }

    /**
     * Takes a new generation of regions (after setup or a resize), all last synced as zeroes, as the agent's
     * copies of fresh mappings are; the agent's first answer then carries their whole content. {@code cqRing} is
     * {@code null} when it is the SQ ring's mapping (SINGLE_MMAP, NO_MMAP).
     */
    public void regions(MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        set(SQ_RING, sqRing);
        set(CQ_RING, cqRing);
        set(SQES, sqes);
    }

    private void set(int which, MemorySegment segment) {
        memory[which] = segment;
        shadow[which] = segment == null ? null : MemorySegment.ofArray(new byte[(int) segment.byteSize()]);
    }

    /** Forgets the regions (the ring is closed). */
    public void clear() {
        regions(null, null, null);
    }

    MemorySegment memory(int which) {
        return memory[which];
    }

    MemorySegment shadow(int which) {
        return shadow[which];
    }
}
