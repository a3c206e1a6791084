package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A ring of the running kernel: its descriptor and its mapped regions. Each mapping generation (setup, then one
 * per resize) owns a shared arena whose closing unmaps it, so a segment kept past a resize or close fails on
 * access instead of reading unmapped memory.
 */
final class NativeRing implements Ring {
    /** One generation of mappings and the answer that sized them. */
    record Mapping(Arena arena, RingParams params, MemorySegment sqRing, MemorySegment cqRing,
            MemorySegment sqes) {
    }

    private final int fd;
    private final boolean registeredIndex;
    private final Thread creator;
    /** SINGLE_ISSUER or DEFER_TASKRUN, which a resize carries over: the ring belongs to one task. */
    private final boolean threadBound;
    /** The errno capture buffer of the creator thread, the only thread that may use it. */
    private final MemorySegment creatorCapture;
    private volatile Mapping mapping;
    private volatile boolean closed;

    NativeRing(int fd, boolean registeredIndex, Mapping mapping) {
        this.fd = fd;
        this.registeredIndex = registeredIndex;
        this.mapping = mapping;
        this.creator = Thread.currentThread();
        this.threadBound = (mapping.params().flags() & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) != 0;
        this.creatorCapture = Native.newCaptureState();
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

    /**
     * Whether {@link #fd()} is an index in the task's registered-ring table ({@code IORING_SETUP_REGISTERED_FD_ONLY})
     * rather than a file descriptor.
     */
    boolean registeredIndex() {
        return registeredIndex;
    }

    boolean threadBound() {
        return threadBound;
    }

    /**
     * The errno capture buffer for a call from {@code thread}. The creator's buffer sits beside the ring, so the
     * usual call, from the thread that set the ring up, touches no per-thread lookup; any other thread gets its
     * own from {@link Native#captureState()}.
     */
    MemorySegment captureState(Thread thread) {
        return thread == creator ? creatorCapture : Native.captureState();
    }

    Mapping mapping() {
        return mapping;
    }

    /** Swaps in a new generation of mappings and unmaps the old one. */
    void remap(Mapping next) {
        Mapping previous = mapping;
        mapping = next;
        previous.arena().close();
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the ring closed and unmaps its regions; the caller then closes the descriptor. */
    void markClosedAndUnmap() {
        closed = true;
        mapping.arena().close();
    }

    Thread creator() {
        return creator;
    }

    @Override
    public String toString() {
        RingParams p = mapping.params();
        return "ring fd " + fd + " (sq " + p.sqEntries() + ", cq " + p.cqEntries() + ", flags 0x"
                + Integer.toHexString(p.flags()) + (closed ? ", closed" : "") + ")";
    }
}
