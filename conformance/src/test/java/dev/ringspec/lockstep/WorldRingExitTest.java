package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The files of a closed ring's table are released by the ring's exit work, some time after the close (world lockstep
 * seed 528), emulator against this kernel with real I/O.
 */
@Tag("kernel")
class WorldRingExitTest {
    private static final int FILE_INDEX_ALLOC = -1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * A ring connects the world's TCP client and accepts the connection into a direct slot; a new ring replaces it
     * (the old one is closed) and reads the client. The kernel releases the old ring's table in io_ring_exit_work,
     * queued on a workqueue by the close (io_uring/io_uring.c io_ring_ctx_wait_and_kill), after the ring's
     * references are gone, and fput there, from a kernel thread, hands the socket to delayed_fput_work
     * (fs/file_table.c __fput_deferred): the READ finds no end of file, arms a poll, and its CQE comes from the
     * wait after the world's clock moved. The emulator released the table in the close: its READ read the end of
     * file inline.
     */
    @Test
    void aClosedRingsDirectSocketIsReleasedAfterTheClose() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                new Step.RegisterFiles(8, true, 0),
                new Step.WriteIo(0, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.WriteIo(1, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, FILE_INDEX_ALLOC, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.Setup(2, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.TCP_CLIENT, 0, 53, 0, 2, 0, 0, 3),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = WorldTaskWorkTest.agreesWithTheKernel(steps);
        assertThat(WorldLockstepTest.visible(kernel.get(9))).as("CONNECT, then ACCEPT into slot 0")
                .containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
        assertThat(WorldLockstepTest.visible(kernel.get(14))).as("the READ, entered after the close").isEmpty();
        assertThat(WorldLockstepTest.visible(kernel.get(16))).containsExactly(new Cqe(3, 0, 0, 0, 0));
    }
}
