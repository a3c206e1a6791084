package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ringspec host}: usage errors exit 2; a hosted program's exit status is its own, its report is written. */
class HostCommandTest {
    @TempDir
    Path tmp;

    private record Outcome(int status, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return new Outcome(cli.execute(args), err.toString());
    }

    @Test
    void noProgramOrAnUnknownProfileIsAUsageError() {
        assertThat(run("host").status()).isEqualTo(ExitStatus.USAGE);
        Outcome unknown = run("host", "--profile", "5.4", "--", "/bin/true");
        assertThat(unknown.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(unknown.err()).contains("no profile 5.4", "7.2");
        assertThat(run("host", "--faults", "no-such-fault=2", "--", "/bin/true").status())
                .isEqualTo(ExitStatus.USAGE);
    }

    @Test
    @Tag("kernel")
    void theProgramsExitStatusAndOptionsAreItsOwn() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        Outcome o = run("host", "--profile", "7.2", "--pedantic", "--out", tmp.toString(), "/bin/sh", "-c",
                "exit 7", "--not-an-option-of-ours");
        assertThat(o.status()).as(o.err()).isEqualTo(7);
        assertThat(Files.readString(tmp.resolve("host-report.md"))).contains("profile 7.2, pedantic",
                "exit status: 7", "intercepted calls: 0");
    }
}
