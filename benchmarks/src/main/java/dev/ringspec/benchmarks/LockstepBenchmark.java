package dev.ringspec.benchmarks;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Checked lockstep steps: the model (or a second kernel) against the kernel. One invocation is one generated run of
 * up to {@value #STEPS} steps (ring setup and close included), compared after every step; the {@code steps}
 * counter gives checked steps per second (target: over 100,000 with the model as reference).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LockstepBenchmark {
    static final int STEPS = 200;

    /** Which reference the kernel is checked against: the model (the product), or a second kernel. */
    @Param({"model", "kernel"})
    public String reference;

    private LockstepRunner runner;
    private long seed;

    /** Steps actually checked: a run that reaches a catalogued kernel difference ends there. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Checked {
        public long steps;
        public long divergedRuns;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Backend kernel = ReferenceBackends.kernel();
        Backend ref = "model".equals(reference)
                ? ReferenceBackends.reference(CapabilityProbe.probe(new NativeIoUring()))
                : Backend.kernel("kernel B", memory -> new NativeIoUring());
        runner = new LockstepRunner(ref, kernel);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }

    @Benchmark
    public boolean generatedRun(Checked checked) {
        LockstepRunner.Outcome outcome = runner.generate(seed++, STEPS, null);
        checked.steps += outcome.steps().size();
        // A benchmark measures; it does not judge. Divergences (catalogued kernel bugs, or the kernel's rare
        // disagreement with itself) end a run early and are counted; `ringspec check` is where they are judged.
        if (outcome.diverged()) {
            checked.divergedRuns++;
        }
        return outcome.diverged();
    }
}
