package dev.ringspec.benchmarks;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.IoUringKernel;

/** NOPs through the reference model (profile 6.18), the loop of {@link NopRoundBenchmark}. */
public class ModelNopBenchmark extends NopRoundBenchmark {
    @Override
    protected IoUringKernel newKernel() {
        return new ModelIoUring(KernelProfile.LINUX_6_18);
    }
}
