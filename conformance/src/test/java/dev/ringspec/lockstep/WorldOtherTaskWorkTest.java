package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Task work of a request another thread submitted, emulator against this kernel with real I/O (world lockstep seed
 * 507). On a ring without DEFER_TASKRUN a request's task work joins the list of its submitting task
 * ({@code io_req_normal_work_add}: {@code req->tctx}), which that task runs at a time of its own; the ring's own
 * task runs only its own list, and posts what that run completed together. So a POLL_ADD the other thread
 * submitted, woken by the ring task's WRITE between two NOPs that complete by task work, posts its CQE before both
 * NOPs' or after both, never between them, where the emulator's one list per ring put it
 * ({@link dev.ringspec.model.Choice#TASK_WORK_OF_ANOTHER_TASK}).
 */
@Tag("kernel")
class WorldOtherTaskWorkTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void anotherThreadsPollWakesOutsideTheRingTasksRun() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET_PEER, 0, 0, POLLIN, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.OnOtherThread(new Step.Enter(1, 0, 0)),
                Step.WriteSqe.nop(1, 0, IORING_NOP_TW, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_WRITE, 0, 0, OutsideWorld.SOCKET, 0, 4, 0, 1, 0, 0, 3),
                new Step.WriteArray(2, 2),
                Step.WriteSqe.nop(3, 0, IORING_NOP_TW, 0, 4),
                new Step.WriteArray(3, 3),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0),
                // 20 ms of the world's clock: the other thread has run its task work by then
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20),
                new Step.Enter(0, 4, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        List<Long> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken))
                .stream().map(Cqe::userData).toList();
        // the WRITE's CQE first (the submission's flush), the NOPs' together after it, the poll's on either side
        assertThat(posted.indexOf(4L)).as("the NOPs' CQEs together: %s", posted).isEqualTo(posted.indexOf(2L) + 1);
        assertThat(posted).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        System.out.println("choices taken against the kernel: " + taken + ", last run " + posted);
    }
}
