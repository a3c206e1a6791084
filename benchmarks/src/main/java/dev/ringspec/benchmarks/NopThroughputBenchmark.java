package dev.ringspec.benchmarks;

import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;

/**
 * NOPs through the FFM runner, the loop of {@link NopRoundBenchmark}; {@code src/main/c/nop_bench.c} runs the same
 * loop with raw syscalls and {@code benchmarks/run.sh} runs both and prints the ratio.
 */
public class NopThroughputBenchmark extends NopRoundBenchmark {
    @Override
    protected IoUringKernel newKernel() {
        return new NativeIoUring();
    }
}
