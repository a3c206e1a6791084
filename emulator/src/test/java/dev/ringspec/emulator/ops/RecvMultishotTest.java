package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RECV with IORING_RECV_MULTISHOT (io_uring/net.c) through {@link RecvMultishot}, on the emulator against this
 * machine's kernel, on a real AF_UNIX stream socket pair or a loopback TCP connection.
 */
@Tag("kernel")
class RecvMultishotTest {

    static long recvMultishot(RingScenario s, int fd, int bgid, long userData) {
        long at = s.sqe(IORING_OP_RECV, fd, userData);
        Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT);
        Sqe.ioprio(s.d.sqes(), at, IORING_RECV_MULTISHOT);
        Sqe.bufIndex(s.d.sqes(), at, bgid);
        return at;
    }

    /** Four provided buffers of 8 bytes (group 3, ids 0 to 3) over 32 bytes of dots; the PROVIDE is queued. */
    private static MemorySegment fourBuffers(RingScenario s, UserMemory m) {
        MemorySegment bufs = m.allocate(32);
        bufs.fill((byte) '.');
        s.provide(1, bufs.address(), 8, 4, 3, 0);
        return bufs;
    }

    private static List<Cqe> sameOnBoth(BothSides.Scenario scenario) throws Exception {
        return BothSides.sameOnBoth(KernelProfile.LINUX_6_18, TestOps.BOTH, scenario);
    }

    @Test
    void eachReceiveTakesOneBufferUntilThePeerCloses() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] sp = s.socketpair();
                MemorySegment bufs = m.allocate(48);
                s.provide(1, bufs.address(), 8, 6, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                recvMultishot(s, sp[0], 3, 2);
                s.submit();
                s.write(sp[1], "hello");
                out.addAll(s.await(1));
                s.write(sp[1], "twelve bytes");
                out.addAll(s.await(2));
                s.closeFd(sp[1]);
                out.addAll(s.await(1));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv.getLast().flags() & IORING_CQE_F_MORE).isZero();
        assertThat(recv.getLast().res()).as("end of stream").isZero();
    }

    /**
     * tcp_inq_hint answers 1 where a TCP socket holds no byte but has the peer's FIN: the last data CQE says
     * IORING_CQE_F_SOCK_NONEMPTY and the same issue receives the end of the stream, so all three CQEs come at submit;
     * the end's CQE (res 0) says it too, the hint being set on a receive of nothing as well.
     */
    @Test
    void aTcpPeersFinMarksTheLastDataCqeNonEmptyAndEndsTheReceiveInTheSameIssue() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] tcp = s.tcpPair();
                MemorySegment bufs = fourBuffers(s, m);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(tcp[1], "twelve bytes");
                s.closeFd(tcp[1]);
                s.awaitPeerShutdown(tcp[0]);
                recvMultishot(s, tcp[0], 3, 2);
                out.addAll(s.submitAndAwait(3));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv).extracting(Cqe::res).containsExactly(8, 4, 0);
        assertThat(recv).extracting(Cqe::flags).containsExactly(
                IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | IORING_CQE_F_SOCK_NONEMPTY,
                1 << 16 | IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | IORING_CQE_F_SOCK_NONEMPTY,
                IORING_CQE_F_SOCK_NONEMPTY);
    }

    /**
     * On a DEFER_TASKRUN ring the data and the FIN that came while nobody entered are received by one enter's task
     * work, end of stream included: a program that waits for one CQE and then peeks (liburing's recv-multishot
     * test) sees all of them.
     */
    @Test
    void oneDeferredEnterReceivesTheDataAndTheFinThatCameBeforeIt() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
                int[] tcp = s.tcpPair();
                MemorySegment bufs = fourBuffers(s, m);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                recvMultishot(s, tcp[0], 3, 2);
                s.submit();
                s.write(tcp[1], "0123456789");
                s.closeFd(tcp[1]);
                s.awaitPeerShutdown(tcp[0]);
                out.addAll(s.enterOnceAndPeek());
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv).extracting(Cqe::res).containsExactly(8, 2, 0);
        assertThat(recv.getLast().flags()).as("the end of the stream, the last CQE, with the FIN's hint")
                .isEqualTo(IORING_CQE_F_SOCK_NONEMPTY);
    }

    /**
     * A receive whose wakeup queued its task work is still in the cancel hash until that work runs: ASYNC_CANCEL
     * finds it (0) and marks it, and the work ends it with -ECANCELED instead of receiving (poll.c,
     * {@code io_poll_cancel_req}, {@code io_poll_check_events}). On a DEFER_TASKRUN ring the work waits for the next
     * GETEVENTS enter, and IORING_SQ_TASKRUN says it is queued.
     */
    @Test
    void cancellationFindsAReceiveWokenButNotRunYet() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            int flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
            try (RingScenario s = new RingScenario(k, m, 8, flags)) {
                int[] tcp = s.tcpPair();
                MemorySegment bufs = fourBuffers(s, m);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                recvMultishot(s, tcp[0], 3, 2);
                s.submit();
                s.write(tcp[1], "0123456789");
                long deadline = System.nanoTime() + 5_000_000_000L;
                while ((s.d.sq().readOnceFlags() & IORING_SQ_TASKRUN) == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(s.d.sq().readOnceFlags() & IORING_SQ_TASKRUN).as("the wakeup's task work queued")
                        .isNotZero();
                long at = s.sqe(IORING_OP_ASYNC_CANCEL, -1, 3);
                Sqe.addr(s.d.sqes(), at, 2);
                out.addAll(s.submitAndAwait(2));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        assertThat(cqes.stream().filter(c -> c.userData() == 2 || c.userData() == 3).map(Cqe::res))
                .containsExactly(0, -ECANCELED);
    }

    @Test
    void theGroupRunningDryEndsTheReceiveWithENOBUFS() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] sp = s.socketpair();
                MemorySegment bufs = m.allocate(16);
                s.provide(1, bufs.address(), 8, 2, 3, 40);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(sp[1], "twenty bytes of data");
                recvMultishot(s, sp[0], 3, 2);
                out.addAll(s.submitAndAwait(3));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
    }

    @Test
    void lenCapsEachReceiveAndOptlenTheirTotal() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 16)) {
                int[] sp = s.socketpair();
                MemorySegment bufs = m.allocate(64);
                s.provide(1, bufs.address(), 8, 8, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(sp[1], "0123456789abcdef");
                long at = recvMultishot(s, sp[0], 3, 2);
                Sqe.len(s.d.sqes(), at, 3);
                Sqe.fileIndex(s.d.sqes(), at, 10);
                out.addAll(s.submitAndAwait(4));
                s.remove(5, 8, 3);
                out.addAll(s.submitAndAwait(1));
                return ReadMultishotTest.checked(out);
            }
        });
    }

    @Test
    void cancellationEndsAWaitingReceive() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] sp = s.socketpair();
                s.provide(1, m.allocate(32).address(), 8, 4, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                long at = recvMultishot(s, sp[0], 3, 2);
                Sqe.ioprio(s.d.sqes(), at, IORING_RECV_MULTISHOT | IORING_RECVSEND_POLL_FIRST);
                s.submit();
                s.write(sp[1], "abc");
                out.addAll(s.await(1));
                at = s.sqe(IORING_OP_ASYNC_CANCEL, -1, 3);
                Sqe.addr(s.d.sqes(), at, 2);
                out.addAll(s.submitAndAwait(2));
                return ReadMultishotTest.checked(out);
            }
        });
    }

    @Test
    void prepRefusesWhatTheKernelRefuses() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] sp = s.socketpair();
                int[] p = s.pipe();
                s.provide(1, m.allocate(32).address(), 8, 4, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                MemorySegment q = s.d.sqes();
                LongConsumer recv = at -> {
                    Sqe.flags(q, at, IOSQE_BUFFER_SELECT);
                    Sqe.ioprio(q, at, IORING_RECV_MULTISHOT);
                    Sqe.bufIndex(q, at, 3);
                };
                int fd = sp[0];
                out.addAll(s.alone(IORING_OP_RECV, fd, 10, recv.andThen(at -> Sqe.flags(q, at, 0))));
                out.addAll(s.alone(IORING_OP_RECV, fd, 11, recv.andThen(at -> Sqe.opFlags(q, at, 0x100))));
                out.addAll(s.alone(IORING_OP_RECV, fd, 12, recv.andThen(at -> Sqe.ioprio(q, at, 0x42))));
                out.addAll(s.alone(IORING_OP_RECV, fd, 13, recv.andThen(at -> Sqe.off(q, at, 1))));
                out.addAll(s.alone(IORING_OP_RECV, fd, 14, recv.andThen(at -> Sqe.len(q, at, -1))));
                recvMultishot(s, p[0], 3, 20);
                out.addAll(s.submitAndAwait(1));
                recvMultishot(s, sp[0], 7, 21);
                out.addAll(s.submitAndAwait(1));
                return ReadMultishotTest.checked(out);
            }
        });
    }

    @Test
    void aFullCqEndsTheReceiveWithItsOwnCqe() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 1)) {
                int[] sp = s.socketpair();
                MemorySegment bufs = m.allocate(64);
                s.provide(1, bufs.address(), 4, 16, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(sp[1], "0123456789abcdefghijklmnopqrstuv");
                recvMultishot(s, sp[0], 3, 2);
                out.addAll(s.submitAndAwait(3));
                s.remove(4, 16, 3);
                out.addAll(s.submitAndAwait(1));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv).hasSize(3);
        assertThat(recv.getLast().flags() & IORING_CQE_F_MORE).isZero();
    }
}
