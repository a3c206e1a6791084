package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IOSQE_ASYNC requests that io-wq's worker issues itself, emulator against this kernel with real I/O, on a plain and
 * a DEFER_TASKRUN ring (the lockstep makes them forced-async with IOSQE_ASYNC, and every request submitted while a
 * drain is active). io_wq_submit_work issues the request on the worker when it runs: a POLL_ADD is armed there, a
 * TIMEOUT's timer starts there, a MSG_RING is sent there, a NOP with IORING_NOP_TW queues its task work there, and
 * an opcode that polls (CONNECT, ACCEPT) is tried without blocking there and arms its poll from there on -EAGAIN.
 * A multishot ACCEPT or RECV (REQ_F_APOLL_MULTISHOT) only arms its poll on the worker, and its wakeups issue it
 * from task work. The emulator issued the first group on the ring's task when it ran the io-wq item as task work,
 * which on a DEFER_TASKRUN ring is the next GETEVENTS: the timer started after the clock had moved,
 * IORING_SQ_TASKRUN was up where the kernel's worker had queued no task work, and the message's and the NOP's CQEs
 * waited for a second GETEVENTS. It armed a multishot receive's poll on the worker, whose wakeup
 * sent it back to io-wq, so it never received.
 */
@Tag("kernel")
class WorldIoWqWorkerIssueTest {
    private static final int RUNS = 3;
    private static final int DEFER_TASKRUN = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG;
    private static final int POLLIN = 1;
    private static final int ETIME = 62;
    /** IORING_CQE_F_BUFFER | IORING_CQE_F_MORE, buffer id 0. */
    private static final int BUFFER_MORE = 3;
    /** IORING_CQE_F_MORE. */
    private static final int MORE = 2;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * {@code request} (user_data 1) on a ring of {@code setupFlags} with 8 registered files, submitted by an enter
     * without GETEVENTS, {@code before} the world's act and {@code after} it, then two GETEVENTS enters; each step
     * compared, {@link #RUNS} times; the CQEs the kernel shows after the last.
     */
    private static List<Cqe> cqesAgreed(int setupFlags, List<Step> before, Step.WriteIo request, Step.Outside after) {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, setupFlags, 0),
                new Step.RegisterFiles(8, true, 0)));
        steps.addAll(before);
        steps.addAll(List.of(request, new Step.WriteArray(request.slot(), request.slot() & 3),
                new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        if (after != null) {
            steps.add(after);
        }
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new java.util.TreeMap<>();
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        System.out.println("choices taken: " + taken);
        return cqes;
    }

    private static Step.WriteIo async(int opcode, int ioprio, int target, long off, int len, int opFlags, int buf,
            int fileIndex) {
        return new Step.WriteIo(0, opcode, IOSQE_ASYNC, ioprio, target, off, len, opFlags, buf, 0, fileIndex, 1);
    }

    /**
     * A multishot POLL_ADD (POLLIN) of the socket before the peer writes: the worker arms it, the write wakes it, and
     * its CQE (IORING_CQE_F_MORE) is posted by the task work the wakeup queued. The emulator armed it at the next
     * GETEVENTS, whose wakeup's task work then waited for another.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncMultishotPollIsArmedOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_POLL_ADD, 0, OutsideWorld.SOCKET, 0,
                IORING_POLL_ADD_MULTI, POLLIN, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.SOCKET_PEER, 5)))
                .extracting(Cqe::userData, Cqe::res, Cqe::flags).containsExactly(tuple(1L, POLLIN, MORE));
    }

    /** The same poll after the peer's write: the worker's arm finds the socket readable and queues the CQE. */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncMultishotPollOfAReadySocketPostsFromTheWorkersArm(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(new Step.Outside(Step.Outside.WRITE, OutsideWorld.SOCKET_PEER, 5)),
                async(IORING_OP_POLL_ADD, 0, OutsideWorld.SOCKET, 0, IORING_POLL_ADD_MULTI, POLLIN, 0, 0), null))
                .extracting(Cqe::userData, Cqe::res, Cqe::flags).containsExactly(tuple(1L, POLLIN, MORE));
    }

    /**
     * A 5 ms TIMEOUT: the worker starts its timer before the enter returns, so the 20 ms the world's clock moves
     * next end it (-ETIME at the first GETEVENTS). The emulator started it at that GETEVENTS.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncTimeoutStartsOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_TIMEOUT, 0, -1, 0, 0, 0, 0, 0),
                WorldSteps.advanceClock()))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, -ETIME));
    }

    /**
     * An ACCEPT into an allocated direct descriptor before the peer connects: the worker's try finds no connection
     * and arms the poll (no task work, IORING_SQ_TASKRUN clear); the connection wakes it, and its task work sends it
     * back to io-wq, whose worker takes the connection: the CQE waits for the second GETEVENTS.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncAcceptArmsItsPollOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_ACCEPT, 0, OutsideWorld.LISTENER, 0, 0, 0, 0,
                IORING_FILE_INDEX_ALLOC), new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0)))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0));
    }

    /**
     * The same ACCEPT on a ring without DEFER_TASKRUN, one side at a time and without the lockstep's settling
     * ({@link WorldIoWqIssueTest#cqesAfterTheTasksOwnCall}): the task's own connect wakes the listener inside the
     * call (a loopback handshake), the poll's task work runs at the connect's return and sends the request to io-wq
     * again, whose worker takes the connection and posts the CQE with no further call into io_uring. The emulator
     * ran that task work only in the empty enter after the step, and its CQE came one call later.
     */
    @org.junit.jupiter.api.Test
    void theTasksOwnConnectRunsTheWorkersAcceptPollAtItsReturn() {
        List<Step> before = List.of(new Step.Setup(4, 0, 0), new Step.RegisterFiles(8, true, 0),
                async(IORING_OP_ACCEPT, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, IORING_FILE_INDEX_ALLOC),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                WorldSteps.advanceClock());
        assertThat(WorldIoWqIssueTest.cqesAfterTheTasksOwnCall(before, IORING_OP_ACCEPT,
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0)))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0));
    }

    /**
     * A multishot ACCEPT, which the worker only arms (REQ_F_APOLL_MULTISHOT), before and after the peer connects:
     * its connection is taken by the wakeup's task work, as where the ring's task arms it.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncMultishotAcceptTakesItsConnectionFromTaskWork(int setupFlags) {
        Step.WriteIo accept = async(IORING_OP_ACCEPT, IORING_ACCEPT_MULTISHOT, OutsideWorld.LISTENER, 0, 0, 0, 0,
                IORING_FILE_INDEX_ALLOC);
        Step.Outside connect = new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0);
        assertThat(cqesAgreed(setupFlags, List.of(), accept, connect)).extracting(Cqe::userData, Cqe::res,
                Cqe::flags).containsExactly(tuple(1L, 0, MORE));
        assertThat(cqesAgreed(setupFlags, List.of(connect), accept, null)).extracting(Cqe::userData, Cqe::res,
                Cqe::flags).containsExactly(tuple(1L, 0, MORE));
    }

    /**
     * A CONNECT of the TCP client to the world's listener: the worker's try answers -EINPROGRESS, and its poll finds
     * the loopback connection made, so the worker connects again at once (IO_APOLL_READY) and completes: the CQE is
     * there at the first GETEVENTS. The emulator connected at that GETEVENTS and armed a poll there.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncConnectIsMadeOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_CONNECT, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0,
                0), null)).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0));
    }

    /**
     * A MSG_RING to the ring itself: the worker sends it (to a DEFER_TASKRUN ring as the target's task work, then
     * its own completion's), so both CQEs are there at the first GETEVENTS.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncMessageIsSentOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_MSG_RING, 0, -1, 1234, 5, 0, 0, 0), null))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1234L, 5), tuple(1L, 0));
    }

    /**
     * A NOP, plain and with IORING_NOP_TW: the worker issues both; the second queues its completion as task work from
     * there, so its CQE is posted at the first GETEVENTS. The emulator queued that task work at that GETEVENTS, whose
     * run of task work had begun: IORING_SQ_TASKRUN stayed up and the CQE waited for the second.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncNopIsIssuedOnTheWorker(int setupFlags) {
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_NOP, 0, -1, 0, 0, 0, 0, 0), null))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0));
        assertThat(cqesAgreed(setupFlags, List.of(), async(IORING_OP_NOP, 0, -1, 0, 0, IORING_NOP_TW, 0, 0), null))
                .extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0));
    }

    /**
     * A multishot RECV with provided buffers (group 0, 4 of them) after the peer wrote 5 bytes: the worker only arms
     * its poll, the socket is readable, and the wakeup's task work receives (IORING_CQE_F_BUFFER | F_MORE).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, DEFER_TASKRUN})
    void anAsyncMultishotReceiveReceivesFromTaskWork(int setupFlags) {
        List<Step> before = List.of(new Step.WriteIo(0, IORING_OP_PROVIDE_BUFFERS, 0, 0, 4, 0,
                OutsideWorld.PROVIDED_BYTES, 0, 0, 0, 0, 99), new Step.WriteArray(0, 0), new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.SOCKET_PEER, 5));
        Step.WriteIo recv = new Step.WriteIo(1, IORING_OP_RECV, IOSQE_ASYNC | IOSQE_BUFFER_SELECT,
                IORING_RECV_MULTISHOT, OutsideWorld.SOCKET, 0, 0, 0, 0, 0, 0, 1);
        assertThat(cqesAgreed(setupFlags, before, recv, null)).extracting(Cqe::userData, Cqe::res, Cqe::flags)
                .containsExactly(tuple(99L, 0, 0), tuple(1L, 5, BUFFER_MORE));
    }
}
