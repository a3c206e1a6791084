package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingObservation;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A resize that carries real-I/O SQEs over, emulator against this kernel (seed 1681 of {@link WorldLockstepTest}):
 * io_register_resize_rings copies the SQEs between the SQ head and tail byte for byte, and each side's SQEs hold that
 * side's own descriptors and addresses ({@link OutsideWorld#writeSqe}), so the comparison compares those fields by
 * what they name in the side's world, not by their numbers. It compared the bytes, and two alike rings differed.
 */
@Tag("kernel")
class WorldResizePendingSqesTest {
    private static final int RUNS = 2;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * Four SQEs written and not submitted: a POLL_ADD on the socket (its descriptor), a TIMEOUT (its timespec's
     * address), a READ of the pipe into buffer 1 (descriptor and buffer address) and a SPLICE from the file into the
     * pipe (splice_fd_in), on a ring without an SQ array; then the rings grow.
     */
    @Test
    void aResizeCarriesWorldSqesOverAsTheSameRequests() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
                | IORING_SETUP_NO_SQARRAY, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET, 0, 0, 1, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_TIMEOUT, 0, 0, -1, 0, 0, 0, 0, 0, 0, 2),
                new Step.WriteIo(2, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 16, 0, 1, 0, 0, 3),
                new Step.WriteIo(3, IORING_OP_SPLICE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 16, 0, OutsideWorld.FILE, 0,
                        0, 4),
                new Step.PublishTail(4),
                new Step.Resize(8, 16, 0));
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(steps, RUNS, new java.util.TreeMap<>());
        assertThat(kernel.pendingSqes()).extracting(RingObservation.PendingSqe::userData).containsExactly(1L, 2L, 3L,
                4L);
    }
}
