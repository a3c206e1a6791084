package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
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
}
