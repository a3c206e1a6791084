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
                assertThat(runInGuest(CReproducer.generate("seed " + seed, steps, refused), "newer" + seed))
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

    /** Compiles {@code source} statically, runs it in the guest, and returns its output lines. */
    private List<String> runInGuest(String source, String name) throws Exception {
        Path c = dir.resolve(name + ".c");
        Path exe = dir.resolve(name);
        Files.writeString(c, source);
        Process gcc = new ProcessBuilder("gcc", "-O1", "-Wall", "-Werror", "-static", "-o", exe.toString(),
                c.toString(), "-lpthread").redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as(gccOut).isZero();
        String target = "/tmp/" + name;
        assertThat(booted.kernel.session().writeFile(target, 0755, Files.readAllBytes(exe))).isNotNegative();
        AgentSession.RunResult result = booted.kernel.session().run(List.of(target), Duration.ofSeconds(120));
        String out = new String(result.stdout(), StandardCharsets.UTF_8);
        assertThat(result.exitCode()).as(out + new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return out.lines().toList();
    }
}
