package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Waiters of one file woken by one write, emulator against this kernel with real I/O: the kernel wakes the last
 * armed first (add_wait_queue puts each poll entry at the wait queue's head; __wake_up_common walks from there) and
 * runs their task work in that order, so it is not a race. The emulator's deterministic mode shuffled events that
 * epoll returned together by its seed, so it agreed with the kernel by chance.
 */
@Tag("kernel")
class WorldWakeOrderTest {
    private static final int RUNS = 8;
    private static final int POLLIN = 0x1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** Three POLL_ADDs for POLLIN on the socket's peer, armed in one enter; a write to the socket wakes all three. */
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void theLastArmedPollIsWokenFirst(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET_PEER, 0, 0, POLLIN, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET_PEER, 0, 0, POLLIN, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.SOCKET_PEER, 0, 0, POLLIN, 0, 0, 0, 3),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.SOCKET, 16),
                new Step.Enter(0, 3, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(3L, 2L, 1L);
        assertThat(cqes).extracting(Cqe::res).containsOnly(POLLIN);
    }

    /**
     * A READ of the empty pipe arms its poll (io_arm_poll_handler) and a write completes it; a multishot POLL_ADD of
     * the pipe is armed, then a second READ arms its poll. The kernel adds each arm's entry afresh at the head of the
     * pipe's wait queue (__io_queue_proc: add_wait_queue), so the next write wakes the newer READ before the older
     * POLL_ADD and its CQE comes first. The emulator re-armed the descriptor's epoll registration, which the first READ
     * had left behind the POLL_ADD's, in its old place (EPOLL_CTL_MOD re-queues nothing), and posted the POLL_ADD's
     * CQE first.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void aPollArmedAgainGoesToTheHeadOfTheWaitQueue(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 5, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 5),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS),
                new Step.ConsumeCqes(1),
                new Step.WriteIo(1, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_READ, 0, IORING_POLL_ADD_MULTI,
                        POLLIN, 0, 0, 0, 2),
                new Step.WriteArray(1, 1), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteIo(2, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 5, 0, 1, 0, 0, 3),
                new Step.WriteArray(2, 2), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 5),
                new Step.Enter(0, 2, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(3L, 2L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(5, POLLIN);
    }
}
