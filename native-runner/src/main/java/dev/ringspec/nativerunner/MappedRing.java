package dev.ringspec.nativerunner;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A ring of a real kernel as the host holds it: the descriptor the kernel gave (or its index in the task's
 * registered-ring table), and its regions in generations, setup then one per resize. Each generation owns a shared
 * arena whose closing frees it (unmaps this machine's mappings; frees a guest ring's host copies), so a segment kept
 * past a resize or close fails on access instead of touching freed memory. The native runner's {@link NativeRing}
 * and the guest runner's ring.
 */
public abstract class MappedRing implements Ring {
    /** One generation of regions and the answer that sized them. */
    public record Mapping(Arena arena, RingParams params, MemorySegment sqRing, MemorySegment cqRing,
            MemorySegment sqes) {
    }

    private final int fd;
    private final boolean registeredIndex;
    private volatile Mapping mapping;
    private volatile boolean closed;

    protected MappedRing(int fd, boolean registeredIndex, Mapping mapping) {
        this.fd = fd;
        this.registeredIndex = registeredIndex;
        this.mapping = mapping;
    }

    @Override
    public final int fd() {
        return fd;
    }

    @Override
    public final RingParams params() {
        return mapping.params();
    }

    @Override
    public final MemorySegment sqRing() {
        return mapping.sqRing();
    }

    @Override
    public final MemorySegment cqRing() {
        return mapping.cqRing();
    }

    @Override
    public final MemorySegment sqes() {
        return mapping.sqes();
    }

    /**
     * Whether {@link #fd()} is an index in the task's registered-ring table ({@code IORING_SETUP_REGISTERED_FD_ONLY})
     * rather than a file descriptor.
     */
    public final boolean registeredIndex() {
        return registeredIndex;
    }

    /** Swaps in a new generation of regions and frees the old one. */
    public final void remap(Mapping next) {
        Mapping previous = mapping;
        mapping = next;
        previous.arena().close();
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Marks the ring closed and frees its regions; the caller then closes the descriptor, if the kernel has it. */
    public void markClosedAndFree() {
        closed = true;
        mapping.arena().close();
    }

    /** How {@link #toString()} names the ring: {@code "ring"}, {@code "guest ring"}. */
    protected abstract String kind();

    @Override
    public final String toString() {
        RingParams p = mapping.params();
        return kind() + " fd " + fd + " (sq " + p.sqEntries() + ", cq " + p.cqEntries() + ", flags 0x"
                + Integer.toHexString(p.flags()) + (closed ? ", closed" : "") + ")";
    }
}
