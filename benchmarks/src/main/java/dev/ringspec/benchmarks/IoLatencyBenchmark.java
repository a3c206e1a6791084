package dev.ringspec.benchmarks;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
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
 * Latency of real I/O through the kernel (FFM runner) and through the emulator (profile 6.18), in one JMH run:
 * {@link IoLoop#readBlock} (a cached 4 KiB file block) and {@link IoLoop#pingPong} (a 64-byte round trip through
 * two pipes and a partner thread). The targets are ratios of these scores (emulator over kernel).
 *
 * <p>The emulator's path (model, opcode, real call) is long, and on a shared 2-core machine C2 takes about ten
 * seconds to compile it: with fewer warm-up iterations its first measured ones still run partly interpreted (an
 * error larger than the score says so). {@link IoLoopCpuTime} times the same rounds as on-CPU time per thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 12, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IoLatencyBenchmark {
    @Param({"kernel", "emulator"})
    public String backend;

    private IoLoop loop;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        IoUringKernel kernel = backend.equals("kernel") ? new NativeIoUring()
                : EmulatedIoUring.open(KernelProfile.LINUX_6_18, new UserMemory());
        loop = new IoLoop(kernel);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        loop.close();
    }

    @Benchmark
    public int cachedRead4k() {
        return loop.readBlock();
    }

    @Benchmark
    public int pipePingPong() {
        return loop.pingPong();
    }
}
