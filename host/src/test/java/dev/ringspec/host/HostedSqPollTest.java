package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SQPOLL ring of a hosted program ({@code src/test/c/sqpoll.c}), natively and under {@link Host}: a new SQ
 * thread with nothing to do sleeps at once with NEED_WAKEUP raised, an enter with SQ_WAKEUP wakes it, awake it
 * submits without an enter into the memory of the process whose thread set the ring up (that thread has exited),
 * and sleeps again after its idle time.
 */
@Tag("kernel")
class HostedSqPollTest {
    @TempDir
    static Path dir;

    private static Path sqpoll;

    @BeforeAll
    static void build() throws Exception {
        HostSupport.assumeHostable();
        sqpoll = HostSupport.compile(dir, "sqpoll");
        assumeTrue(sqpoll != null, "gcc is not installed or cannot build a program here");
    }

    @Test
    void theSqThreadSubmitsForTheProgramSleepsAndWakesAsTheKernelsDoes() throws Exception {
        HostedProgramTest.Run natively = HostedProgramTest.runNatively(List.of(sqpoll.toString()));
        assumeTrue(!natively.output().contains("io_uring_setup with SQPOLL"),
                () -> "this kernel refuses SQPOLL: " + natively.output());
        assertThat(natively.status()).as(natively.output()).isZero();
        HostedProgramTest.Run hosted = runHosted(sqpoll);
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.output()).isEqualTo(natively.output())
                .contains("after setup: NEED_WAKEUP raised")
                .contains("without enter: a NOP and a READ of 7 bytes \"sqpoll!\"")
                .contains("idle: NEED_WAKEUP raised again").contains("SQ_WAKEUP: enter answered 1");
        // the setup, the SQ_WAKEUP enter and the GETEVENTS enter: the NOP and the READ needed no call
        assertThat(hosted.outcome().calls()).isEqualTo(3);
        assertThat(hosted.outcome().rings()).isEqualTo(1);
        assertThat(hosted.outcome().findings()).isEmpty();
    }

    /** {@code program} under {@link Host} with the 6.18 profile, its output in a file of {@link #dir}. */
    private static HostedProgramTest.Run runHosted(Path program) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Host.Outcome o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, dir.resolve("reports"))
                .run(List.of(program.toString()), ProcessBuilder.Redirect.to(out.toFile()), System.err);
        return new HostedProgramTest.Run(o.exitStatus(), Files.readString(out), o.summary(), o);
    }
}
