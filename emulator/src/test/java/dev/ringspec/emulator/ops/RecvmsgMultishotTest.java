package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RECVMSG with IORING_RECV_MULTISHOT (net.c's {@code io_recvmsg_prep_multishot}, {@code io_recvmsg_multishot}):
 * each receive fills one provided buffer with a {@code struct io_uring_recvmsg_out}, the sender's name, the control
 * data and the payload. On the emulator against this machine's kernel, buffers compared byte for byte.
 */
@Tag("kernel")
class RecvmsgMultishotTest {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PASSCRED = 16;
    private static final int MSG_TRUNC = 0x20;
    /** Each provided buffer: header 16, name 16, control 64, payload 8. */
    private static final int BUF = 16 + 16 + 64 + 8;

    @Test
    void datagramsComeWithTheirHeaderNameCredentialsAndATruncatedPayload() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int receiver = boundDatagram(m, "ringspec-recvmsg-mshot-receiver");
            int sender = boundDatagram(m, "ringspec-recvmsg-mshot-sender-with-a-long-name");
            try (RingScenario s = new RingScenario(k, m, 8)) {
                check(Linux.call(Linux.SYS_SETSOCKOPT, receiver, SOL_SOCKET, SO_PASSCRED, one(m).address(), 4, 0));
                check(Linux.call(Linux.SYS_CONNECT, sender, address(m, "ringspec-recvmsg-mshot-receiver").address(),
                        addressLength("ringspec-recvmsg-mshot-receiver")));
                MemorySegment bufs = m.allocate(4L * BUF, 8);
                s.provide(1, bufs.address(), BUF, 4, 5, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                // the name cut to 16 bytes (namelen says the whole length), room for one credentials message
                MemorySegment msg = m.allocate(Net.MSGHDR_SIZE, 8);
                msg.set(JAVA_INT, Net.MSG_NAMELEN, 16);
                msg.set(JAVA_LONG, Net.MSG_CONTROLLEN, 64);
                recvmsgMultishot(s, receiver, msg, MSG_TRUNC, 2);
                s.submit();
                NetRing.write(sender, "abcd");
                out.addAll(s.await(1));
                NetRing.write(sender, "0123456789");
                out.addAll(s.await(1));
                long at = s.sqe(IORING_OP_ASYNC_CANCEL, -1, 3);
                Sqe.addr(s.d.sqes(), at, 2);
                // the cancel's CQE and the receive's last: their order is not the point
                out.addAll(s.submitAndAwait(2).stream().sorted(Comparator.comparingLong(Cqe::userData)).toList());
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            } finally {
                NetRing.closeAll(receiver, sender);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        // 16 + 16 + 64 + the payload: 4, then 8 of 10
        assertThat(recv.subList(0, 2)).extracting(Cqe::res).containsExactly(100, 104);
        assertThat(recv.subList(0, 2)).allMatch(c -> (c.flags() & (IORING_CQE_F_MORE | IORING_CQE_F_BUFFER))
                == (IORING_CQE_F_MORE | IORING_CQE_F_BUFFER));
    }

    @Test
    void aStreamsEndIsAHeaderWithoutPayloadThatEndsTheRequest() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] sp = NetRing.socketpair(SOCK_STREAM);
            try (RingScenario s = new RingScenario(k, m, 8)) {
                MemorySegment bufs = m.allocate(4L * 24, 8);
                s.provide(1, bufs.address(), 24, 4, 5, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                // one iovec of 20 bytes: the first buffer holds the header and 4 bytes, later ones are taken whole
                MemorySegment iov = m.allocate(16, 8);
                iov.set(JAVA_LONG, 8, 20);
                MemorySegment msg = m.allocate(Net.MSGHDR_SIZE, 8);
                msg.set(JAVA_LONG, Net.MSG_IOV, iov.address());
                msg.set(JAVA_LONG, Net.MSG_IOVLEN, 1);
                recvmsgMultishot(s, sp[0], msg, 0, 2);
                s.submit();
                NetRing.write(sp[1], "hello, world");
                out.addAll(s.await(2));
                Linux.close(sp[1]);
                out.addAll(s.await(1));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            } finally {
                NetRing.closeAll(sp[0]);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv).extracting(Cqe::res).containsExactly(20, 24, 16);
        assertThat(recv.getLast().flags() & IORING_CQE_F_MORE).as("the end of the stream ends it").isZero();
    }

    /**
     * On TCP the peer's FIN keeps the inq hint at 1 (tcp_inq_hint): the last data CQE says
     * IORING_CQE_F_SOCK_NONEMPTY and the same issue fills the next buffer with the end's header (namelen 0: TCP
     * gives no name), which ends the request and says it too.
     */
    @Test
    void aTcpPeersFinAfterItsDataIsReceivedInTheSameIssueAsTheData() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] tcp = s.tcpPair();
                // each buffer: header 16, name 16, payload 8
                MemorySegment bufs = m.allocate(4L * 40, 8);
                bufs.fill((byte) '.');
                s.provide(1, bufs.address(), 40, 4, 5, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(tcp[1], "0123456789ab");
                s.closeFd(tcp[1]);
                s.awaitPeerShutdown(tcp[0]);
                MemorySegment msg = m.allocate(Net.MSGHDR_SIZE, 8);
                msg.set(JAVA_INT, Net.MSG_NAMELEN, 16);
                recvmsgMultishot(s, tcp[0], msg, 0, 2);
                out.addAll(s.submitAndAwait(3));
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        List<Cqe> recv = cqes.stream().filter(c -> c.userData() == 2).toList();
        assertThat(recv).extracting(Cqe::res).containsExactly(40, 36, 32);
        assertThat(recv).allMatch(c -> (c.flags() & (IORING_CQE_F_BUFFER | IORING_CQE_F_SOCK_NONEMPTY))
                == (IORING_CQE_F_BUFFER | IORING_CQE_F_SOCK_NONEMPTY));
        assertThat(recv.getLast().flags() & IORING_CQE_F_MORE).as("the end of the stream ends it").isZero();
    }

    private static void recvmsgMultishot(RingScenario s, int fd, MemorySegment msg, int msgFlags, long userData) {
        long at = s.sqe(IORING_OP_RECVMSG, fd, userData);
        Sqe.addr(s.d.sqes(), at, msg.address());
        Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT);
        Sqe.ioprio(s.d.sqes(), at, IORING_RECV_MULTISHOT);
        Sqe.bufIndex(s.d.sqes(), at, 5);
        Sqe.opFlags(s.d.sqes(), at, msgFlags);
    }

    /** An AF_UNIX datagram socket bound to the abstract {@code name}. */
    private static int boundDatagram(UserMemory m, String name) {
        int fd = (int) Linux.call(Linux.SYS_SOCKET, AF_UNIX, SOCK_DGRAM, 0);
        check(fd);
        check(Linux.call(Linux.SYS_BIND, fd, address(m, name).address(), addressLength(name)));
        return fd;
    }

    /** {@code struct sockaddr_un} of an abstract name: the family, a 0 byte, the name. */
    private static MemorySegment address(UserMemory m, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment addr = m.allocate(110, 8);
        addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(b, 0, addr, JAVA_BYTE, 3, b.length);
        return addr;
    }

    private static int addressLength(String name) {
        return 3 + name.length();
    }

    private static MemorySegment one(UserMemory m) {
        MemorySegment v = m.allocate(4, 4);
        v.set(JAVA_INT, 0, 1);
        return v;
    }

    private static void check(long r) {
        if (r < 0) {
            throw new IllegalStateException("errno " + -r);
        }
    }
}
