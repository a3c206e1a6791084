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
 * The program's RLIMIT_FSIZE, not the supervisor's, applies to its FALLOCATE and WRITE requests
 * (src/test/c/file-size-limit.c): -EFBIG past it, a write that straddles it cut short, FALLOC_FL_KEEP_SIZE and
 * appends as the kernel has them. Natively and hosted the same.
 */
@Tag("kernel")
class HostedFileSizeLimitTest {
    @TempDir
    static Path dir;

    private static Path program;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        assumeTrue(HostSupport.reason() == null, () -> HostSupport.reason());
        program = HostSupport.compile(dir, "file-size-limit");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
    }

    @Test
    void theProgramsFileSizeLimitAppliesToItsRequests() throws Exception {
        Process nativeRun = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        String natively = new String(nativeRun.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(nativeRun.waitFor()).as(natively).isZero();
        assertThat(natively).contains("to 128 KiB: -27", "write at 60 KiB: 4096", "append at 64 KiB: -27");

        Path out = Files.createTempFile(dir, "out", ".txt");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, Files.createTempDirectory(dir, "report"))
                    .run(List.of(program.toString()), ProcessBuilder.Redirect.to(out.toFile()), errStream);
        }
        String hosted = Files.readString(out);
        assertThat(o.exitStatus()).as(hosted + err).isZero();
        assertThat(hosted).isEqualTo(natively);
        assertThat(o.findings()).isEmpty();
    }
}
