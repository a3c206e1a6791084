package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Mutant;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The sensitivity proof: every named semantic mutant of the model is caught against this kernel within the
 * default budget, attributed to the mutant (the unmutated model agrees with the kernel on the shrunk steps), and
 * shrunk to at most {@value MutationSelfCheck#MAX_SHRUNK_STEPS} steps. A mutant whose rule belongs to a feature the
 * kernel lacks ({@link Mutant#notApplicableTo}) is reported with the reason and not run; GuestModelMutantsTest
 * runs the same against a guest kernel.
 *
 * <p>{@link #UNREACHABLE} names the mutants whose rule no generated step exercises yet; they must still escape,
 * so the list has to shrink the day the generator reaches them.
 */
@Tag("kernel")
class ModelMutantsTest {
    /** Every mutant's rule is exercised by some generated step (PROBE_LAST_OP_FROM_NR by the PROBE step). */
    private static final Set<Mutant> UNREACHABLE = EnumSet.noneOf(Mutant.class);

    @Test
    void everyModelMutantIsCaughtAttributedAndShrunk() {
        KernelTests.assumeIoUring();
        KernelProfile profile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        assertEveryApplicableMutantCaught(profile, ReferenceBackends.kernel());
    }

    /**
     * Runs every mutant of the model with {@code profile} against {@code kernel} (mutants the profile's kernel
     * cannot show are reported and skipped) and asserts each applicable one is caught, attributed and shrunk.
     */
    static List<MutationSelfCheck.MutantResult> assertEveryApplicableMutantCaught(KernelProfile profile,
            Backend kernel) {
        MutationSelfCheck<Mutant> selfCheck = new MutationSelfCheck<>(
                mutants -> Backend.model("model, profile " + profile.version() + ", mutants " + mutants,
                        memory -> new ModelIoUring(profile, memory, mutants).withProcessDescriptors(ProcessFdTable.INSTANCE)),
                kernel, LockstepCheck.Config.defaults());
        List<MutationSelfCheck.MutantResult> results = selfCheck.run(List.of(Mutant.values()),
                mutant -> mutant.notApplicableTo(profile), new PrintWriter(System.out, true));
        assertThat(results).hasSize(Mutant.values().length).hasSizeGreaterThanOrEqualTo(12);
        assertThat(results).filteredOn(r -> r.notApplicable() == null).as("mutants run on " + kernel.name())
                .hasSizeGreaterThanOrEqualTo(12);
        MutationSelfCheck.assertAllCaught(results.stream()
                .filter(r -> !UNREACHABLE.contains(Mutant.valueOf(r.mutant()))).toList());
        assertThat(results).filteredOn(r -> UNREACHABLE.contains(Mutant.valueOf(r.mutant())))
                .as("a mutant listed as unreachable was caught: take it off the list")
                .noneMatch(MutationSelfCheck.MutantResult::detected);
        return results;
    }
}
