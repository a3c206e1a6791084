package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Time passing while the ring's task sleeps outside io_uring (seed 60 of {@link WorldLockstepTest}), emulator against
 * this kernel: a multishot TIMEOUT of the world's 5 ms with a count of 3, then 20 ms of the world's clock. Each
 * expiry's task work wakes the sleeping task, which posts the CQE and starts the next period (io_timeout_complete),
 * so the kernel posts all three within the 20 ms; a DEFER_TASKRUN ring's local work waits for a GETEVENTS enter, so
 * there nothing is posted yet. The emulator's virtual clock fired the timers but ran no task work until the next
 * enter, so it posted one on the other rings.
 */
@Tag("kernel")
class WorldClockTest {
    private static final int RUNS = 4;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void aMultishotTimeoutRunsItsPeriodsWhileTheTaskSleeps(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(8, setupFlags, 0),
                new Step.WriteIo(0, IORING_OP_TIMEOUT, 0, 0, -1, 3, 0, IORING_TIMEOUT_MULTISHOT, 0, 0, 0, 41),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20));
        List<Integer> flags = new ArrayList<>();
        for (Cqe cqe : WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()))) {
            assertThat(cqe.userData()).isEqualTo(41L);
            flags.add(cqe.flags() & IORING_CQE_F_MORE);
        }
        if ((setupFlags & IORING_SETUP_DEFER_TASKRUN) != 0) {
            assertThat(flags).isEmpty();
        } else {
            assertThat(flags).containsExactly(IORING_CQE_F_MORE, IORING_CQE_F_MORE, 0);
        }
    }
}
