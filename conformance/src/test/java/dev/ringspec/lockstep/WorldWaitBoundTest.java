package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A wait whose CQE only a 1,000 s timer would post (seed 377 of {@link WorldLockstepTest}): the emulator on its
 * virtual clock fires the timer at once, the kernel would block the run thread for the whole 1,000 s. The kernel
 * side's wait is bounded, so the run ends as a reported divergence that replays the same, never as a hang.
 */
@Tag("kernel")
class WorldWaitBoundTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** A ring, a 1,000 s TIMEOUT (buf 1), and an ENTER that submits it and waits for one CQE. */
    private static List<Step> waitForTheLongTimer() {
        return List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(0, IORING_OP_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 7),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWaitOnlyALongTimerEndsIsBoundedAndReported() {
        List<Step> steps = waitForTheLongTimer();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            long t0 = System.nanoTime();
            LockstepRunner.Outcome o = runner.run(steps, null);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(o.divergence()).as("the bounded wait is reported").isNotNull();
            assertThat(o.divergence().step()).isEqualTo(4);
            // the emulator's timer fired on its virtual clock; the kernel's is still armed, its ring empty
            assertThat(o.divergence().reference().cqTail()).isEqualTo(1);
            assertThat(o.divergence().subject().cqTail()).isZero();
            assertThat(millis).as("the bound, not the timer").isGreaterThanOrEqualTo(Side.WAIT_BOUND_MILLIS)
                    .isLessThan(30_000);
            LockstepRunner.Outcome again = runner.run(o.steps(), null);
            assertThat(again.divergence()).as("the replay").isNotNull();
            assertThat(again.divergence().step()).isEqualTo(4);
            assertThat(again.divergence().field()).isEqualTo(o.divergence().field());
        }
    }
}
