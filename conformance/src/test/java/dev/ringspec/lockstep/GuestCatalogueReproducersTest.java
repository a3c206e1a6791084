package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.UserMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue entries about kernels older than this machine's, in a guest of such a kernel (Debian's 6.1 unless
 * {@code -Dringspec.guest.kernel} says otherwise; skipped where QEMU or the kernel cannot be had): the entry's replay,
 * model (with the guest's profile) against the guest kernel, shows the catalogued difference there, and its checked-in
 * C reproducer, built statically and run in the guest as {@code ringspec run} does, prints what the engine saw the
 * guest kernel do, which is not what the model does. Only entries for a rule the guest's profile has run (today:
 * drain by sequence, 6.1 and 6.12).
 */
@Tag("kernel")
@Tag("qemu")
class GuestCatalogueReproducersTest {
    private static final Path REPRODUCERS = Path.of("src/main/resources/reproducers");
    private static final Path REPLAYS = Path.of("src/main/resources/replays");
    private static GuestKernel guest;
    private static UserMemory memory;
    private static KernelCapabilities caps;

    @TempDir
    Path dir;

    @BeforeAll
    static void boot() throws Exception {
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
        try {
            guest = GuestKernel.boot(System.getProperty("ringspec.guest.kernel", "debian:6.1"));
        } catch (GuestUnavailableException e) {
            abort(e.getMessage());
        }
        memory = new UserMemory();
        caps = CapabilityProbe.probe(guest.backend(memory), memory);
    }

    @AfterAll
    static void stop() {
        if (guest != null) {
            guest.close();
            memory.close();
        }
    }

    static Stream<String> entries() {
        return DivergenceCatalogue.load().entries().stream()
                .filter(e -> LockstepRunner.DRAIN_STALLED_BY_SEQUENCE.equals(e.matcher()))
                .map(DivergenceCatalogue.Entry::id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void reproducerShowsTheCataloguedBehaviourInTheGuest(String id) throws Exception {
        KernelProfile profile = KernelProfile.forCapabilities(caps);
        assumeTrue(profile.drainBySequence(), () -> "the guest's profile " + profile.version()
                + " drains by freed requests: " + id + " is a 6.1 and 6.12 behaviour");
        DivergenceCatalogue.Entry entry = DivergenceCatalogue.load().entries().stream()
                .filter(e -> e.id().equals(id)).findFirst().orElseThrow();
        List<Step> steps = ReplayStore.read(REPLAYS.resolve(entry.replay())).steps();
        Backend subject = Backend.kernel("guest kernel", guest::backend);
        List<String> kernelTrace;
        List<String> referenceTrace;
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(caps), subject,
                DivergenceCatalogue.load())) {
            LockstepRunner.Outcome outcome = runner.run(steps, null);
            // 6.12 hands the request a drain releases to io-wq, whose completion time the engine does not compare:
            // it refuses the step (as it refuses the drain on 6.18 and later). DrainBySequenceTest shows the stall
            // on 6.12.
            assumeTrue(outcome.refusedSteps() == 0 || !profile.taskSubmitHonoursForceAsync(), () -> "on "
                    + profile.version() + " the engine refuses the replay's enter: the drain the model releases goes"
                    + " to io-wq");
            // The model with the guest's profile follows the intent where the kernel deviates: the difference shows,
            // and it is this entry's.
            assertThat(outcome.divergence()).as("the replay %s shows a difference in the guest (profile %s)",
                    entry.replay(), profile.version()).isNotNull();
            assertThat(DivergenceCatalogue.load().match(outcome.divergence())).as("the difference is catalogued as %s",
                    id).hasValueSatisfying(e -> assertThat(e.id()).isEqualTo(id));
            kernelTrace = runner.trace(steps, LockstepRunner.Role.SUBJECT);
            referenceTrace = runner.trace(steps, LockstepRunner.Role.REFERENCE);
        }

        Path exe = dir.resolve(id);
        List<String> gcc = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-Werror", "-static", "-I",
                REPRODUCERS.toString(), "-o", exe.toString(), REPRODUCERS.resolve(id + ".c").toString(),
                "-lpthread"));
        Process p = new ProcessBuilder(gcc).redirectErrorStream(true).start();
        String gccOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assumeTrue(p.exitValue() == 0, () -> "gcc cannot link a static program here: " + gccOut);
        String target = "/tmp/" + id;
        assertThat(guest.session().writeFile(target, 0755, Files.readAllBytes(exe))).isZero();
        AgentSession.RunResult result = guest.session().run(List.of(target), Duration.ofSeconds(60));
        String out = new String(result.stdout(), StandardCharsets.UTF_8);
        assertThat(result.exitCode()).as(out + new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        assertThat(out.lines().toList()).as("the C program does in the guest what the engine saw the guest kernel do")
                .containsExactlyElementsOf(kernelTrace);
        assertThat(out.lines().toList()).as("and that is not what the model does").isNotEqualTo(referenceTrace);
    }
}
