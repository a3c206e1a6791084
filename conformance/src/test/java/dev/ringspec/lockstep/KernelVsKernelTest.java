package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two instances of the same kernel behind the seam must never diverge: the harness's own soundness. */
@Tag("kernel")
class KernelVsKernelTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void kernelAgainstItselfNeverDiverges() {
        Coverage coverage = new Coverage();
        long steps = 0;
        long start = System.nanoTime();
        try (LockstepRunner runner = new LockstepRunner(KernelTests.kernel("kernel A"), KernelTests.kernel("kernel B"))) {
            for (long seed = 1; seed <= Long.getLong("lockstep.runs", 200); seed++) {
                LockstepRunner.Outcome outcome = runner.generate(new Generator(seed), 200, coverage);
                if (outcome.diverged()) {
                    // The kernel very rarely disagrees with itself (CQE_MIXED with overflow pending, about once
                    // in 60,000 runs); such a difference must not come back when the same steps run again.
                    LockstepRunner.Outcome again = runner.run(outcome.steps(), null);
                    assertThat(again.divergence()).as("seed %d diverged reproducibly: %s", seed,
                            outcome.divergence()).isNull();
                    System.out.printf("seed %d: kernel disagreed with itself once, not on a re-run: %s%n", seed,
                            outcome.divergence());
                }
                steps += outcome.steps().size();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("kernel vs kernel: %d steps in %.2f s (%.0f steps/s)%n%s", steps, seconds, steps / seconds,
                coverage.table());
        // A run ends early at a step the referee refuses, or where the referee model loses track of the kernel.
        assertThat(steps).isGreaterThan(Long.getLong("lockstep.runs", 200) * 120);
        assertThat(coverage.count(Coverage.Label.CQ_WRAPS)).isPositive();
        assertThat(coverage.count(Coverage.Label.OVERFLOW_ENTERED)).isPositive();
        assertThat(coverage.count(Coverage.Label.DROPPED_SQES)).isPositive();
        assertThat(coverage.count(Coverage.Label.SKIP_FILLERS)).isPositive();
    }
}
