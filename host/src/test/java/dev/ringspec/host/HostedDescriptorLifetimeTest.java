package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request holds the file of the program's descriptor it names from its issue to its end, and the supervisor no
 * longer (src/test/c/descriptor-lifetime.c): a pipe's reader sees EOF once the program closed the write end an earlier
 * WRITE used, also while the READ waits; a READ in flight reads a pipe whose read end the program closed; the peer of
 * a socket that a RECV used and the program closed gets EPIPE. Natively and hosted the same.
 */
@Tag("kernel")
class HostedDescriptorLifetimeTest {
    @TempDir
    static Path dir;

    private static Path program;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        assumeTrue(HostSupport.reason() == null, () -> HostSupport.reason());
        program = HostSupport.compile(dir, "descriptor-lifetime");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
    }

    @Test
    void aFileIsHeldWhileARequestUsesItAndNoLonger() throws Exception {
        HostSupport.Both run = HostSupport.runBoth(dir, program);
        assertThat(run.nativeStatus()).as(run.natively()).isZero();
        assertThat(run.natively()).contains("then read 0", "read 3", "Broken pipe");
        assertThat(run.outcome().exitStatus()).as(run.hosted() + run.err()).isZero();
        assertThat(run.hosted()).isEqualTo(run.natively());
        assertThat(run.outcome().findings()).isEmpty();
    }
}
