package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs with their own io_uring code, run natively and under {@link Host}: the same exit status and output,
 * with every io_uring call served by the emulator (the supervisor counts them).
 */
@Tag("kernel")
class HostedProgramTest {
    @TempDir
    static Path dir;

    private static Path nopAndRead;
    private static Path netAndEventfd;

    @BeforeAll
    static void build() throws Exception {
        HostSupport.assumeHostable();
        nopAndRead = HostSupport.compile(dir, "nop-and-read");
        assumeTrue(nopAndRead != null, "gcc is not installed or cannot build a program here");
        netAndEventfd = HostSupport.compile(dir, "net-and-eventfd");
    }

    @Test
    void nopsAndAPipeReadPassNativelyAndHosted() throws Exception {
        Run natively = runNatively(List.of(nopAndRead.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        Run hosted = runHosted(List.of(nopAndRead.toString()));
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.output()).isEqualTo(natively.output()).contains("5 NOPs and a READ of 7 bytes");
        // setup, one enter, and the three bad calls
        assertThat(hosted.outcome().calls()).isEqualTo(5);
        assertThat(hosted.outcome().rings()).isEqualTo(1);
        assertThat(hosted.outcome().findings()).isEmpty();
        assertThat(hosted.err()).contains("ringspec host: 1 ring, 5 intercepted calls, 0 findings");
    }

    @Test
    void socketOpcodesAndARegisteredEventfdPassNativelyAndHosted() throws Exception {
        Run natively = runNatively(List.of(netAndEventfd.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        assertThat(natively.output()).startsWith("descriptor passed\n");
        Run hosted = runHosted(List.of(netAndEventfd.toString()));
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        // a descriptor received in SCM_RIGHTS cannot be installed in the program: MSG_CTRUNC, as a failed install
        assertThat(hosted.output()).isEqualTo(natively.output().replace("descriptor passed",
                "descriptor not passed: MSG_CTRUNC"));
        assertThat(hosted.outcome().findings()).isEmpty();
        // setup, eventfd registration, and four enters
        assertThat(hosted.outcome().calls()).isEqualTo(6);
    }

    @Test
    void theExitStatusIsTheProgramsOwn() throws Exception {
        assertThat(runHosted(List.of("/bin/sh", "-c", "exit 3")).status()).isEqualTo(3);
        assertThat(runHosted(List.of("/bin/sh", "-c", "kill -9 $$")).status()).isEqualTo(128 + 9);
        assertThat(runHosted(List.of("/bin/sh", "-c", "echo child; /bin/true")).output()).isEqualTo("child\n");
    }

    @Test
    void aProgramThatCannotBeExecutedIsTheLaunchersStatus127() throws Exception {
        assertThat(runHosted(List.of(dir.resolve("no-such-program").toString())).status()).isEqualTo(127);
    }

    record Run(int status, String output, String err, Host.Outcome outcome) {
    }

    static Run runHosted(List<String> command) throws IOException {
        return runHosted(dir, command);
    }

    /** {@code command} under {@link Host} with this kernel's profile, its output and report under {@code dir}. */
    static Run runHosted(Path dir, List<String> command) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, dir.resolve("reports"))
                    .run(command, ProcessBuilder.Redirect.to(out.toFile()), errStream);
            errStream.println(o.summary());
        }
        return new Run(o.exitStatus(), Files.readString(out), err.toString(StandardCharsets.UTF_8), o);
    }

    static Run runNatively(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new Run(p.waitFor(), output, "", null);
    }
}
