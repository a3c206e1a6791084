package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A wakeup the ring's own WRITE makes, against task work the same submission queues later, emulator against this
 * kernel with real I/O (seed 38 of {@link WorldLockstepTest}). The kernel's pipe_write wakes the waiting READ's poll
 * inside the write, which queues its task work then; the NOP linked to a LINK_TIMEOUT completes inline, and the
 * flush at the submission's end disarms the timeout, whose -ECANCELED is task work queued after (io_disarm_next,
 * io_req_queue_tw_complete). The emulator saw the pipe ready only at its poll after the submission.
 */
@Tag("kernel")
class WorldOwnWakeupTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aWakeupByTheRingsOwnWriteQueuesItsTaskWorkBeforeALaterDisarm() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 64, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_WRITE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 34, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1),
                Step.WriteSqe.nop(2, IOSQE_IO_LINK, 0, 0, 3),
                new Step.WriteArray(2, 2),
                // the 1,000 s timespec: disarmed, never fired
                new Step.WriteIo(3, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 4),
                new Step.WriteArray(3, 3),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(2L, 3L, 1L, 4L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(34, 0, 34, -125);
    }
}
