package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.IoUringAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ringspec check}: capability report on top, the self-test notice, the lockstep summary, exit 0. */
@Tag("kernel")
class CheckCommandTest {
    @TempDir
    Path replays;

    @Test
    void checkRunsTheLockstepBudgetAndSummarises() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        StringWriter out = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("check", "--seed", "7", "--runs", "20", "--steps", "100", "--replay-dir",
                replays.toString(), "--out", replays.resolve("out").toString());
        String text = out.toString();
        assertThat(exit).as(text).isZero();
        assertThat(text.indexOf("request opcodes")).isLessThan(text.indexOf("seed 7, 20 runs of 100 steps"));
        assertThat(text).contains("model, profile", "runs: 20; steps: ", "steps/s", "cq wraps",
                "divergences in generated runs: 0 new ", "cBPF: ")
                .doesNotContain("NEW DIVERGENCE", "DIFFERENCE");
    }
}
