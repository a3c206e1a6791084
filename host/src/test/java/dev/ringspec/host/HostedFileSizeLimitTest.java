package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
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
        HostSupport.Both run = HostSupport.runBoth(dir, program);
        assertThat(run.nativeStatus()).as(run.natively()).isZero();
        assertThat(run.natively()).contains("to 128 KiB: -27", "write at 60 KiB: 4096", "append at 64 KiB: -27");
        assertThat(run.outcome().exitStatus()).as(run.hosted() + run.err()).isZero();
        assertThat(run.hosted()).isEqualTo(run.natively());
        assertThat(run.outcome().findings()).isEmpty();
    }
}
