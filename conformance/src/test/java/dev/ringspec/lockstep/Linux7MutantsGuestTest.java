package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Mutant;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The mutants of the 7.x features (per-task restrictions and fork, the split of SQE and register restrictions,
 * SQE_MIXED with NOP128, SQ_REWIND) caught in lockstep against a 7.x kernel in QEMU (Debian's 7.2 unless
 * {@code -Dringspec.guest.kernel} says otherwise; skipped where QEMU or the kernel cannot be had): each within the
 * default budget, attributed to the mutant and shrunk to at most {@value MutationSelfCheck#MAX_SHRUNK_STEPS} steps.
 * This machine's kernel has none of these features, so ModelMutantsTest reports them as not applicable.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class Linux7MutantsGuestTest {
    /** The mutants of issue 9's per-task restrictions, restriction split, SQE_MIXED and SQ_REWIND. */
    static final Set<Mutant> LINUX_7_MUTANTS = EnumSet.of(Mutant.TASK_RESTRICTIONS_REPLACED,
            Mutant.TASK_RESTRICTIONS_UNPRIVILEGED, Mutant.RING_IGNORES_TASK_RESTRICTIONS,
            Mutant.FORK_DROPS_TASK_RESTRICTIONS, Mutant.OP_RESTRICTIONS_BIND_REGISTER,
            Mutant.REGISTER_RESTRICTIONS_BIND_SQES, Mutant.SQE128_TAKES_ONE_POSITION, Mutant.NOP128_IN_LAST_SLOT,
            Mutant.SQ_REWIND_KEEPS_HEAD, Mutant.SQ_REWIND_PUBLISHES_HEAD);

    @Test
    void everyLinux7MutantIsCaughtAttributedAndShrunkOnTheGuest() throws Exception {
        try (BootedGuest booted = BootedGuest.boot()) {
            assumeTrue(booted.caps.has(Feature.TASK_RESTRICTIONS) && booted.caps.has(Feature.SQE_MIXED)
                    && booted.caps.has(Feature.SQ_REWIND), "the guest kernel lacks the 7.x features");
            KernelProfile profile = KernelProfile.forCapabilities(booted.caps);
            MutationSelfCheck<Mutant> selfCheck = new MutationSelfCheck<>(
                    mutants -> Backend.model("model, profile " + profile.version() + ", mutants " + mutants,
                            memory -> new ModelIoUring(profile, memory, mutants)
                                    .withProcessDescriptors(ProcessFdTable.INSTANCE)),
                    Backend.kernel("guest kernel", booted.kernel::backend), LockstepCheck.Config.defaults());
            List<MutationSelfCheck.MutantResult> results = selfCheck.run(List.copyOf(LINUX_7_MUTANTS),
                    mutant -> mutant.notApplicableTo(profile), new PrintWriter(System.out, true));
            for (MutationSelfCheck.MutantResult r : results) {
                System.out.println(r.mutant() + ": " + r.steps().stream().map(Step::describe).toList());
            }
            assertThat(results).as("every 7.x mutant applies to " + profile.version())
                    .allMatch(r -> r.notApplicable() == null);
            MutationSelfCheck.assertAllCaught(results);
            assertThat(results).allSatisfy(r -> assertThat(r.shrunkSteps()).isBetween(1,
                    MutationSelfCheck.MAX_SHRUNK_STEPS));
        }
    }
}
