package dev.ringspec.benchmarks;

import dev.ringspec.lockstep.Backend;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.nativerunner.NativeIoUring;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Checked lockstep steps, kernel against kernel: one invocation is one generated run of {@value #STEPS} steps
 * (ring setup and close included) on both sides, compared after every step. Time is per step; the engine should
 * stay well under 10 µs per step (over 100,000 checked steps per second).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LockstepBenchmark {
    static final int STEPS = 200;

    private LockstepRunner runner;
    private long seed;

    @Setup(Level.Trial)
    public void setUp() {
        runner = new LockstepRunner(new Backend("kernel A", memory -> new NativeIoUring()),
                new Backend("kernel B", memory -> new NativeIoUring()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public boolean generatedRun() {
        LockstepRunner.Outcome outcome = runner.generate(seed++, STEPS, null);
        if (outcome.diverged()) {
            throw new AssertionError("kernel against kernel diverged at seed " + (seed - 1) + ": "
                    + outcome.divergence());
        }
        return outcome.diverged();
    }
}
