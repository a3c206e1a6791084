package dev.ringspec.benchmarks;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;

/**
 * NOPs through the emulator (profile 6.18), the loop of {@link NopRoundBenchmark}: run it in the same JMH run as
 * {@link NopThroughputBenchmark} (the kernel through the FFM runner) and compare the scores at the same batch.
 */
public class EmulatorNopBenchmark extends NopRoundBenchmark {
    @Override
    protected IoUringKernel newKernel() {
        return EmulatedIoUring.open(KernelProfile.LINUX_6_18, new UserMemory());
    }
}
