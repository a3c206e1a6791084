package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.lockstep.LockstepCheck;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The matrix's bad input and exit statuses, decided before any guest boots (no QEMU needed). */
class MatrixCommandTest {

    private record Result(int status, String out, String err) {
    }

    private static Result ringspec(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Ringspec.commandLine().setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void anUnknownDebianSeriesIsAUsageErrorInOneSentence() {
        Result r = ringspec("check", "--kernel", "debian:5.10");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("ringspec: unknown Debian kernel debian:5.10").doesNotContain("\n")
                .doesNotContain("Exception");
    }

    @Test
    void aBadSpecAnywhereInAMatrixStopsItBeforeAnyKernelIsChecked() {
        Result r = ringspec("check", "--kernel", "native,debian:5.10", "--runs", "1");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).doesNotContain("lockstep:").doesNotContain("===");
    }

    @Test
    void aPathThatDoesNotExistIsAUsageError(@TempDir Path dir) {
        Result r = ringspec("check", "--kernel", dir.resolve("bzImage").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("no such kernel image: " + dir.resolve("bzImage"));
    }

    @Test
    void aFileThatIsNoKernelIsAUsageErrorBeforeQemuStarts(@TempDir Path dir) throws Exception {
        Path notAKernel = Files.writeString(dir.resolve("notes.txt"), "not a kernel\n".repeat(100));
        for (String command : List.of("check", "caps")) {
            Result r = ringspec(command, "--kernel", notAKernel.toString());
            assertThat(r.status()).as(command).isEqualTo(2);
            assertThat(r.err().strip()).as(command).contains(notAKernel + " is not an x86 kernel image")
                    .doesNotContain("\n");
        }
    }

    @Test
    void aKernelNamedTwiceIsAUsageError() {
        assertThat(ringspec("check", "--kernel", "native,native").status()).isEqualTo(2);
    }

    @Test
    void helpListsEveryExitStatus() {
        Result r = ringspec("--help");
        assertThat(r.status()).isZero();
        String help = r.out().replaceAll("\\s+", " ");
        assertThat(help).contains("Exit status").contains(" 3 a guest kernel failed")
                .contains(" 77 cannot run here").contains("QEMU missing")
                .contains("worst kernel, in the order 2, 3, 4, 1, 65, 77, 0");
    }

    @Test
    void theWorstKernelIsAUsageErrorThenAFailedGuestThenADivergenceThenUnavailable() {
        assertThat(ExitStatus.worst(0, 77)).isEqualTo(77);
        assertThat(ExitStatus.worst(77, 0)).isEqualTo(77);
        assertThat(ExitStatus.worst(77, 1)).isEqualTo(1);
        assertThat(ExitStatus.worst(1, 3)).isEqualTo(3);
        assertThat(ExitStatus.worst(3, 2)).isEqualTo(2);
        assertThat(ExitStatus.worst(2, 77)).isEqualTo(2);
    }

    @Test
    void theMatrixExitsAsItsWorstKernelAndNamesWhyOneWasNotChecked() {
        MatrixReport.Row ok = MatrixReport.Row.checked("native", 0, "6.18.44", "6.18", List.of("SQE128"),
                List.of(new LockstepCheck.Summary(0, 10, 2000, 1_000_000_000L, new dev.ringspec.lockstep.Coverage(),
                        List.of(), new dev.ringspec.lockstep.InvariantWatch.Totals())));
        MatrixReport.Row missing = MatrixReport.Row.failed("debian:7.3", 77,
                "qemu-system-x86_64 is not installed: install Debian's qemu-system-x86.");
        MatrixReport report = new MatrixReport(List.of(ok, missing));
        assertThat(report.status()).isEqualTo(77);
        assertThat(ok.stepsPerSecond()).isEqualTo(2000);
        assertThat(ok.divergentRuns()).isZero();
        assertThat(ok.catalogueHits()).isEqualTo(Map.of());
        String table = report.table();
        assertThat(table).containsPattern("native\\s+ok\\s+6\\.18\\.44\\s+6\\.18\\s+-\\s+1\\s+10\\s+2000\\s+2000\\s+0")
                .containsPattern("debian:7\\.3\\s+unavailable")
                .contains("debian:7.3: qemu-system-x86_64 is not installed")
                .contains("exit status 77");
        MatrixReport failedBoot = new MatrixReport(List.of(ok, MatrixReport.Row.failed("x", 3, "panic")));
        assertThat(failedBoot.status()).isEqualTo(3);
    }
}
