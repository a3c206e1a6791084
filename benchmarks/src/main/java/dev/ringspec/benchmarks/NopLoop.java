package dev.ringspec.benchmarks;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringCqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The NOP round every NOP benchmark times, over one {@value #RING_ENTRIES}-entry ring of any backend.
 * {@link #nops}: fill {@code batch} SQEs at the tail, publish it, one {@code enter(batch, batch, GETEVENTS)}, read
 * {@code batch} CQEs and publish the head: what an application pays. {@code src/main/c/nop_bench.c} does exactly
 * this work per NOP with raw syscalls. {@link #nopsPrepared}: the same round over SQEs written once at setup (a NOP
 * SQE stays valid after it is consumed) with the CQEs consumed unread, so the time is the backend's own cost.
 */
public final class NopLoop implements AutoCloseable {
    static final int RING_ENTRIES = 128;

    private final IoUringKernel kernel;
    private final Arena arena;
    private final Ring ring;
    private final SqRingView sq;
    private final CqRingView cq;
    private final MemorySegment sqes;
    private final MemorySegment cqRing;
    private final int sqMask;
    private final int cqMask;

    /** Sets up the ring and points SQ array slot {@code i} at SQE {@code i}, once. */
    public NopLoop(IoUringKernel kernel) {
        this.kernel = kernel;
        this.arena = Arena.ofConfined();
        MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
        IoUringKernel.SetupResult setup = kernel.setup(RING_ENTRIES, params);
        ring = setup.ringOrNull();
        if (ring == null) {
            arena.close();
            throw new IllegalStateException("io_uring_setup(" + RING_ENTRIES + ") on " + kernel.description()
                    + " answered " + setup.result());
        }
        sq = ring.sq();
        cq = ring.cq();
        sqes = ring.sqes();
        cqRing = cq.memory();
        sqMask = ring.params().sqEntries() - 1;
        cqMask = ring.params().cqEntries() - 1;
        for (int i = 0; i < RING_ENTRIES; i++) {
            sq.writeOnceArray(i, i);
            Sqe.prepNop(sqes, sq.sqeOffset(i), i);
        }
    }

    /** One application round of {@code n} NOPs (1 to {@value #RING_ENTRIES}); the sum of user_data + res read. */
    public long nops(int n) {
        int tail = sq.readOnceTail();
        for (int i = 0; i < n; i++) {
            Sqe.prepNop(sqes, sq.sqeOffset((tail + i) & sqMask), tail + i);
        }
        sq.storeReleaseTail(tail + n);
        int submitted = kernel.enter(ring, n, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (submitted != n) {
            throw new IllegalStateException("io_uring_enter returned " + submitted + ", expected " + n);
        }
        int head = cq.readOnceHead();
        int cqTail = cq.loadAcquireTail();
        long sum = 0;
        for (int h = head; h != cqTail; h++) {
            long cqe = cq.cqeOffset(h & cqMask);
            sum += cqRing.get(JAVA_LONG, cqe + IoUringCqe.USER_DATA_OFFSET)
                    + cqRing.get(JAVA_INT, cqe + IoUringCqe.RES_OFFSET);
        }
        cq.storeReleaseHead(cqTail);
        return sum;
    }

    /** The round over the SQEs written at setup, CQEs consumed unread; the CQ tail. */
    public int nopsPrepared(int n) {
        sq.storeReleaseTail(sq.readOnceTail() + n);
        int submitted = kernel.enter(ring, n, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (submitted != n) {
            throw new IllegalStateException("io_uring_enter returned " + submitted + ", expected " + n);
        }
        int cqTail = cq.loadAcquireTail();
        cq.storeReleaseHead(cqTail);
        return cqTail;
    }

    @Override
    public void close() {
        kernel.close(ring);
        arena.close();
    }
}
