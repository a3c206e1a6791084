package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.SocketFilterKernel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ringspec bpf-check}: the summary with its rate, counts and coverage, exit 0; a bad option, exit 2. */
@Tag("kernel")
class BpfCheckCommandTest {
    @TempDir
    Path replays;

    private static String[] run(int[] exit, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        exit[0] = cli.execute(args);
        return new String[] {out.toString(), err.toString()};
    }

    @Test
    void bpfCheckSummarisesTheRun() {
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        assumeTrue(availability.available(), availability.reason());
        int[] exit = new int[1];
        String[] text = run(exit, "bpf-check", "--seed", "3", "--programs", "3000", "--replay-dir", replays.toString());
        assertThat(exit[0]).as(text[0] + text[1]).isZero();
        assertThat(text[0]).contains("seed 3, 3,000 programs", "3,000 generated programs", "programs/s",
                "accepted ", "rejected ", "differences 0", "instruction classes", "div/mod by X", "rejected by")
                .doesNotContain("DIFFERENCE");
    }

    @Test
    void aCaseIsReplayedByItsSeed() {
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        assumeTrue(availability.available(), availability.reason());
        int[] exit = new int[1];
        String[] text = run(exit, "bpf-check", "--replay", "12345");
        assertThat(exit[0]).as(text[0] + text[1]).isZero();
        assertThat(text[0]).contains("case seed 12345:", "model: ", "verdict: ");
    }

    @Test
    void aNegativeBudgetIsAUsageError() {
        int[] exit = new int[1];
        String[] text = run(exit, "bpf-check", "--programs", "-1");
        assertThat(exit[0]).isEqualTo(2);
        assertThat(text[1]).contains("--programs");
    }
}
