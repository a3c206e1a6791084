package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.seam.Backend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator's SQE_MIXED and SQ_REWIND steps against a kernel that has them, Debian's 7.2 in QEMU (or
 * {@code -Dringspec.guest.kernel}; skipped with the reason where QEMU or the kernel cannot be had): the model with
 * the guest's profile finds no difference outside the catalogue, the steps were really taken, and the C reproducer
 * of runs with 128-byte SQEs and rewinds, built statically and run in the guest, prints what the engine saw there.
 */
@Tag("kernel")
@Tag("qemu")
class NewerLayoutGuestTest {
    private static BootedGuest booted;

    @TempDir
    Path dir;

    @BeforeAll
    static void boot() throws Exception {
        booted = BootedGuest.boot();
    }

    @AfterAll
    static void stop() {
        if (booted != null) {
            booted.close();
        }
    }

    private static LockstepRunner runner() {
        assumeTrue(booted.caps.has(Feature.SQE_MIXED) && booted.caps.has(Feature.SQ_REWIND),
                booted.kernel.image().describe() + " has no SQE_MIXED or no SQ_REWIND");
        return new LockstepRunner(ReferenceBackends.reference(booted.caps),
                Backend.kernel("guest kernel", booted.kernel::backend), DivergenceCatalogue.load());
    }

    @Test
    void modelAgainstTheGuestTakesTheNewerStepsWithoutAnUncataloguedDifference() {
        Coverage coverage = new Coverage();
        List<String> uncatalogued = new ArrayList<>();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = runner()) {
            for (long seed = 1; seed <= Long.getLong("lockstep.guestRuns", 30); seed++) {
                LockstepRunner.Outcome o = runner.generate(seed, 200, coverage);
                if (o.diverged() && catalogue.match(o.divergence()).isEmpty()) {
                    uncatalogued.add("seed " + seed + ": " + o.divergence());
                }
            }
        }
        assertThat(uncatalogued).isEmpty();
        assertThat(coverage.count(Coverage.Label.SQES_128_TWO_SLOTS)).isPositive();
        assertThat(coverage.count(Coverage.Label.SQES_128_REFUSED)).isPositive();
        assertThat(coverage.count(Coverage.Label.REWINDS)).isPositive();
    }

    @Test
    void theCReproducerOfMixedAndRewoundRunsPrintsWhatTheGuestShowedTheEngine() throws Exception {
        assumeTrue(gccLinksStatically(), "gcc cannot link a static program here");
        int compared = 0;
        try (LockstepRunner runner = runner()) {
            for (long seed = 1; seed <= 60 && compared < 4; seed++) {
                LockstepRunner.Outcome o = runner.generate(seed, 200, null);
                List<Step> steps = o.steps();
                boolean newer = steps.stream().anyMatch(s -> s.effective() instanceof Step.WriteSqe128
                        || s.effective() instanceof Step.Setup setup
                                && (setup.flags() & IORING_SETUP_SQ_REWIND) != 0);
                if (!newer || o.diverged()) {
                    continue;
                }
                List<String> expected = runner.trace(steps, LockstepRunner.Role.SUBJECT);
                boolean[] refused = new boolean[steps.size()];
                for (int i = 0; i < refused.length && i < expected.size(); i++) {
                    refused[i] = expected.get(i).endsWith(": refused");
                }
                String source = CReproducer.generate("seed " + seed, steps, refused);
                assertThat(booted.runStatically(source, "newer" + seed, dir))
                        .as("seed %d", seed).containsExactlyElementsOf(expected);
                compared++;
            }
        }
        assertThat(compared).isPositive();
    }

    private boolean gccLinksStatically() throws Exception {
        try {
            Path c = dir.resolve("probe.c");
            Files.writeString(c, "int main(void) { return 0; }\n");
            Process p = new ProcessBuilder("gcc", "-static", "-o", dir.resolve("probe").toString(), c.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
