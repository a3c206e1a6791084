package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A request whose poll finds its file ready when it is armed (seed 62 of {@link WorldLockstepTest}), and an io-wq
 * race whose outcome shows steps after the enter that raced (seed 2), emulator against this kernel with real I/O.
 */
@Tag("kernel")
class WorldPollArmTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * A CONNECT to the loopback listener answers -EINPROGRESS, and the connection is made by the time its poll is
     * armed: __io_arm_poll_handler finds it writable (IO_APOLL_READY) and never hashes the request, which is issued
     * again from task work (io_req_task_queue). An ASYNC_CANCEL of it in the same submission finds nothing. The
     * emulator's poll waited for epoll to report it, so the cancellation found it and completed it -ECANCELED.
     */
    @Test
    void aConnectReadyWhenItsPollIsArmedIsNotFoundByACancel() {
        List<Step> steps = List.of(new Step.Setup(2, 0, 0),
                new Step.WriteIo(0, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_ASYNC_CANCEL, 0, 0, -1, 1, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(
                WorldLockstepTest.agreesWithTheKernel(steps, RUNS, new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(2L, 1L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(-2, 0);
    }

    /**
     * Four NOPs fill the CQ; a forced-async NOP and a CONNECT go to the overflow list in the order the io-wq worker
     * and the task's task work reached it (IOWQ_POSTS_BEFORE_FLUSH, asked when the CONNECT's completion is
     * flushed), which shows only once the application has reaped the four and a wait flushed the list, two steps
     * later: the run explains either order by the choice made at the enter that raced.
     */
    @Test
    void anIoWqRaceOnTheOverflowListIsExplainedByTheStepThatRaced() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, 0, 0)));
        for (int i = 0; i < 4; i++) {
            steps.add(Step.WriteSqe.nop(i, 0, 0, 0, 1 + i));
            steps.add(new Step.WriteArray(i, i));
        }
        steps.add(new Step.PublishTail(4));
        steps.add(new Step.Enter(4, 0, 0));
        steps.add(Step.WriteSqe.nop(0, IOSQE_ASYNC, 0, 0, 5));
        steps.add(new Step.WriteArray(0, 0));
        steps.add(new Step.WriteIo(1, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 6));
        steps.add(new Step.WriteArray(1, 1));
        steps.add(new Step.PublishTail(2));
        steps.add(new Step.Enter(2, 0, 0));
        steps.add(new Step.ConsumeCqes(4));
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new java.util.TreeMap<>();
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        System.out.println("choices taken against the kernel: " + taken);
        assertThat(cqes).extracting(Cqe::userData).containsExactlyInAnyOrder(5L, 6L);
    }
}
