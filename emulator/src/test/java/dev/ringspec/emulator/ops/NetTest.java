package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.AF_UNIX;
import static dev.ringspec.emulator.ops.NetRing.SOCK_DGRAM;
import static dev.ringspec.emulator.ops.NetRing.SOCK_STREAM;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SHUTDOWN;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** net.c on the emulator against this machine's kernel: the same CQEs, the same bytes moved. */
@Tag("kernel")
class NetTest {
    private static final int SHUT_WR = 1;

    /**
     * A CQE whose result is a new descriptor of the process, with the result 0 once it is checked to be open: the
     * numbers differ between the two runs (the JVM and the emulator hold descriptors of their own).
     */
    static Cqe descriptor(Cqe c) {
        if (c.res() < 0) {
            return c;
        }
        assertThat(Linux.isOpen(c.res())).as("descriptor %d of CQE %s is open", c.res(), c).isTrue();
        return new Cqe(c.userData(), 0, c.flags(), c.big0(), c.big1());
    }

    @Test
    void sendAndRecvOnASocketpairMoveTheBytes() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("hello, ring");
                MemorySegment in = m.allocate(64);
                r.sqe(IORING_OP_SEND, sv[0], 0, out.address(), 11, 0, 1);
                r.sqe(IORING_OP_RECV, sv[1], 0, in.address(), 5, 0, 2);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(2));
                assertThat(NetRing.text(in, 5)).isEqualTo("hello");
                // the rest is still there: a second receive takes it
                r.sqe(IORING_OP_RECV, sv[1], 0, in.address(), 64, 0, 3);
                c.addAll(r.submitAndWait(1));
                assertThat(NetRing.text(in, 6)).isEqualTo(", ring");
                return c;
            } finally {
                NetRing.closeAll(sv);
            }
        });
    }

    @Test
    void aRecvWaitsUntilThePeerSendsAndEndsWithZeroAfterItsShutdown() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment in = m.allocate(64);
                r.sqe(IORING_OP_RECV, sv[1], 0, in.address(), 64, 0, 1);
                assertThat(r.submit()).isEqualTo(1);
                Thread.sleep(50);
                assertThat(r.drain()).as("nothing to receive yet").isEmpty();
                NetRing.write(sv[0], "late");
                List<Cqe> c = new ArrayList<>(r.await(1));
                assertThat(NetRing.text(in, 4)).isEqualTo("late");
                r.sqe(IORING_OP_RECV, sv[1], 0, in.address(), 64, 0, 2);
                r.submit();
                Thread.sleep(20);
                Linux.call(Linux.SYS_SHUTDOWN, sv[0], SHUT_WR);
                c.addAll(r.await(1));
                // SHUTDOWN through the ring, and a receive on a datagram pair that the user's MSG_DONTWAIT ends
                r.sqe(IORING_OP_SHUTDOWN, sv[1], 0, 0, SHUT_WR, 0, 3);
                c.addAll(r.submitAndWait(1));
                int[] dg = NetRing.socketpair(SOCK_DGRAM);
                r.sqe(IORING_OP_RECV, dg[0], 0, in.address(), 64, 0x40, 4);
                c.addAll(r.submitAndWait(1));
                NetRing.closeAll(dg);
                return c;
            } finally {
                NetRing.closeAll(sv);
            }
        });
    }

    @Test
    void sendmsgAndRecvmsgCarryIovecsAndWriteTheHeaderBack() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_DGRAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment a = r.bytes("abc");
                MemorySegment b = r.bytes("defg");
                MemorySegment iov = m.allocate(32, 8);
                iov.set(JAVA_LONG, 0, a.address());
                iov.set(JAVA_LONG, 8, 3);
                iov.set(JAVA_LONG, 16, b.address());
                iov.set(JAVA_LONG, 24, 4);
                MemorySegment msg = m.allocate(56, 8);
                msg.set(JAVA_LONG, 16, iov.address());
                msg.set(JAVA_LONG, 24, 2);
                r.sqe(IORING_OP_SENDMSG, sv[0], 0, msg.address(), 0, 0, 1);
                MemorySegment in = m.allocate(4, 8);
                MemorySegment iin = m.allocate(16, 8);
                iin.set(JAVA_LONG, 0, in.address());
                iin.set(JAVA_LONG, 8, 4);
                MemorySegment rmsg = m.allocate(56, 8);
                rmsg.set(JAVA_LONG, 16, iin.address());
                rmsg.set(JAVA_LONG, 24, 1);
                r.sqe(IORING_OP_RECVMSG, sv[1], 0, rmsg.address(), 0, 0, 2);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(2));
                assertThat(NetRing.text(in, 4)).isEqualTo("abcd");
                // the datagram was longer than the buffer: MSG_TRUNC in the header's flags, as the kernel writes it
                c.add(new Cqe(-1, rmsg.get(JAVA_INT, 48), 0, 0, 0));
                return c;
            } finally {
                NetRing.closeAll(sv);
            }
        });
    }

    @Test
    void loopbackTcpSocketConnectAcceptSendRecv() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            MemorySegment addr = m.allocate(16, 8);
            int listener = NetRing.listener(addr);
            try (NetRing r = new NetRing(k, m)) {
                r.sqe(IORING_OP_SOCKET, NetRing.AF_INET, SOCK_STREAM, 0, 0, 0, 1);
                Cqe sock = r.submitAndWait(1).getFirst();
                int client = sock.res();
                List<Cqe> c = new ArrayList<>(List.of(descriptor(sock)));
                r.sqe(IORING_OP_ACCEPT, listener, 0, 0, 0, 0, 2);
                r.sqe(IORING_OP_CONNECT, client, 16, addr.address(), 0, 0, 3);
                // the listener's and the client's wakeups are two events: their order is the network's
                List<Cqe> pair = new ArrayList<>(r.submitAndWait(2));
                pair.sort(Comparator.comparingLong(Cqe::userData));
                int accepted = pair.get(0).res();
                c.add(descriptor(pair.get(0)));
                c.add(pair.get(1));
                MemorySegment out = r.bytes("ping-pong");
                MemorySegment in = m.allocate(16);
                r.sqe(IORING_OP_SEND, client, 0, out.address(), 9, 0, 4);
                c.addAll(r.submitAndWait(1));
                Thread.sleep(20);
                r.sqe(IORING_OP_RECV, accepted, 0, in.address(), 4, 0, 5);
                c.addAll(r.submitAndWait(1));
                assertThat(NetRing.text(in, 4)).isEqualTo("ping");
                NetRing.closeAll(client, accepted);
                return c;
            } finally {
                NetRing.closeAll(listener);
            }
        });
    }

    @Test
    void multishotAcceptIntoDirectDescriptorsWhichSendAfterwards() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            MemorySegment addr = m.allocate(16, 8);
            int listener = NetRing.listener(addr);
            List<Integer> clients = new ArrayList<>();
            try (NetRing r = new NetRing(k, m)) {
                assertThat(r.registerSparseFiles(8)).isZero();
                for (int i = 0; i < 3; i++) {
                    clients.add(connect(addr));
                }
                long at = r.sqe(IORING_OP_ACCEPT, listener, 0, 0, 0, 0, 7);
                r.ioprio(at, IORING_ACCEPT_MULTISHOT);
                r.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(3));
                clients.add(connect(addr));
                c.addAll(r.await(1));
                assertThat(c).allSatisfy(e -> assertThat(e.flags() & IORING_CQE_F_MORE).isNotZero());
                MemorySegment out = r.bytes("via slot 3");
                long s = r.sqe(IORING_OP_SEND, 3, 0, out.address(), 10, 0, 8);
                r.flags(s, IOSQE_FIXED_FILE);
                c.addAll(r.submitAndWait(1));
                assertThat(NetRing.read(clients.get(3), 64)).isEqualTo("via slot 3");
                return c;
            } finally {
                NetRing.closeAll(listener);
                clients.forEach(Linux::close);
            }
        });
    }

    @Test
    void aMultishotAcceptEndsWithoutMoreWhenTheCqIsFull() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            MemorySegment addr = m.allocate(16, 8);
            int listener = NetRing.listener(addr);
            List<Integer> fds = new ArrayList<>();
            try (NetRing r = new NetRing(k, m, 1, IORING_SETUP_SUBMIT_ALL)) {
                for (int i = 0; i < 3; i++) {
                    fds.add(connect(addr));
                }
                long at = r.sqe(IORING_OP_ACCEPT, listener, 0, 0, 0, 0, 7);
                r.ioprio(at, IORING_ACCEPT_MULTISHOT);
                List<Cqe> c = new ArrayList<>();
                for (Cqe e : r.submitAndWait(3)) {
                    c.add(descriptor(e));
                    fds.add(e.res());
                }
                return c;
            } finally {
                NetRing.closeAll(listener);
                fds.forEach(Linux::close);
            }
        });
    }

    @Test
    void aDirectSocketConnectsWithFixedFile() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            MemorySegment addr = m.allocate(16, 8);
            int listener = NetRing.listener(addr);
            try (NetRing r = new NetRing(k, m)) {
                assertThat(r.registerSparseFiles(4)).isZero();
                long at = r.sqe(IORING_OP_SOCKET, NetRing.AF_INET, SOCK_STREAM, 0, 0, 0, 1);
                r.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                at = r.sqe(IORING_OP_SOCKET, AF_UNIX, SOCK_STREAM, 0, 0, 0, 2);
                r.fileIndex(at, 4);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(2));
                at = r.sqe(IORING_OP_CONNECT, 0, 16, addr.address(), 0, 0, 3);
                r.flags(at, IOSQE_FIXED_FILE);
                c.addAll(r.submitAndWait(1));
                int peer = (int) Linux.call(Linux.SYS_ACCEPT4, listener, 0, 0, 0, 0, 0);
                MemorySegment out = r.bytes("direct");
                at = r.sqe(IORING_OP_SEND, 0, 0, out.address(), 6, 0, 4);
                r.flags(at, IOSQE_FIXED_FILE);
                c.addAll(r.submitAndWait(1));
                assertThat(NetRing.read(peer, 64)).isEqualTo("direct");
                NetRing.closeAll(peer);
                return c;
            } finally {
                NetRing.closeAll(listener);
            }
        });
    }

    @Test
    void badInputGetsTheKernelsErrno() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_STREAM);
            int[] pipe = pipe();
            try (NetRing r = new NetRing(k, m, 32, IORING_SETUP_SUBMIT_ALL)) {
                MemorySegment buf = m.allocate(64);
                long at = r.sqe(IORING_OP_SEND, sv[0], 0, buf.address(), 4, 0, 1);
                r.ioprio(at, 0x80);
                at = r.sqe(IORING_OP_RECV, sv[1], 0, buf.address(), 4, 0, 2);
                r.ioprio(at, IORING_RECV_MULTISHOT);
                at = r.sqe(IORING_OP_RECV, sv[1], 0, 0, 4, 0, 3);
                r.flags(at, IOSQE_BUFFER_SELECT);
                r.sqe(IORING_OP_RECV, sv[1], 5, buf.address(), 4, 0, 4);
                r.sqe(IORING_OP_SEND, pipe[1], 0, buf.address(), 4, 0, 5);
                r.sqe(IORING_OP_ACCEPT, sv[0], 0, 0, 1, 0, 6);
                at = r.sqe(IORING_OP_ACCEPT, sv[0], 0, 0, 0, 0, 7);
                r.ioprio(at, IORING_ACCEPT_MULTISHOT);
                r.fileIndex(at, 3);
                r.sqe(IORING_OP_ACCEPT, sv[0], 0, 0, 0, 0x1, 8);
                r.sqe(IORING_OP_CONNECT, sv[0], 129, buf.address(), 0, 0, 9);
                r.sqe(IORING_OP_CONNECT, sv[0], 16, 0x10, 0, 0, 10);
                r.sqe(IORING_OP_SHUTDOWN, pipe[0], 0, 0, 0, 0, 11);
                r.sqe(IORING_OP_SHUTDOWN, sv[0], 1, 0, 0, 0, 12);
                r.sqe(IORING_OP_SEND, sv[0], 0, 0x10, 4, 0, 13);
                r.sqe(IORING_OP_SOCKET, 4242, SOCK_STREAM, 0, 0, 0, 14);
                r.sqe(IORING_OP_SOCKET, AF_UNIX, SOCK_STREAM | 0x40000000, 0, 0, 0, 15);
                at = r.sqe(IORING_OP_SOCKET, AF_UNIX, SOCK_STREAM, 0, 0, 0, 16);
                r.fileIndex(at, 1);
                at = r.sqe(IORING_OP_SEND, sv[0], 0, buf.address(), 4, 0, 17);
                r.ioprio(at, IORING_SEND_VECTORIZED);
                at = r.sqe(IORING_OP_RECVMSG, sv[1], 0, 0x10, 0, 0, 18);
                r.sqe(IORING_OP_SENDMSG, sv[0], 1, buf.address(), 0, 0, 19);
                at = r.sqe(IORING_OP_RECV, sv[1], 0, buf.address(), 4, 0, 20);
                r.ioprio(at, IORING_RECVSEND_POLL_FIRST | 0x40);
                List<Cqe> c = r.submitAndWait(20);
                List<Cqe> sorted = new ArrayList<>(c);
                sorted.sort(Comparator.comparingLong(Cqe::userData));
                return sorted;
            } finally {
                NetRing.closeAll(sv);
                NetRing.closeAll(pipe);
            }
        });
    }

    static int connect(MemorySegment addr) {
        int fd = (int) Linux.call(Linux.SYS_SOCKET, NetRing.AF_INET, SOCK_STREAM, 0);
        long r = Linux.call(Linux.SYS_CONNECT, fd, addr.address(), 16);
        if (r < 0) {
            throw new IllegalStateException("connect " + r);
        }
        return fd;
    }

    static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        Linux.call(Linux.SYS_PIPE2, fds.address(), 0);
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    @Test
    void singleShotReceivesTakeOneProvidedBufferEachAndThenENOBUFS() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] sp = s.socketpair();
                MemorySegment bufs = m.allocate(16);
                s.provide(1, bufs.address(), 8, 2, 3, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                s.write(sp[1], "0123456789abcdef");
                // RECV asks for 5 bytes of the first buffer
                long at = s.sqe(IORING_OP_RECV, sp[0], 2);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT);
                Sqe.bufIndex(s.d.sqes(), at, 3);
                Sqe.len(s.d.sqes(), at, 5);
                out.addAll(s.submitAndAwait(1));
                // RECVMSG's one iovec of length 0 takes the whole second buffer; a third finds the group empty
                MemorySegment msg = m.allocate(Net.MSGHDR_SIZE + 16);
                msg.set(JAVA_LONG, Net.MSG_IOV, msg.address() + Net.MSGHDR_SIZE);
                msg.set(JAVA_LONG, Net.MSG_IOVLEN, 1);
                for (long userData = 4; userData <= 5; userData++) {
                    at = s.sqe(IORING_OP_RECVMSG, sp[0], userData);
                    Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT);
                    Sqe.bufIndex(s.d.sqes(), at, 3);
                    Sqe.addr(s.d.sqes(), at, msg.address());
                    out.addAll(s.submitAndAwait(1));
                }
                out.addAll(RingScenario.data(bufs));
                return ReadMultishotTest.checked(out);
            }
        });
        assertThat(cqes.stream().filter(c -> c.userData() >= 2 && c.userData() <= 5).map(Cqe::res))
                .containsExactly(5, 8, -ENOBUFS);
    }
}
