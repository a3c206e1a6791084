package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The self-check plumbing with fault kinds standing in for the model's mutants. */
@Tag("kernel")
class MutationSelfCheckTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void everyFaultIsCaughtAndShrunkToAFewSteps() {
        MutationSelfCheck<FaultInjectingKernel.Fault> selfCheck = new MutationSelfCheck<>(
                faults -> faults.isEmpty() ? KernelTests.kernel("kernel") : KernelTests.faulty(faults.iterator().next()),
                KernelTests.kernel("kernel"),
                LockstepCheck.Config.defaults());
        List<MutationSelfCheck.MutantResult> results = selfCheck.run(
                FaultInjectingKernel.Fault.deterministic(), new PrintWriter(System.out));
        assertThat(results).hasSize(FaultInjectingKernel.Fault.deterministic().size()).hasSizeGreaterThanOrEqualTo(5);
        MutationSelfCheck.assertAllCaught(results);
    }

    @Test
    void aMutantThatChangesNothingEscapesAndFailsTheCheck() {
        MutationSelfCheck<String> selfCheck = new MutationSelfCheck<>(
                names -> KernelTests.kernel("kernel, mutant " + names), KernelTests.kernel("kernel"),
                LockstepCheck.Config.defaults().withRuns(5));
        List<MutationSelfCheck.MutantResult> results = selfCheck.run(List.of("NO_CHANGE"),
                new PrintWriter(PrintWriter.nullWriter()));
        assertThat(results.getFirst().detected()).isFalse();
        assertThatThrownBy(() -> MutationSelfCheck.assertAllCaught(results)).hasMessageContaining("NO_CHANGE escaped");
    }
}
