package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An IOSQE_ASYNC READV of a pipe that holds bytes already, emulator against this kernel with real I/O (seed 62 of
 * {@link WorldLockstepTest}). The kernel's io-wq worker issues it without blocking (io_wq_submit_work: an opcode that
 * polls, on a file that can) and the bytes land in the buffer when the worker runs; on a DEFER_TASKRUN ring only the
 * completion waits, as local task work, for the next GETEVENTS. The emulator made that try from the ring's task work,
 * so on a DEFER_TASKRUN ring the buffer stayed empty after an enter without GETEVENTS while the kernel's was filled.
 */
@Tag("kernel")
class WorldAsyncReadTest {
    private static final int RUNS = 4;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void anAsyncReadOfAReadyPipeFillsItsBufferBeforeItsCompletionRuns(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 57),
                new Step.WriteIo(0, IORING_OP_READV, IOSQE_ASYNC, 0, OutsideWorld.PIPE_READ, 0, 300, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                // no GETEVENTS: on a DEFER_TASKRUN ring the completion stays queued, the buffer is compared
                new Step.Enter(1, 0, 0),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(57);
    }
}
