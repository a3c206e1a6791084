package dev.ringspec.benchmarks;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The NOP rounds both NOP benchmarks time. {@link #nops}: fill {@code batch} SQEs at the tail, publish it, one
 * {@code enter(batch, batch, GETEVENTS)}, read {@code batch} CQEs and publish the head: what an application pays.
 * {@link #nopsPrepared}: the same round over SQEs written once at setup (a NOP SQE stays valid after it is
 * consumed) with the CQEs consumed unread, so the score is the backend's own cost. The score is the time of one
 * round; divide by {@code batch} for the time per NOP. Subclasses only say which backend runs it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public abstract class NopRoundBenchmark {
    private static final int RING_ENTRIES = 128;

    @Param({"1", "32", "128"})
    public int batch;

    private IoUringKernel kernel;
    private Arena arena;
    private Ring ring;
    private SqRingView sq;
    private CqRingView cq;
    private MemorySegment sqes;
    private int sqMask;
    private int cqMask;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = newKernel();
        arena = Arena.ofConfined();
        MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
        ring = kernel.setup(RING_ENTRIES, params).ringOrNull();
        if (ring == null) {
            throw new IllegalStateException("setup failed on " + kernel.description());
        }
        sq = ring.sq();
        cq = ring.cq();
        sqes = ring.sqes();
        sqMask = ring.params().sqEntries() - 1;
        cqMask = ring.params().cqEntries() - 1;
        for (int i = 0; i < RING_ENTRIES; i++) {
            sq.writeOnceArray(i, i);
            Sqe.prepNop(sqes, sq.sqeOffset(i), i);
        }
    }

    /** The backend under test. */
    protected abstract IoUringKernel newKernel();

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close(ring);
        arena.close();
    }

    @Benchmark
    public void nops(Blackhole hole) {
        int n = batch;
        int tail = sq.readOnceTail();
        for (int i = 0; i < n; i++) {
            long sqe = sq.sqeOffset((tail + i) & sqMask);
            Sqe.prepNop(sqes, sqe, tail + i);
        }
        sq.storeReleaseTail(tail + n);
        int submitted = kernel.enter(ring, n, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (submitted != n) {
            throw new IllegalStateException("enter returned " + submitted);
        }
        int head = cq.readOnceHead();
        int cqTail = cq.loadAcquireTail();
        long sum = 0;
        for (int h = head; h != cqTail; h++) {
            long cqe = cq.cqeOffset(h & cqMask);
            sum += cq.memory().get(JAVA_LONG, cqe) + cq.memory().get(JAVA_INT, cqe + 8);
        }
        cq.storeReleaseHead(cqTail);
        hole.consume(sum);
    }

    @Benchmark
    public int nopsPrepared() {
        int n = batch;
        sq.storeReleaseTail(sq.readOnceTail() + n);
        int submitted = kernel.enter(ring, n, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (submitted != n) {
            throw new IllegalStateException("enter returned " + submitted);
        }
        int cqTail = cq.loadAcquireTail();
        cq.storeReleaseHead(cqTail);
        return cqTail;
    }
}
