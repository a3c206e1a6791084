package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;

import java.lang.foreign.MemorySegment;

/**
 * A ring of the running kernel: its descriptor and its mapped regions ({@link MappedRing}), and the thread that
 * created it, whose errno capture buffer sits beside the ring.
 */
final class NativeRing extends MappedRing {
    private final Thread creator;
    /** SINGLE_ISSUER or DEFER_TASKRUN, which a resize carries over: the ring belongs to one task. */
    private final boolean threadBound;
    /** The errno capture buffer of the creator thread, the only thread that may use it. */
    private final MemorySegment creatorCapture;

    NativeRing(int fd, boolean registeredIndex, Mapping mapping) {
        super(fd, registeredIndex, mapping);
        this.creator = Thread.currentThread();
        this.threadBound = (mapping.params().flags() & (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) != 0;
        this.creatorCapture = Native.newCaptureState();
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

    @Override
    protected String kind() {
        return "ring";
    }
}
