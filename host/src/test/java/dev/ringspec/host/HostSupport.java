package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the hosted tests need, and the C programs they run. */
final class HostSupport {
    private HostSupport() {
    }

    /**
     * Why hosting cannot run here, or null: it needs pidfd_open (5.3), pidfd_getfd (5.6) and seccomp
     * user notification with ADDFD_FLAG_SEND (5.14); io_uring itself is not needed.
     */
    static String reason() {
        int self = (int) Linux.call(Linux.SYS_GETPID, 0);
        int pidfd = (int) Linux.call(Seccomp.SYS_PIDFD_OPEN, self, 0);
        if (pidfd < 0) {
            return "pidfd_open is not available here (" + pidfd + "; Linux 5.3+)";
        }
        Linux.close(pidfd);
        return null;
    }

    /** Skips the calling test class, with the reason, where programs cannot be hosted here. */
    static void assumeHostable() {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        assumeTrue(reason() == null, HostSupport::reason);
    }

    /** {@code src/test/c/NAME.c} compiled into {@code dir}, or null without a working gcc. */
    static Path compile(Path dir, String name) throws IOException, InterruptedException {
        Path source = Path.of("src/test/c", name + ".c").toAbsolutePath();
        Path binary = dir.resolve(name);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-pthread", "-o", binary.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            return null;
        }
        String out;
        try (InputStream in = gcc.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0 || !Files.isExecutable(binary)) {
            throw new IOException("gcc failed on " + source + ":\n" + out);
        }
        return binary;
    }

    /** A program's run natively (output and status) and hosted (output, the host tool's stderr, the outcome). */
    record Both(String natively, int nativeStatus, String hosted, String err, Host.Outcome outcome) {
    }

    /** {@code program} run natively, then hosted on the 6.18 profile with its report under {@code dir}. */
    static Both runBoth(Path dir, Path program) throws IOException, InterruptedException {
        Process nativeRun = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        String natively = new String(nativeRun.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = nativeRun.waitFor();
        Path out = Files.createTempFile(dir, "out", ".txt");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, Files.createTempDirectory(dir, "report"))
                    .run(List.of(program.toString()), ProcessBuilder.Redirect.to(out.toFile()), errStream);
        }
        return new Both(natively, status, Files.readString(out), err.toString(StandardCharsets.UTF_8), o);
    }

    /**
     * {@code src/test/c/NAME.c} compiled into {@code dir} and run both ways, with the same output and status 0 both
     * ways and nothing reported as not hosted; the test is skipped without gcc.
     */
    static Both sameBothWays(Path dir, String name) throws IOException, InterruptedException {
        Path program = compile(dir, name);
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
        Both run = runBoth(dir, program);
        assertThat(run.nativeStatus()).as(run.natively()).isZero();
        assertThat(run.outcome().exitStatus()).as(run.hosted() + run.err()).isZero();
        assertThat(run.hosted()).isEqualTo(run.natively());
        assertThat(run.outcome().findings()).isEmpty();
        return run;
    }
}
