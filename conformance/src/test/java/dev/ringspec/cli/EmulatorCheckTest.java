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

/**
 * {@code ringspec check --backend emulator}: against the model, the replays that ship with ringspec (kernel bugs) show nothing on
 * the emulator and generated runs find nothing; against this kernel, the same replays show the catalogued kernel
 * bugs, on the kernel's side, and nothing new.
 */
class EmulatorCheckTest {

    @TempDir
    Path replays;

    @TempDir
    Path out;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Ringspec());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new String[] {Integer.toString(exit), out.toString(), err.toString()};
    }

    @Test
    void theEmulatorAgainstTheModelFindsNothingAndKernelBugsDoNotApply() {
        String[] r = run("check", "--backend", "emulator-6.18", "--seed", "3", "--runs", "30", "--steps", "150",
                "--out", out.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("model, profile 6.18 against emulator-6.18", "runs: 30; steps: ",
                "divergences in generated runs: 0 new (0 of them unstable: not reproduced on every re-run), "
                        + "0 catalogued", "no divergence now").doesNotContain("NEW DIVERGENCE")
                .doesNotContain("known kernel difference");
        assertThat(r[1]).as("no kernel ran, so nothing is said of kernel splats").doesNotContain("kernel splats");
        for (String file : new String[] {"report.md", "report.json", "junit.xml", "report.html"}) {
            assertThat(r[1]).as("--out is where the reports go").contains(out.resolve(file).toString());
            assertThat(out.resolve(file)).isNotEmptyFile();
        }
    }

    @Test
    @Tag("kernel")
    void theKernelJudgesTheEmulatorAndItsOwnBugsStayCatalogued() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        String[] r = run("check", "--backend", "emulator", "--referee", "kernel", "--seed", "3", "--runs", "30",
                "--steps", "150", "--out", out.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("against this kernel", "divergences in generated runs: 0 new", "known kernel "
                + "difference").doesNotContain("NEW DIVERGENCE").containsPattern("kernel splats: (none|not watched)");
    }

    @Test
    void badCombinationsAreUsageErrors() {
        assertThat(run("check", "--referee", "kernel")[0]).isEqualTo("2");
        assertThat(run("check", "--backend", "emulator-9.9", "--replay-dir", replays.toString())[2])
                .contains("no emulator profile emulator-9.9");
        assertThat(run("check", "--backend", "emulator-6.18", "--referee", "nobody")[0]).isEqualTo("2");
        assertThat(run("check", "--backend", "emulator-6.18", "--real-io")[0]).as("real I/O needs the kernel")
                .isEqualTo("2");
        assertThat(run("check", "--backend", "emulator-6.18", "--kernel", "debian:7.2")[0]).isEqualTo("2");
    }
}
