package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.AF_INET;
import static dev.ringspec.emulator.ops.NetRing.SOCK_DGRAM;
import static dev.ringspec.emulator.ops.NetRing.SOCK_STREAM;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOTSOCK;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_NOTIF;
import static dev.ringspec.uapi.IoUring.IORING_NOTIF_USAGE_ZC_COPIED;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_FIXED_BUF;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SEND_ZC_REPORT_USAGE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * net.c's zero-copy sends on the emulator against this machine's kernel: the result CQE with IORING_CQE_F_MORE, the
 * notification with IORING_CQE_F_NOTIF after it, their results, flags and order, on loopback TCP and UDP and on an
 * AF_UNIX socketpair (no SOCK_SUPPORT_ZC), the prep's refusals, failures in chains, and sends too big for one call.
 */
@Tag("kernel")
class NetZcTest {
    private static final long SYS_SOCKET = 41;
    private static final long SYS_CONNECT = 42;
    private static final long SYS_ACCEPT = 43;
    private static final long SYS_BIND = 49;
    private static final long SYS_GETSOCKNAME = 51;
    private static final long SYS_PIPE2 = 293;

    /** A connected loopback TCP pair: client, accepted. */
    private static int[] tcpPair(MemorySegment addr) {
        int listener = NetRing.listener(addr);
        int client = (int) Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM, 0);
        assertThat(Linux.call(SYS_CONNECT, client, addr.address(), 16)).isZero();
        int accepted = (int) Linux.call(SYS_ACCEPT, listener, 0, 0);
        Linux.close(listener);
        return new int[] {client, accepted};
    }

    @Test
    void aSendPostsItsResultWithMoreThenTheNotification() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] tcp = tcpPair(m.allocate(16, 8));
            int[] unix = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("zero-copy, or so it says");
                List<Cqe> all = new ArrayList<>();
                r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 24, 0, 1);
                all.addAll(r.submitAndWait(2));
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, tcp[1], 0, out.address(), 10, 0, 2), IORING_SEND_ZC_REPORT_USAGE);
                all.addAll(r.submitAndWait(2));
                // an AF_UNIX socket has no SOCK_SUPPORT_ZC; a pipe is no socket: both fail with F_MORE and notify
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, unix[0], 0, out.address(), 5, 0, 3), IORING_SEND_ZC_REPORT_USAGE);
                all.addAll(r.submitAndWait(2));
                r.sqe(IORING_OP_SEND_ZC, pipe()[1], 0, out.address(), 5, 0, 4);
                all.addAll(r.submitAndWait(2));
                assertThat(NetRing.read(tcp[1], 64)).isEqualTo("zero-copy, or so it says");
                assertThat(NetRing.read(tcp[0], 64)).isEqualTo("zero-copy,");
                return all;
            } finally {
                NetRing.closeAll(tcp[0], tcp[1], unix[0], unix[1]);
            }
        });
        assertThat(c).containsExactly(new Cqe(1, 24, IORING_CQE_F_MORE, 0, 0), new Cqe(1, 0, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(2, 10, IORING_CQE_F_MORE, 0, 0),
                new Cqe(2, IORING_NOTIF_USAGE_ZC_COPIED, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(3, -EOPNOTSUPP, IORING_CQE_F_MORE, 0, 0),
                new Cqe(3, IORING_NOTIF_USAGE_ZC_COPIED, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(4, -ENOTSOCK, IORING_CQE_F_MORE, 0, 0), new Cqe(4, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void theRefusalsBeforeTheNotificationPostOneCqeThoseAfterItTwo() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] tcp = tcpPair(m.allocate(16, 8));
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("x");
                List<Cqe> all = new ArrayList<>();
                // an unknown ioprio flag: after io_alloc_notif
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 1), 0x8000);
                all.addAll(r.submitAndWait(2));
                // CQE_SKIP_SUCCESS, __pad2[0] and (6.18) addr3: before it
                r.flags(r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 2), IOSQE_CQE_SKIP_SUCCESS);
                long pad = r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 3);
                r.d.sqes().set(JAVA_LONG, pad + 56, 1);
                r.addr3(r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 4), 77);
                all.addAll(r.submitAndWait(3));
                // a registered buffer that does not exist; an unreadable buffer; an unreadable destination
                long fixed = r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 5);
                r.ioprio(fixed, IORING_RECVSEND_FIXED_BUF);
                r.bufIndex(fixed, 3);
                all.addAll(r.submitAndWait(2));
                r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, 1, 100, 0, 6);
                all.addAll(r.submitAndWait(2));
                long dest = r.sqe(IORING_OP_SEND_ZC, tcp[0], 1, out.address(), 1, 0, 7);
                r.fileIndex(dest, 16 << 16 >>> 16);
                all.addAll(r.submitAndWait(2));
                // SENDMSG_ZC without a msghdr
                r.sqe(IORING_OP_SENDMSG_ZC, tcp[0], 0, 0, 0, 0, 8);
                all.addAll(r.submitAndWait(2));
                assertThat(r.drain()).isEmpty();
                return all;
            } finally {
                NetRing.closeAll(tcp);
            }
        });
        assertThat(c).containsExactly(new Cqe(1, -EINVAL, IORING_CQE_F_MORE, 0, 0),
                new Cqe(1, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(2, -EINVAL, 0, 0, 0), new Cqe(3, -EINVAL, 0, 0, 0),
                new Cqe(4, -EINVAL, 0, 0, 0), new Cqe(5, -EFAULT, IORING_CQE_F_MORE, 0, 0),
                new Cqe(5, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(6, -EFAULT, IORING_CQE_F_MORE, 0, 0),
                new Cqe(6, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(7, -EFAULT, IORING_CQE_F_MORE, 0, 0),
                new Cqe(7, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(8, -EFAULT, IORING_CQE_F_MORE, 0, 0),
                new Cqe(8, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void aChainFailedAroundZeroCopySendsCancelsThemWithoutMoreAndStillNotifies() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] tcp = tcpPair(m.allocate(16, 8));
            int[] unix = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("x");
                List<Cqe> all = new ArrayList<>();
                r.flags(r.sqe(IORING_OP_NOP, -1, 0, 0, 0, 0, 1), IOSQE_IO_LINK);
                long bad = r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 2);
                r.ioprio(bad, 0x8000);
                r.flags(bad, IOSQE_IO_LINK);
                r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 3);
                all.addAll(r.submitAndWait(5));
                r.flags(r.sqe(IORING_OP_SEND_ZC, unix[0], 0, out.address(), 1, 0, 4), IOSQE_IO_LINK);
                r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), 1, 0, 5);
                all.addAll(r.submitAndWait(4));
                return all;
            } finally {
                NetRing.closeAll(tcp[0], tcp[1], unix[0], unix[1]);
            }
        });
        assertThat(c).containsExactly(new Cqe(1, -ECANCELED, 0, 0, 0), new Cqe(2, -EINVAL, 0, 0, 0),
                new Cqe(3, -ECANCELED, 0, 0, 0), new Cqe(2, 0, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(3, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(4, -EOPNOTSUPP, IORING_CQE_F_MORE, 0, 0),
                new Cqe(5, -ECANCELED, 0, 0, 0), new Cqe(4, 0, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(5, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void udpWithADestinationSendmsgZcAndForcedAsyncAndPollFirst() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            MemorySegment addr = m.allocate(16, 8);
            int rx = (int) Linux.call(SYS_SOCKET, AF_INET, SOCK_DGRAM, 0);
            int tx = (int) Linux.call(SYS_SOCKET, AF_INET, SOCK_DGRAM, 0);
            NetRing.loopback(addr, 0);
            assertThat(Linux.call(SYS_BIND, rx, addr.address(), 16)).isZero();
            MemorySegment len = m.allocate(4, 4);
            len.set(JAVA_INT, 0, 16);
            assertThat(Linux.call(SYS_GETSOCKNAME, rx, addr.address(), len.address())).isZero();
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("datagram");
                List<Cqe> all = new ArrayList<>();
                // no destination on an unconnected socket: -EDESTADDRREQ at the send
                r.sqe(IORING_OP_SEND_ZC, tx, 0, out.address(), 8, 0, 1);
                all.addAll(r.submitAndWait(2));
                long to = r.sqe(IORING_OP_SEND_ZC, tx, addr.address(), out.address(), 8, 0, 2);
                r.fileIndex(to, 16);
                r.ioprio(to, IORING_RECVSEND_POLL_FIRST | IORING_SEND_ZC_REPORT_USAGE);
                all.addAll(r.submitAndWait(2));
                assertThat(NetRing.read(rx, 64)).isEqualTo("datagram");
                MemorySegment iov = m.allocate(16, 8);
                iov.set(JAVA_LONG, 0, out.address());
                iov.set(JAVA_LONG, 8, 4);
                MemorySegment msg = m.allocate(56, 8);
                msg.set(JAVA_LONG, 0, addr.address());
                msg.set(JAVA_INT, 8, 16);
                msg.set(JAVA_LONG, 16, iov.address());
                msg.set(JAVA_LONG, 24, 1);
                r.flags(r.sqe(IORING_OP_SENDMSG_ZC, tx, 0, msg.address(), 0, 0, 3), IOSQE_ASYNC);
                all.addAll(r.submitAndWait(2));
                assertThat(NetRing.read(rx, 64)).isEqualTo("data");
                return all;
            } finally {
                NetRing.closeAll(rx, tx);
            }
        });
        assertThat(c.get(0).res()).isEqualTo(-89);
        assertThat(c.subList(2, 6)).containsExactly(new Cqe(2, 8, IORING_CQE_F_MORE, 0, 0),
                new Cqe(2, IORING_NOTIF_USAGE_ZC_COPIED, IORING_CQE_F_NOTIF, 0, 0),
                new Cqe(3, 4, IORING_CQE_F_MORE, 0, 0), new Cqe(3, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void aSendTooBigForOneCallWithWaitallGoesOnUntilAllIsSentFromARegisteredBuffer() throws Exception {
        int size = 8 << 20;
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] tcp = tcpPair(m.allocate(16, 8));
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = m.allocate(size, 4096);
                for (int i = 0; i < size; i += 4096) {
                    out.set(JAVA_BYTE, i, (byte) (i >> 12));
                }
                MemorySegment in = m.allocate(size, 4096);
                MemorySegment reg = m.allocate(16, 8);
                reg.set(JAVA_LONG, 0, out.address());
                reg.set(JAVA_LONG, 8, size);
                assertThat(k.register(r.d.ring(), IORING_REGISTER_BUFFERS, reg, 1)).isZero();
                List<Cqe> all = new ArrayList<>();
                long s = r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address(), size, 0x100, 1);
                r.ioprio(s, IORING_RECVSEND_FIXED_BUF);
                r.sqe(IORING_OP_RECV, tcp[1], 0, in.address(), size, 0x100, 2);
                List<Cqe> three = new ArrayList<>(r.submitAndWait(3));
                three.sort(java.util.Comparator.comparingLong(Cqe::userData).thenComparingInt(Cqe::flags));
                all.addAll(three);
                assertThat(in.mismatch(out)).isEqualTo(-1);
                // a buffer reaching past the registered one
                long past = r.sqe(IORING_OP_SEND_ZC, tcp[0], 0, out.address() + 1, size, 0, 3);
                r.ioprio(past, IORING_RECVSEND_FIXED_BUF);
                all.addAll(r.submitAndWait(2));
                return all;
            } finally {
                NetRing.closeAll(tcp);
            }
        });
        assertThat(c).containsExactly(new Cqe(1, size, IORING_CQE_F_MORE, 0, 0),
                new Cqe(1, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(2, size, 0, 0, 0),
                new Cqe(3, -EFAULT, IORING_CQE_F_MORE, 0, 0), new Cqe(3, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void probeReportsBothOpcodesSupported() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment p = m.allocate(16 + 256 * 8L, 8);
                assertThat(k.register(r.d.ring(), IORING_REGISTER_PROBE, p, 256)).isZero();
                List<Cqe> flags = new ArrayList<>();
                for (int op : new int[] {IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC}) {
                    flags.add(new Cqe(op, p.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 16 + 8L * op + 2), 0, 0,
                            0));
                }
                assertThat(flags).allSatisfy(f -> assertThat(f.res() & 1).isEqualTo(1));
                return flags;
            }
        });
    }

    private static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }
}
