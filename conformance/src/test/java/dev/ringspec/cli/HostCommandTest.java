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
    void serveTakesNoProgramAndLeavesAPathThatIsNotASocketAlone() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        assertThat(run("host", "--serve", tmp.resolve("s").toString(), "--", "/bin/true").status())
                .isEqualTo(ExitStatus.USAGE);
        Path file = Files.writeString(tmp.resolve("file"), "mine");
        Outcome o = run("host", "--serve", file.toString());
        assertThat(o.status()).isEqualTo(ExitStatus.UNAVAILABLE);
        assertThat(o.err()).contains("is not a socket");
        assertThat(Files.readString(file)).isEqualTo("mine");
    }

    /**
     * A client's {@code host} options are parsed by the server as {@code ringspec host} parses them, its relative
     * {@code --out} from its own cwd; its program's exit status is the client's.
     */
    @Test
    @Tag("kernel")
    @org.junit.jupiter.api.Timeout(180)
    void aServedClientsOptionsAreItsOwn() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        Path client = Path.of("../host/target/classes/dev/ringspec/host/ringspec-host-client").toAbsolutePath();
        assumeTrue(Files.isExecutable(client), "the host client is not built");
        Path socket = tmp.resolve("s");
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Ringspec.class.getName(), "host", "--serve", socket.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("server.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!Files.readString(tmp.resolve("server.log")).contains("serving") && server.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Files.readString(tmp.resolve("server.log"))).contains("warmed up in", "serving");
            ProcessBuilder b = new ProcessBuilder(client.toString(), "--profile", "7.2", "--pedantic", "--out",
                    "reports", "--", "/bin/sh", "-c", "exit 7").directory(tmp.toFile()).redirectErrorStream(true);
            b.environment().put("RINGSPEC_HOST_SERVER", socket.toString());
            Process c = b.start();
            String out = new String(c.getInputStream().readAllBytes());
            assertThat(c.waitFor()).as(out).isEqualTo(7);
            assertThat(out).contains("ringspec host: 0 rings", tmp.resolve("reports").toString());
            assertThat(Files.readString(tmp.resolve("reports/host-report.md"))).contains("profile 7.2, pedantic",
                    "exit status: 7");
            b.command(client.toString(), "--profile", "5.4", "--", "/bin/true");
            Process bad = b.start();
            assertThat(new String(bad.getInputStream().readAllBytes())).contains("no profile 5.4");
            assertThat(bad.waitFor()).isEqualTo(ExitStatus.USAGE);
        } finally {
            server.destroy();
            server.waitFor();
        }
        assertThat(socket).doesNotExist();
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
