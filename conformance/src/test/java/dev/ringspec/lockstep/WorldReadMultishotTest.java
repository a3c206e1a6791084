package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A READ_MULTISHOT that reads a pipe's only data into its group's only buffer, emulator against this kernel with
 * real I/O (seed 42 of {@link WorldLockstepTest}). After the inline issue's CQE the kernel arms a poll
 * (IOU_RETRY, io_arm_poll_handler); the empty pipe is not ready, so no buffer is selected and the request waits,
 * armed, until the next write, whose wakeup finds the group empty: -ENOBUFS then. The emulator read on from task
 * work at once and answered -ENOBUFS before any write.
 */
@Tag("kernel")
class WorldReadMultishotTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG})
    void anEmptyGroupEndsTheReadOnlyWhenThePipeIsReadyAgain(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                // one buffer of 256 bytes in group 1
                new Step.WriteIo(0, IORING_OP_PROVIDE_BUFFERS, 0, 0, 1, 0, 256, 0, 0, 1, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 52),
                new Step.WriteIo(1, IORING_OP_READ_MULTISHOT, IOSQE_BUFFER_SELECT, 0, OutsideWorld.PIPE_READ, 0, 0, 0,
                        0, 1, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 10));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L, 2L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, 52, -105);
    }
}
