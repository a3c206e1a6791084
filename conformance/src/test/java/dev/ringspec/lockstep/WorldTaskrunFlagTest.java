package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * IORING_SQ_TASKRUN on a DEFER_TASKRUN ring, emulator against this kernel with real I/O, where the kernel's flag was
 * up and the emulator's was not (seeds 443 and 164 of {@link WorldLockstepTest}, shrunk): local task work that an
 * enter returning before its wait leaves queued, and an io-wq TEE that fails at once in its worker. Each run agrees
 * with the kernel ({@link WorldTaskWorkTest#agreesWithTheKernel}), and the kernel's own flags and CQEs show it.
 */
@Tag("kernel")
class WorldTaskrunFlagTest {
    private static final int DEFER = IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER
            | IORING_SETUP_DEFER_TASKRUN;
    private static final int POLLIN = 1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * A one-entry SQ: a POLL_ADD of the socketpair's second end, then a SEND on the first entered with to_submit 2
     * and GETEVENTS. The SEND's bytes wake the poll inside the submission, which queues its completion as local task
     * work (IORING_SQ_TASKRUN), but io_uring_enter submitted 1 of 2 and returns at once, without its wait, so the
     * poll's CQE waits for the next GETEVENTS enter (io_uring/io_uring.c io_uring_enter: {@code ret != to_submit}).
     * The emulator ran that work in the same enter.
     */
    @Test
    void anEnterThatSubmitsFewerThanAskedLeavesTheWakeupsTaskWorkQueued() {
        List<Step> steps = List.of(new Step.Setup(1, DEFER, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET_PEER, 0, 0, POLLIN, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_SEND, 0, 0, OutsideWorld.SOCKET, 0, 1, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 0),
                new Step.PublishTail(1),
                new Step.Enter(2, 0, IORING_ENTER_GETEVENTS),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = WorldTaskWorkTest.agreesWithTheKernel(steps);
        RingObservation early = kernel.get(8);
        assertThat(early.result()).isEqualTo(1);
        assertThat(early.sqFlags() & IORING_SQ_TASKRUN).isEqualTo(IORING_SQ_TASKRUN);
        assertThat(WorldLockstepTest.visible(early)).containsExactly(new Cqe(2, 1, 0, 0, 0));
        RingObservation next = kernel.get(9);
        assertThat(next.sqFlags() & IORING_SQ_TASKRUN).isZero();
        assertThat(WorldLockstepTest.visible(next)).extracting(Cqe::userData).containsExactly(2L, 1L);
    }

    /**
     * A TEE from the world's empty pipe to {@code target}, 100 ms of the world's clock (the kernel's worker is done),
     * and a GETEVENTS enter: the kernel's {@code do_tee} fails before it could wait for bytes, in the worker, whose
     * completion raises IORING_SQ_TASKRUN after the enter; the emulator held the TEE as waiting for the world.
     */
    private static List<RingObservation> teeOfTheEmptyPipe(int target) {
        List<Step> steps = List.of(new Step.Setup(4, DEFER, 0),
                new Step.WriteIo(0, IORING_OP_TEE, 0, 0, target, 0, 16, 0, OutsideWorld.PIPE_READ, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 100),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = WorldTaskWorkTest.agreesWithTheKernel(steps);
        assertThat(kernel.get(5).sqFlags() & IORING_SQ_TASKRUN).isEqualTo(IORING_SQ_TASKRUN);
        return kernel;
    }

    @Test
    void aTeeOfThePipeToItselfFailsEinvalAtOnceInItsWorker() {
        assertThat(WorldLockstepTest.visible(teeOfTheEmptyPipe(OutsideWorld.PIPE_WRITE).get(6)))
                .containsExactly(new Cqe(1, -22, 0, 0, 0));
    }

    @Test
    void aTeeToThePipesReadEndFailsEbadfAtOnceInItsWorker() {
        assertThat(WorldLockstepTest.visible(teeOfTheEmptyPipe(OutsideWorld.PIPE_READ).get(6)))
                .containsExactly(new Cqe(1, -9, 0, 0, 0));
    }
}
