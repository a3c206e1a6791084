package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program's threads under {@link Host}: each program thread is its own task (SINGLE_ISSUER refuses another
 * thread's submission with -EEXIST), and a thread blocked in a GETEVENTS wait does not hold up another thread's
 * calls, whose NOP ends the wait ({@code host/src/test/c/threads.c}, natively and hosted, same output).
 */
@Tag("kernel")
class HostedThreadsTest {
    @TempDir
    static Path dir;

    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void eachProgramThreadIsATaskAndAWaitHoldsUpNoOtherThread() throws Exception {
        HostSupport.assumeHostable();
        Path threads = HostSupport.compile(dir, "threads");
        assumeTrue(threads != null, "gcc is not installed or cannot build a program here");
        HostedProgramTest.Run natively = HostedProgramTest.runNatively(List.of(threads.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        assertThat(natively.output()).contains("NOP from another thread: -17", "the wait returned 0, CQEs: 1");
        HostedProgramTest.Run hosted = HostedProgramTest.runHosted(dir, List.of(threads.toString()));
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.outcome().rings()).isEqualTo(2);
    }
}
