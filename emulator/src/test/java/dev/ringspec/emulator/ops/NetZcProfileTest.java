package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.AF_INET;
import static dev.ringspec.emulator.ops.NetRing.SOCK_STREAM;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_NOTIF;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_FIXED_BUF;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Clock;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The zero-copy sends where the profiles' kernels differ, each read from that kernel's io_uring/net.c (no such kernel
 * here to compare with): 7.1 on takes {@code addr3} as the notification's user_data (7.2.13 io_send_zc_prep), where
 * 6.12 and 6.18 refuse it before the notification exists; 6.12 knows no IORING_SEND_VECTORIZED
 * ({@code IO_ZC_FLAGS_VALID}) and checks a registered buffer's index at prep, before it refuses SENDMSG_ZC with a
 * registered buffer, both after it (6.12.117).
 */
class NetZcProfileTest {
    private static final long SYS_SOCKET = 41;
    private static final long SYS_CONNECT = 42;
    private static final long SYS_ACCEPT = 43;

    private static List<Cqe> run(KernelProfile profile, Body body) throws Exception {
        try (UserMemory m = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(profile, m, Clock.SYSTEM, List.of())) {
            MemorySegment addr = m.allocate(16, 8);
            int listener = NetRing.listener(addr);
            int client = (int) Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM, 0);
            assertThat(Linux.call(SYS_CONNECT, client, addr.address(), 16)).isZero();
            int accepted = (int) Linux.call(SYS_ACCEPT, listener, 0, 0);
            try (NetRing r = new NetRing(emulator, m)) {
                return body.run(r, client);
            } finally {
                NetRing.closeAll(listener, client, accepted);
            }
        }
    }

    @FunctionalInterface
    private interface Body {
        List<Cqe> run(NetRing r, int socket) throws Exception;
    }

    @Test
    void from71Addr3NamesTheNotification() throws Exception {
        List<Cqe> c = run(KernelProfile.LINUX_7_2, (r, s) -> {
            MemorySegment out = r.bytes("abc");
            r.addr3(r.sqe(IORING_OP_SEND_ZC, s, 0, out.address(), 3, 0, 1), 77);
            return r.submitAndWait(2);
        });
        assertThat(c).containsExactly(new Cqe(1, 3, IORING_CQE_F_MORE, 0, 0), new Cqe(77, 0, IORING_CQE_F_NOTIF, 0, 0));
    }

    @Test
    void on618Addr3IsRefusedBeforeTheNotification() throws Exception {
        List<Cqe> c = run(KernelProfile.LINUX_6_18, (r, s) -> {
            MemorySegment out = r.bytes("abc");
            r.addr3(r.sqe(IORING_OP_SEND_ZC, s, 0, out.address(), 3, 0, 1), 77);
            List<Cqe> all = new ArrayList<>(r.submitAndWait(1));
            all.addAll(r.drain());
            return all;
        });
        assertThat(c).containsExactly(new Cqe(1, -EINVAL, 0, 0, 0));
    }

    @Test
    void on612VectorizedAndARegisteredBufferPastTheTableAreRefusedAfterTheNotification() throws Exception {
        List<Cqe> c = run(KernelProfile.LINUX_6_12, (r, s) -> {
            MemorySegment out = r.bytes("abc");
            r.ioprio(r.sqe(IORING_OP_SEND_ZC, s, 0, out.address(), 3, 0, 1), IORING_SEND_VECTORIZED);
            List<Cqe> all = new ArrayList<>(r.submitAndWait(2));
            MemorySegment msg = r.memory.allocate(56, 8);
            msg.set(JAVA_LONG, 16, 0);
            r.ioprio(r.sqe(IORING_OP_SENDMSG_ZC, s, 0, msg.address(), 0, 0, 2), IORING_RECVSEND_FIXED_BUF);
            all.addAll(r.submitAndWait(2));
            return all;
        });
        assertThat(c).containsExactly(new Cqe(1, -EINVAL, IORING_CQE_F_MORE, 0, 0),
                new Cqe(1, 0, IORING_CQE_F_NOTIF, 0, 0), new Cqe(2, -EFAULT, IORING_CQE_F_MORE, 0, 0),
                new Cqe(2, 0, IORING_CQE_F_NOTIF, 0, 0));
    }
}
