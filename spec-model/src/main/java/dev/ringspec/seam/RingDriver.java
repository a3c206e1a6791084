package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;

/**
 * A plain, well-behaved application on one ring, for trials and tests: it fills SQEs at the tail (with an
 * identity SQ array), publishes them with a release store, enters, and reaps CQEs in order. It keeps no state
 * the ring does not show, so it can be pointed at any backend behind the seam.
 */
public final class RingDriver {
    private final IoUringKernel kernel;
    private final Ring ring;
    private SqRingView sq;
    private CqRingView cq;
    private int pending;

    public RingDriver(IoUringKernel kernel, Ring ring) {
        this.kernel = kernel;
        this.ring = ring;
        refreshViews();
    }

    /** Re-reads the ring's regions, after a resize mapped them anew. */
    public void refreshViews() {
        this.sq = ring.sq();
        this.cq = ring.cq();
    }

    public Ring ring() {
        return ring;
    }

    public SqRingView sq() {
        return sq;
    }

    public CqRingView cq() {
        return cq;
    }

    /**
     * Clears the next free SQE (64 bytes, or 128 on SQE128) and points the SQ array at it; returns its byte offset
     * in {@link #sqes()}. The SQE becomes visible to the kernel at {@link #submit}.
     */
    public long nextSqe() {
        int tail = sq.readOnceTail() + pending;
        int index = tail & (ring.params().sqEntries() - 1);
        if (sq.hasArray()) {
            sq.writeOnceArray(index, index);
        }
        long offset = sq.sqeOffset(index);
        Sqe.clear(sq.sqes(), offset, sq.sqeSizeBytes());
        pending++;
        return offset;
    }

    public MemorySegment sqes() {
        return sq.sqes();
    }

    /** Publishes the SQEs written since the last submit and enters; returns what enter returned. */
    public int submit(int minComplete, int enterFlags) {
        int count = pending;
        sq.storeReleaseTail(sq.readOnceTail() + count);
        pending = 0;
        return kernel.enter(ring, count, minComplete, enterFlags, MemorySegment.NULL, 0);
    }

    /** CQEs the application can see: {@code tail - head}. */
    public int ready() {
        return cq.loadAcquireTail() - cq.readOnceHead();
    }

    /**
     * Takes the CQE at the head, or returns {@code null} if there is none. On a CQE_MIXED ring a 32-byte CQE
     * advances the head by two slots; a skip CQE is returned like any other.
     *
     * @throws IllegalStateException if the ring is malformed at the head ({@link CqeReader}), naming how
     */
    public Cqe reap() {
        int head = cq.readOnceHead();
        int tail = cq.loadAcquireTail();
        if (tail == head) {
            return null;
        }
        CqeReader.CqeRead read = CqeReader.read(cq, CqeReader.Shape.of(ring.params().flags(),
                ring.params().cqEntries()), head, tail, 1);
        if (read instanceof CqeReader.CqeRead.Malformed m) {
            throw new IllegalStateException("malformed CQ ring: " + m.malformation() + " at " + m.detail());
        }
        CqeReader.VisibleCqe cqe = read.cqes().getFirst();
        cq.storeReleaseHead(cqe.next());
        return cqe.cqe();
    }
}
