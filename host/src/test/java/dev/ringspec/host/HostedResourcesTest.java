package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program's own resources, natively and hosted the same with nothing reported as not hosted. A request holds the
 * file of the program's descriptor it names from its issue to its end, and the supervisor no longer
 * (src/test/c/descriptor-lifetime.c): a pipe's reader sees EOF once the program closed the write end an earlier
 * WRITE used, also while the READ waits; a READ in flight reads a pipe whose read end the program closed; the peer of
 * a socket that a RECV used and the program closed gets EPIPE. The program's RLIMIT_FSIZE, not the supervisor's,
 * applies to its FALLOCATE and WRITE requests (src/test/c/file-size-limit.c): -EFBIG past it, a write that
 * straddles it cut short, FALLOC_FL_KEEP_SIZE and appends as the kernel has them. An AF_UNIX path that SENDMSG or
 * CONNECT names is looked up from the program's working directory and root, not the supervisor's
 * (src/test/c/unix-address.c, liburing's sendmsg_fs_cve). A ring's number that the program points at another ring
 * or closes (dup2, dup3, close, close_range, i386's close, from another thread, in a forked child) names the new ring
 * or nothing at the next enter, though the supervisor no longer asks the kernel at every enter; a READ on a number
 * pointed at another pipe while a READ on it waits reads the new pipe (src/test/c/ring-renumbered.c).
 */
@Tag("kernel")
class HostedResourcesTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void canHost() {
        HostSupport.assumeHostable();
    }

    @Test
    void aFileIsHeldWhileARequestUsesItAndNoLonger() throws Exception {
        assertThat(HostSupport.sameBothWays(dir, "descriptor-lifetime").natively())
                .contains("then read 0", "read 3", "Broken pipe");
    }

    @Test
    void unixSocketPathsAreLookedUpFromTheProgramsRootAndWorkingDirectory() throws Exception {
        assertThat(HostSupport.sameBothWays(dir, "unix-address").natively())
                .contains("sendmsg to sock after chdir: 16", "connect to sock after chdir: 0",
                        "sendmsg to nothing after chdir: -2");
    }

    @Test
    void aRingsNumberMadeToNameAnotherFileIsSeenAtTheNextEnter() throws Exception {
        HostSupport.Both run = HostSupport.sameBothWays(dir, "ring-renumbered");
        assertThat(run.natively()).contains("dup2: enter 1, ring B's CQEs 1", "close: enter -1 Bad file descriptor",
                "another thread's dup2: enter 1", "a child's dup2: enter 1",
                "the parent's number after the child's dup2: enter 0", "READ 2: 3 \"two\"", "READ 1: 3 \"one\"");
        // the program's 13 (dup2, dup3, close_range, i386's close, the thread's and the child's dup2, 7 closes) and
        // the launcher's exec, with the dynamic loader's closes on top; the thread's clone3 and the fork's clone
        String report = java.nio.file.Files.readString(run.outcome().report());
        java.util.regex.Matcher counts = java.util.regex.Pattern
                .compile("- calls let run after being noted: (\\d+) that may change .* (\\d+) that made a process")
                .matcher(report);
        assertThat(counts.find()).as(report).isTrue();
        assertThat(Integer.parseInt(counts.group(1))).isGreaterThanOrEqualTo(14);
        assertThat(Integer.parseInt(counts.group(2))).isEqualTo(2);
    }

    @Test
    void theProgramsFileSizeLimitAppliesToItsRequests() throws Exception {
        assertThat(HostSupport.sameBothWays(dir, "file-size-limit").natively())
                .contains("to 128 KiB: -27", "write at 60 KiB: 4096", "append at 64 KiB: -27");
    }
}
