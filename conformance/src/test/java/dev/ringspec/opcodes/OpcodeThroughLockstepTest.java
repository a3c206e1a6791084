package dev.ringspec.opcodes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.lockstep.MutationSelfCheck;
import dev.ringspec.lockstep.Step;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An opcode from another module ({@link EchoOpcode}, one file) through the lockstep engine, model against model
 * (no kernel has it): the generator writes it once the run is told of it, both sides agree on it, and a bug planted
 * in it on one side is caught, shrunk to a handful of steps and written as a replay with its C and JUnit forms.
 */
class OpcodeThroughLockstepTest {
    private static final LockstepCheck.Config CONFIG = LockstepCheck.Config.defaults().withRuns(100);

    /** The model with the 6.18 profile and {@code echo} in its opcode table. */
    private static Backend modelWith(EchoOpcode echo, String name) {
        KernelProfile profile = KernelProfile.LINUX_6_18.toBuilder().opcode(echo.def()).build();
        return Backend.model(name, memory -> new ModelIoUring(profile, memory, Set.of())
                .withProcessDescriptors(ProcessFdTable.INSTANCE));
    }

    private static LockstepCheck.Summary check(Backend subject, Path replays) {
        return new LockstepCheck(modelWith(new EchoOpcode(), "model with echo"), subject, DivergenceCatalogue.empty(),
                CONFIG.withReplayDirectory(replays).withSaveReplays(replays != null))
                .withOpcodes(List.of(new EchoOpcode()))
                .run(new PrintWriter(PrintWriter.nullWriter()));
    }

    private static boolean isEcho(Step step, int mode) {
        return step.effective() instanceof Step.WriteSqe w && w.opcode() == EchoOpcode.OPCODE && w.opFlags() == mode;
    }

    @Test
    void generatedRunsIssueTheOpcodeAndTheModelAgreesWithItself() {
        LockstepCheck.Summary s = check(modelWith(new EchoOpcode(), "model with echo, again"), null);
        assertThat(s.findings()).isEmpty();
        assertThat(s.coverage().count(EchoOpcode.ECHO_ISSUED)).isGreaterThan(100);
        assertThat(s.invariants().seen()).isEmpty();
    }

    @Test
    void withoutBeingToldOfTheOpcodeTheGeneratorNeverWritesIt() {
        try (LockstepRunner runner = new LockstepRunner(modelWith(new EchoOpcode(), "a"),
                modelWith(EchoOpcode.withPlantedBug(), "b"))) {
            for (long seed = 1; seed <= 20; seed++) {
                assertThat(runner.generate(seed, 200, null).steps()).noneMatch(step -> isEcho(step, EchoOpcode.NOW)
                        || isEcho(step, EchoOpcode.TASK_WORK));
            }
        }
    }

    @Test
    void aBugPlantedInTheOpcodeIsCaughtShrunkAndWrittenAsReproducers(@TempDir Path replays) throws IOException {
        LockstepCheck.Summary s = check(modelWith(EchoOpcode.withPlantedBug(), "model with planted echo bug"),
                replays);
        assertThat(s.newDivergences()).hasSize(1);
        LockstepCheck.Finding f = s.newDivergences().getFirst();
        assertThat(f.steps()).hasSizeLessThanOrEqualTo(MutationSelfCheck.MAX_SHRUNK_STEPS)
                .anyMatch(step -> isEcho(step, EchoOpcode.TASK_WORK));
        // the bug, not the engine, made the difference: the same steps agree when both sides are correct
        try (LockstepRunner runner = new LockstepRunner(modelWith(new EchoOpcode(), "a"),
                modelWith(new EchoOpcode(), "b"))) {
            assertThat(runner.run(f.steps(), null).diverged()).isFalse();
        }
        // the replay and its reproducers name the opcode's step as they name a NOP's
        assertThat(f.replayFile()).exists();
        String writeEcho = "(?s).*step_write_sqe\\(\\d+, " + EchoOpcode.OPCODE + ", .*";
        assertThat(f.cReproducer()).matches(writeEcho);
        String base = f.replayFile().toString().replaceAll("\\.json$", "");
        assertThat(Files.readString(Path.of(base + ".c.txt"))).matches(writeEcho);
        assertThat(Files.readString(Path.of(base + ".junit.txt")))
                .matches("(?s).*new Step\\.WriteSqe\\(\\d+, " + EchoOpcode.OPCODE + ", .*");
        assertThat(Files.readString(f.replayFile())).contains("\"opcode\" : " + EchoOpcode.OPCODE);
        assertCompiles(f.cReproducer(), replays);
    }

    /** The C reproducer compiles with every warning an error (it is not run: no kernel has the opcode). */
    private static void assertCompiles(String source, Path dir) throws IOException {
        Path c = dir.resolve("echo-repro.c");
        Files.writeString(c, source);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-fsyntax-only", "-Wall", "-Werror", c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeThat(e).as("gcc is not installed: the C reproducer is not compiled").isNull();
            return;
        }
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertThat(gcc.exitValue()).as(out).isZero();
        assertThat(Stream.of(out)).allMatch(String::isEmpty);
    }
}
