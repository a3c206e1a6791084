package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The emulator against this kernel in lockstep with real I/O: each side in an outside world of its own. */
@Tag("kernel")
class WorldLockstepTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    static Backend emulator() {
        KernelProfile profile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        return EmulatorBackendProvider.backend(profile).withOptions("seed=1");
    }

    @Test
    void generatedRunsWithRealIo() {
        Coverage coverage = new Coverage();
        long steps = 0;
        long start = System.nanoTime();
        int diverged = 0;
        try (LockstepRunner runner = new LockstepRunner(emulator(), KernelTests.kernel("kernel"),
                DivergenceCatalogue.load()).withWorld()) {
            for (long seed = 1; seed <= Long.getLong("world.runs", 10); seed++) {
                long t0 = System.nanoTime();
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, coverage);
                steps += o.steps().size();
                System.out.printf("seed %d: %d steps, %d ms%s%n", seed, o.steps().size(),
                        (System.nanoTime() - t0) / 1_000_000, o.diverged() ? ": " + o.divergence().field()
                                + " at " + o.divergence().step() + "\n" + String.join("\n",
                                        o.steps().stream().map(Step::describe).toList()) + "\n"
                                + o.divergence() : "");
                diverged += o.diverged() ? 1 : 0;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("emulator vs kernel with real I/O: %d steps in %.2f s (%.0f steps/s), %d diverged%n%s",
                steps, seconds, steps / seconds, diverged, coverage.table().lines()
                        .filter(l -> l.contains("refused") || l.contains("choice")).reduce("", (a, b) -> a + b + "\n"));
        assertThat(steps).isPositive();
    }
}
