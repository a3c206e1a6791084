package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.SOCK_STREAM;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_NOTIF;
import static dev.ringspec.uapi.IoUring.IORING_NOTIF_USAGE_ZC_COPIED;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_FIXED_BUF;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUring.IORING_SEND_ZC_REPORT_USAGE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The zero-copy sends' checks of their buffers and names on this machine's kernel (6.18), each found by the 1M fuzz:
 * SEND_ZC's registered buffer with IORING_SEND_VECTORIZED, SENDMSG_ZC's registered buffer imported before the socket
 * checks, and SENDMSG_ZC's name copied in before the iovec count is checked. All fail after the notification's
 * allocation, so each posts its result with IORING_CQE_F_MORE and then the notification.
 */
@Tag("kernel")
class NetZcPrepTest {

    private static Cqe result(long userData, int res) {
        return new Cqe(userData, res, IORING_CQE_F_MORE, 0, 0);
    }

    private static Cqe notification(long userData, int res) {
        return new Cqe(userData, res, IORING_CQE_F_NOTIF, 0, 0);
    }

    /** A msghdr of {@code iovlen} iovecs at {@code iov}, with a name at {@code name} of {@code namelen} bytes. */
    private static MemorySegment msghdr(NetRing r, long name, int namelen, long iov, long iovlen) {
        MemorySegment msg = r.memory.allocate(Net.MSGHDR_SIZE, 8);
        msg.set(JAVA_LONG, 0, name);
        msg.set(JAVA_INT, Net.MSG_NAMELEN, namelen);
        msg.set(JAVA_LONG, Net.MSG_IOV, iov);
        msg.set(JAVA_LONG, Net.MSG_IOVLEN, iovlen);
        return msg;
    }

    /** One iovec of {@code len} bytes at {@code base}. */
    private static MemorySegment iovec(NetRing r, long base, long len) {
        MemorySegment iov = r.memory.allocate(16, 8);
        iov.set(JAVA_LONG, 0, base);
        iov.set(JAVA_LONG, 8, len);
        return iov;
    }

    /** Registers {@code out}'s first byte as the ring's one registered buffer. */
    private static void registerFirstByte(NetRing r, MemorySegment out) {
        assertThat(r.kernel.register(r.d.ring(), IORING_REGISTER_BUFFERS, iovec(r, out.address(), 1), 1)).isZero();
    }

    @Test
    void sendZcRefusesARegisteredVectorOnThisKernel() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] unix = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("x");
                MemorySegment iov = iovec(r, out.address(), 1);
                List<Cqe> all = new ArrayList<>();
                int vector = IORING_RECVSEND_FIXED_BUF | IORING_SEND_VECTORIZED;
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, unix[0], 0, iov.address(), 1, 0, 1), vector);
                all.addAll(r.submitAndWait(2));
                // with usage reported, and with a registered buffer that holds the iovec: the same refusal
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, unix[0], 0, iov.address(), 1, 0, 2),
                        vector | IORING_SEND_ZC_REPORT_USAGE);
                all.addAll(r.submitAndWait(2));
                registerFirstByte(r, out);
                r.ioprio(r.sqe(IORING_OP_SEND_ZC, unix[0], 0, iov.address(), 1, 0, 3), vector);
                all.addAll(r.submitAndWait(2));
                return all;
            } finally {
                NetRing.closeAll(unix);
            }
        });
        assertThat(c).containsExactly(result(1, -EINVAL), notification(1, 0), result(2, -EINVAL),
                notification(2, IORING_NOTIF_USAGE_ZC_COPIED), result(3, -EINVAL), notification(3, 0));
    }

    @Test
    void sendmsgZcImportsItsRegisteredBufferBeforeTheSocketChecks() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] unix = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("xy");
                MemorySegment iov = iovec(r, out.address(), 1);
                MemorySegment msg = msghdr(r, 0, 0, iov.address(), 1);
                List<Cqe> all = new ArrayList<>();
                // no registered buffers: -EFAULT, on a socket that takes no zero-copy send (-EOPNOTSUPP otherwise)
                r.ioprio(r.sqe(IORING_OP_SENDMSG_ZC, unix[0], 0, msg.address(), 0, 0, 1), IORING_RECVSEND_FIXED_BUF);
                all.addAll(r.submitAndWait(2));
                registerFirstByte(r, out);
                // inside the registered buffer: the socket check answers; one byte past it: -EFAULT again
                r.ioprio(r.sqe(IORING_OP_SENDMSG_ZC, unix[0], 0, msg.address(), 0, 0, 2), IORING_RECVSEND_FIXED_BUF);
                all.addAll(r.submitAndWait(2));
                iov.set(JAVA_LONG, 8, 2);
                r.ioprio(r.sqe(IORING_OP_SENDMSG_ZC, unix[0], 0, msg.address(), 0, 0, 3), IORING_RECVSEND_FIXED_BUF);
                all.addAll(r.submitAndWait(2));
                return all;
            } finally {
                NetRing.closeAll(unix);
            }
        });
        assertThat(c).containsExactly(result(1, -EFAULT), notification(1, 0), result(2, -EOPNOTSUPP),
                notification(2, 0), result(3, -EFAULT), notification(3, 0));
    }

    @Test
    void sendmsgZcCopiesItsNameBeforeCountingItsIovecs() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] unix = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment out = r.bytes("x");
                // an unreadable name (address 8) and more iovecs than UIO_MAXIOV: the name's -EFAULT comes first
                MemorySegment msg = msghdr(r, 8, 16, out.address(), 2000);
                r.sqe(IORING_OP_SENDMSG_ZC, unix[0], 0, msg.address(), 0, 0, 1);
                return r.submitAndWait(2);
            } finally {
                NetRing.closeAll(unix);
            }
        });
        assertThat(c).containsExactly(result(1, -EFAULT), notification(1, 0));
    }
}
