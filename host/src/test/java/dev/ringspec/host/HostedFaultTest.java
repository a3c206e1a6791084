package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs that misbehave or meet signals, natively and under {@link Host}: the same answers where the kernel gives
 * one, and a supervisor that ends with the program, leaves nothing stopped, and says in its report what happened.
 */
@Tag("kernel")
class HostedFaultTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void hostingWorksHere() {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        assumeTrue(HostSupport.reason() == null, () -> HostSupport.reason());
    }

    private static Path program(String name) throws Exception {
        Path p = HostSupport.compile(dir, name);
        assumeTrue(p != null, "gcc is not installed or cannot build a program here");
        return p;
    }

    /** A run: status, standard output, the host's standard error and report. */
    record Run(int status, String output, String err, Host.Outcome outcome, String report) {
    }

    static Run hosted(List<String> command) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path reports = Files.createTempDirectory(dir, "report");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, reports)
                    .run(command, ProcessBuilder.Redirect.to(out.toFile()), errStream);
        }
        String report = o.report() == null ? "" : Files.readString(o.report());
        return new Run(o.exitStatus(), Files.readString(out), err.toString(StandardCharsets.UTF_8), o, report);
    }

    static Run natively(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the native run ends").isTrue();
        return new Run(p.exitValue(), Files.readString(out), "", null, "");
    }

    @Test
    void aSignalEndsAHostedWaitWithTheKernelsAnswer() throws Exception {
        Path signalWait = program("signal-wait");
        Run natively = natively(List.of(signalWait.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        Run hosted = hosted(List.of(signalWait.toString()));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.outcome().findings()).isEmpty();
        assertThat(hosted.report()).contains("ended by a signal").contains("signal 14 ended thread");
    }

    @Test
    void aRingEndsWhenItsLastDescriptorForkCopyAndMappingGo() throws Exception {
        Path ringEnd = program("ring-end");
        Run natively = natively(List.of(ringEnd.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        Run hosted = hosted(List.of(ringEnd.toString()));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.outcome().findings()).isEmpty();
        assertThat(hosted.report()).contains("3 rings ended while the program ran");
    }
}
