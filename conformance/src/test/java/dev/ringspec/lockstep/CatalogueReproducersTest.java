package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every divergence catalogue entry ships its C reproducer, {@code src/main/resources/reproducers/<id>.c}, generated
 * from the entry's replay and including the reproducers' runtime ({@code ringspec-reproducer.h}, with
 * {@code ringspec-uapi.h}, written from the uapi constants): the checked-in file is what {@link CReproducer} makes of the replay now, it compiles with
 * gcc, and on this kernel (which has every catalogued behaviour) it prints what the engine saw the kernel do, which
 * is not what the reference does, and the engine matches that difference to this entry (for an entry about an
 * invariant the reference breaks the same way, the engine sees the kernel break that invariant). A replay with real
 * I/O (under {@code replays/world/}) runs as the world lockstep does, the emulator as the reference, and its program
 * includes the outside world's runtime ({@code ringspec-world.h}). Run with
 * {@code -Dringspec.writeReproducers=true} to write the files instead of comparing them.
 */
@Tag("kernel")
class CatalogueReproducersTest {
    private static final Path REPRODUCERS = Path.of("src/main/resources/reproducers");
    private static final Path REPLAYS = Path.of("src/main/resources/replays");

    @TempDir
    Path dir;

    @BeforeEach
    void needsIoUringAndGcc() throws InterruptedException {
        KernelTests.assumeIoUring();
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
    }

    static Stream<String> entries() {
        return DivergenceCatalogue.load().entries().stream().map(DivergenceCatalogue.Entry::id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void reproducerIsGeneratedFromTheReplayAndShowsTheCataloguedBehaviour(String id) throws Exception {
        DivergenceCatalogue.Entry entry = DivergenceCatalogue.load().entries().stream()
                .filter(e -> e.id().equals(id)).findFirst().orElseThrow();
        KernelProfile here = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        assumeTrue(!LockstepRunner.DRAIN_STALLED_BY_SEQUENCE.equals(entry.matcher()) || here.drainBySequence(),
                () -> id + " is a 6.1 and 6.12 behaviour (drain by sequence); this kernel's profile is "
                        + here.version() + ": GuestCatalogueReproducersTest runs it in a guest");
        ReplayCase replay = ReplayStore.read(REPLAYS.resolve(entry.replay()));
        List<Step> steps = replay.steps();
        // a replay with real I/O runs as the world lockstep does: the emulator, each side in a world of its own
        boolean world = steps.stream().anyMatch(s -> s.effective() instanceof Step.Outside
                || s.effective() instanceof Step.WriteIo);
        try (LockstepRunner runner = world ? new LockstepRunner(WorldLockstepTest.emulator(),
                ReferenceBackends.kernel(), DivergenceCatalogue.load()).withWorld()
                : new LockstepRunner(ReferenceBackends.reference(null), ReferenceBackends.kernel(),
                        DivergenceCatalogue.load())) {
            LockstepRunner.Outcome outcome = runner.run(steps, null);
            InvariantWatch.RunResult invariants = runner.invariants().takeRun();
            boolean invariantOnly = entry.signature().equals("-");
            if (invariantOnly) {
                // The reference copies this kernel behaviour, so there is no difference to see: the entry is about
                // a stated invariant the kernel breaks.
                assertThat(invariants.violations()).as("the replay %s breaks %s on the kernel", entry.replay(),
                        entry.invariants()).anySatisfy(v -> {
                            assertThat(v.side()).isEqualTo(LockstepRunner.Role.SUBJECT);
                            assertThat(entry.invariants()).contains(v.violation().invariant().name());
                        });
            } else {
                Divergence seen = outcome.diverged() ? outcome.divergence()
                        : outcome.carriedOver().isEmpty() ? null : outcome.carriedOver().getFirst().divergence();
                assertThat(seen).as("the replay %s shows a difference on this kernel", entry.replay()).isNotNull();
                assertThat(DivergenceCatalogue.load().match(seen)).as("the difference is catalogued as %s",
                        entry.id()).hasValueSatisfying(e -> assertThat(e.id()).isEqualTo(entry.id()));
            }

            List<String> kernelTrace = runner.trace(steps, LockstepRunner.Role.SUBJECT);
            List<String> referenceTrace = runner.trace(steps, LockstepRunner.Role.REFERENCE);
            boolean[] refused = new boolean[steps.size()];
            for (int i = 0; i < refused.length && i < kernelTrace.size(); i++) {
                refused[i] = TraceFormat.isRefused(kernelTrace.get(i));
            }
            String source = CReproducer.generateIncluding("catalogue entry " + entry.id() + ", replay "
                    + entry.replay(), steps, refused);
            Path file = REPRODUCERS.resolve(entry.id() + ".c");
            if (Boolean.getBoolean("ringspec.writeReproducers")) {
                Files.createDirectories(REPRODUCERS);
                Files.writeString(file, source);
            }
            assertThat(file).as("the checked-in reproducer of %s (write it with -Dringspec.writeReproducers=true)",
                    entry.id()).exists();
            assertThat(Files.readString(file)).as("%s is what the generator makes of the replay now", file)
                    .isEqualTo(source);

            List<String> printed = CPrograms.compileAndRun(file, dir, REPRODUCERS);
            assertThat(printed).as("the C program does on the kernel what the engine saw the kernel do")
                    .containsExactlyElementsOf(kernelTrace);
            if (!invariantOnly) {
                assertThat(printed).as("and that is not what the reference does").isNotEqualTo(referenceTrace);
            }
        }
    }

    @Test
    void uapiHeaderIsWrittenFromTheUapiConstants() throws IOException {
        Path file = REPRODUCERS.resolve(CReproducer.UAPI);
        if (Boolean.getBoolean("ringspec.writeReproducers")) {
            Files.writeString(file, CReproducer.uapiHeader());
        }
        assertThat(Files.readString(file)).isEqualTo(CReproducer.uapiHeader());
    }
}
