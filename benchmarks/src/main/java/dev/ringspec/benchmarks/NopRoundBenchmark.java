package dev.ringspec.benchmarks;

import dev.ringspec.seam.IoUringKernel;
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

/**
 * The NOP rounds both NOP benchmarks time, as JMH benchmarks: {@link NopLoop#nops} (what an application pays) and
 * {@link NopLoop#nopsPrepared} (the backend's own cost). The score is the time of one round; divide by
 * {@code batch} for the time per NOP. Subclasses only say which backend runs it. {@code benchmarks/run.sh} times
 * {@code nops} against C in alternating rounds through {@link NopRoundServer} instead, without JMH's forks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public abstract class NopRoundBenchmark {
    @Param({"1", "32", "128"})
    public int batch;

    private NopLoop loop;

    @Setup(Level.Trial)
    public void setUp() {
        loop = new NopLoop(newKernel());
    }

    /** The backend under test. */
    protected abstract IoUringKernel newKernel();

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.close();
    }

    @Benchmark
    public long nops() {
        return loop.nops(batch);
    }

    @Benchmark
    public int nopsPrepared() {
        return loop.nopsPrepared(batch);
    }
}
