package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.UserMemory;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lockstep on a kernel in QEMU (Debian's 7.2 unless {@code -Dringspec.guest.kernel} says otherwise; skipped where
 * QEMU or the kernel cannot be had): the guest kernel against itself through two backends must never diverge,
 * which checks the guest backend under a real guest; and the model against it, measuring checked steps per second
 * and listing the differences found (which are the profiles' and the catalogue's business, not this test's).
 */
@Tag("kernel")
@Tag("qemu")
class GuestKernelLockstepTest {
    private static GuestKernel guest;
    private static UserMemory memory;

    @BeforeAll
    static void boot() throws Exception {
        guest = KernelTests.bootGuest();
        memory = new UserMemory();
    }

    @AfterAll
    static void stop() {
        if (guest != null) {
            guest.close();
            memory.close();
        }
    }

    @Test
    void guestKernelAgainstItselfNeverDiverges() {
        Backend a = Backend.kernel("guest A", guest::backend);
        Backend b = Backend.kernel("guest B", guest::backend);
        long runs = Long.getLong("lockstep.guestRuns", 20);
        long steps = 0;
        // Refereed by the model with the guest kernel's own profile, not this machine's.
        Backend referee = ReferenceBackends.reference(CapabilityProbe.probe(guest.backend(memory), memory));
        try (LockstepRunner runner = new LockstepRunner(a, b, DivergenceCatalogue.load(), referee)) {
            for (long seed = 1; seed <= runs; seed++) {
                LockstepRunner.Outcome outcome = runner.generate(new Generator(seed), 200, new Coverage());
                if (outcome.diverged()) {
                    LockstepRunner.Outcome again = runner.run(outcome.steps(), null);
                    assertThat(again.divergence()).as("seed %d diverged reproducibly: %s", seed,
                            outcome.divergence()).isNull();
                }
                steps += outcome.steps().size();
            }
        }
        assertThat(steps).isGreaterThan(runs * 120);
    }

    @Test
    void modelAgainstGuestKernelStepsPerSecond() {
        KernelCapabilities caps = CapabilityProbe.probe(guest.backend(memory), memory);
        Backend subject = Backend.kernel("guest kernel", guest::backend);
        long runs = Long.getLong("lockstep.guestRuns", 20);
        long steps = 0;
        Map<String, Integer> divergences = new TreeMap<>();
        long start = System.nanoTime();
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(caps), subject)) {
            for (long seed = 1; seed <= runs; seed++) {
                LockstepRunner.Outcome outcome = runner.generate(new Generator(seed), 200, new Coverage());
                steps += outcome.steps().size();
                if (outcome.diverged()) {
                    divergences.merge(outcome.divergence().signature(), 1, Integer::sum);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("model vs %s (%s): %d runs, %d checked steps in %.1f s: %.0f steps/s; divergences by "
                + "signature: %s%n", guest.image().describe(), guest.accelerator(), runs, steps, seconds,
                steps / seconds, divergences);
        assertThat(steps).isPositive();
    }
}
