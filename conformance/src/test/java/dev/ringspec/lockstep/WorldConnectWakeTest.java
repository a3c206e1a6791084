package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.Poll.POLLHUP;
import static dev.ringspec.uapi.Poll.POLLIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Wakeups made by the emulator's own syscalls (seed 2 of {@link WorldLockstepTest}), emulator against this kernel
 * with real I/O: a loopback CONNECT completes the handshake inside its {@code connect}, whose wakeup of the listener
 * queues a waiting ACCEPT's task work then, before the CONNECT's own reissue (its poll finds it connected:
 * IO_APOLL_READY). The emulator saw the listener ready only at its poll after the submission, so it posted the
 * CONNECT first.
 */
@Tag("kernel")
class WorldConnectWakeTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** An ACCEPT into a direct slot waits on the listener; a later enter submits the CONNECT and waits. */
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void aConnectsWakeupOfTheListenerQueuesTheAcceptFirst(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.RegisterFiles(8, true, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, -1, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 2, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        // the kernel's order, which the emulator now shows too: the ACCEPT (slot 0), then the CONNECT
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, 0);
    }

    /**
     * Two ACCEPTs into direct slots wait on the listener; each connection goes to the older waiter (seed 99 of
     * {@link WorldLockstepTest}): ACCEPT's poll is exclusive (opdef.c {@code poll_exclusive}, io_arm_poll_handler adds
     * EPOLLEXCLUSIVE), so it waits at the tail of the listener's wait queue and a connection's wakeup wakes the oldest
     * exclusive waiter only. The emulator's one-shot watches sat at the head, so the newer ACCEPT took the first
     * connection (ud 2 in slot 0, where the kernel had ud 1, in 4 of 4 runs).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void aConnectionWakesTheOldestAccept(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(2, setupFlags, 0),
                new Step.RegisterFiles(8, true, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, -1, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, -1, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.Enter(0, 2, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        // the kernel's: the first connection into slot 0 for the first ACCEPT, the second into slot 1
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, 1);
    }

    /**
     * A multishot POLL_ADD (POLLIN) of the unconnected TCP socket finds POLLHUP when it is armed, and queues task work
     * to post it (__io_arm_poll_handler). Then a CONNECT of the socket: its handshake wakes the socket without a key
     * (sk_state_change, sock_def_wakeup), which io_poll_wake counts. On a DEFER_TASKRUN ring the poll's task work has
     * not run by then, so it sees two wakeups: io_poll_check_events drops the POLLHUP stashed with the first and polls
     * again, and the connected socket has nothing for POLLIN: the poll posts nothing (seed 1449 of
     * {@link WorldLockstepTest}). The emulator's epoll never reported that wakeup, and it posted POLLHUP with
     * IORING_CQE_F_MORE (3 of 3 runs). Without DEFER_TASKRUN the first enter runs the task work as it returns,
     * before the CONNECT, and the poll posts POLLHUP.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void aConnectsWakeupWithoutAKeyMakesAQueuedPollLookAgain(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(8, setupFlags, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.TCP_CLIENT, 0, IORING_POLL_ADD_MULTI, POLLIN,
                        0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        if (setupFlags == 0) {
            assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L);
            assertThat(cqes).extracting(Cqe::res).containsExactly(POLLHUP, 0);
            assertThat(cqes).extracting(Cqe::flags).containsExactly(IORING_CQE_F_MORE, 0);
        } else {
            assertThat(cqes).extracting(Cqe::userData).containsExactly(2L);
            assertThat(cqes).extracting(Cqe::res).containsExactly(0);
        }
    }
}
