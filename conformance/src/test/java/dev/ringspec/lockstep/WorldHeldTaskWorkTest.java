package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Task work that a DEFER_TASKRUN ring holds for many steps (seeds 299 and 375 of {@link WorldLockstepTest}), emulator
 * against this kernel: the order of its items is decided where they are queued and shown only where a wait runs
 * them, any number of steps later. A WRITE of the socket linked to a LINK_TIMEOUT, and an IOSQE_ASYNC READ of the
 * file, in one enter: the WRITE completes inline, so the flush at the end of the submission queues the linked
 * timeout's cancellation as task work (io_disarm_next, io_req_queue_tw_complete); the READ's worker queues its
 * completion as task work when it finishes (io_req_complete_post, lockless_cq), before that flush or after it
 * (IOWQ_RACES_DEFER_TASKRUN_WAIT). Here the kernel's worker came after it (-125 before 41) in every run seen; the
 * emulator's default puts it before. The first wait that runs the work comes more than
 * {@value Choices#LOOKBACK_STEPS} steps later, where the lockstep looked back no further for the choice.
 */
@Tag("kernel")
class WorldHeldTaskWorkTest {
    private static final int RUNS = 4;
    /** Steps between the enter and the wait that change nothing: more than the lookback. */
    private static final int IDLE_STEPS = Choices.LOOKBACK_STEPS + 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void taskWorkQueuedLongBeforeTheWaitMayRunInEitherOrder() {
        List<Step> steps = new ArrayList<>(List.of(
                new Step.Setup(4, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG,
                        0),
                new Step.WriteIo(0, IORING_OP_WRITE, IOSQE_IO_LINK, 0, OutsideWorld.SOCKET, -1, 3840, 0, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 2),
                new Step.WriteIo(2, IORING_OP_READ, IOSQE_ASYNC, 0, OutsideWorld.FILE, 1024, 41, 0, 1, 0, 0, 3),
                new Step.WriteArray(0, 0),
                new Step.WriteArray(1, 1),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0)));
        for (int i = 0; i < IDLE_STEPS; i++) {
            steps.add(new Step.WriteArray(3, 3)); // an SQ array entry past the tail: nothing the ring looks at
        }
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken);
        System.out.println("choices taken against the kernel: " + taken);
    }
}
