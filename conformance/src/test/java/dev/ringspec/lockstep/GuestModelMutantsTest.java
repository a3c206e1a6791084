package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.UserMemory;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The mutation self-check against a kernel in QEMU, opt-in because it takes minutes:
 * {@code -Dringspec.mutants.guest=debian:6.1} (or 6.12, 7.2, 7.3). The model's profile is the one the guest's
 * capabilities choose; mutants whose rule the guest kernel lacks are reported with the reason and skipped.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class GuestModelMutantsTest {

    @Test
    void everyApplicableModelMutantIsCaughtOnTheGuestKernel() throws Exception {
        String spec = System.getProperty("ringspec.mutants.guest");
        assumeTrue(spec != null && !spec.isBlank(),
                "opt-in: -Dringspec.mutants.guest=debian:6.1 runs the mutation self-check against that guest kernel");
        GuestKernel guest;
        try {
            guest = GuestKernel.boot(spec);
        } catch (GuestUnavailableException e) {
            abort(e.getMessage());
            return;
        }
        try (guest; UserMemory memory = new UserMemory()) {
            KernelProfile profile = KernelProfile.forCapabilities(CapabilityProbe.probe(guest.backend(memory), memory));
            List<MutationSelfCheck.MutantResult> results = ModelMutantsTest.assertEveryApplicableMutantCaught(profile,
                    Backend.kernel("guest " + spec, guest::backend));
            assertThat(results).filteredOn(MutationSelfCheck.MutantResult::detected)
                    .allSatisfy(r -> assertThat(r.shrunkSteps()).isBetween(1, MutationSelfCheck.MAX_SHRUNK_STEPS));
        }
    }
}
