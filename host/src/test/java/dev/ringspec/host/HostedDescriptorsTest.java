package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
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
 * A program whose paths and descriptors are its own (src/test/c/open-and-accept.c): OPENAT, MKDIRAT, STATX, RENAMEAT
 * and UNLINKAT from its working directory and a directory descriptor, and ACCEPT, once completing while it waits in
 * io_uring_enter and once while it runs; the descriptors the CQEs carry are its own. Natively and hosted the same.
 */
@Tag("kernel")
class HostedDescriptorsTest {
    @TempDir
    static Path dir;

    private static Path program;

    @BeforeAll
    static void build() throws Exception {
        HostSupport.assumeHostable();
        program = HostSupport.compile(dir, "open-and-accept");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
    }

    @Test
    void pathsStartInTheProgramsDirectoriesAndDescriptorsAreGivenToIt() throws Exception {
        Process nativeRun = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        String natively = new String(nativeRun.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(nativeRun.waitFor()).as(natively).isZero();

        Hosted hosted = runHosted(List.of(program.toString()));
        assertThat(hosted.outcome().exitStatus()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.output()).isEqualTo(natively).contains("two connections accepted");
        assertThat(hosted.outcome().findings()).isEmpty();
    }

    @Test
    void anOpcodeThatIsNotHostedIsNamedInTheReportAndTheSummary() throws Exception {
        Hosted hosted = runHosted(List.of(program.toString(), "refused"));
        assertThat(hosted.outcome().exitStatus()).isZero();
        assertThat(hosted.outcome().findings())
                .containsExactly("not hosted: EPOLL_CTL (1 request answered -EOPNOTSUPP)");
        assertThat(hosted.err()).contains("1 finding; not hosted: EPOLL_CTL");
        assertThat(Files.readString(hosted.outcome().report()))
                .contains("- not hosted: EPOLL_CTL (1 request answered -EOPNOTSUPP)");
    }

    private record Hosted(String output, String err, Host.Outcome outcome) {
    }

    private static Hosted runHosted(List<String> command) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, Files.createTempDirectory(dir, "report"))
                    .run(command, ProcessBuilder.Redirect.to(out.toFile()), errStream);
            errStream.println(o.summary());
        }
        return new Hosted(Files.readString(out), err.toString(StandardCharsets.UTF_8), o);
    }
}
