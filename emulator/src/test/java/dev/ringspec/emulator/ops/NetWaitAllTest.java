package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.SOCK_STREAM;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * MSG_WAITALL on a stream socket with a msghdr: io_recvmsg and io_sendmsg retry a partial transfer
 * ({@code io_net_retry}) with the msghdr's iterator advanced past what moved, and complete with the whole length.
 * On this machine's kernel and on the emulator.
 */
@Tag("kernel")
class NetWaitAllTest {
    private static final int MSG_WAITALL = 0x100;

    @Test
    void aWaitallRecvmsgOnAStreamWaitsForTheRestOfItsIovecs() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment a = m.allocate(4);
                MemorySegment b = m.allocate(6);
                MemorySegment msg = msghdr(m, a.address(), 4, b.address(), 6);
                r.sqe(IORING_OP_RECVMSG, sv[1], 0, msg.address(), 0, MSG_WAITALL, 1);
                assertThat(r.submit()).isEqualTo(1);
                NetRing.write(sv[0], "abc");
                Thread.sleep(50);
                assertThat(r.drain()).as("3 of 10 bytes: the receive waits for the rest").isEmpty();
                NetRing.write(sv[0], "defghij");
                List<Cqe> c = r.await(1);
                assertThat(NetRing.text(a, 4) + NetRing.text(b, 6)).isEqualTo("abcdefghij");
                return c;
            } finally {
                NetRing.closeAll(sv);
            }
        });
        assertThat(cqes.getFirst().res()).isEqualTo(10);
    }

    @Test
    void aWaitallSendmsgLargerThanTheSocketBufferSendsEverything() throws Exception {
        int half = 384 * 1024;
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_STREAM);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment a = pattern(m, half, 0);
                MemorySegment b = pattern(m, half, 7);
                MemorySegment msg = msghdr(m, a.address(), half, b.address(), half);
                r.sqe(IORING_OP_SENDMSG, sv[0], 0, msg.address(), 0, MSG_WAITALL, 1);
                assertThat(r.submit()).isEqualTo(1);
                // the peer reads only after the send has filled the socket's buffer and waits
                Thread.sleep(50);
                CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(sv[1], 2 * half));
                List<Cqe> c = r.await(1);
                byte[] got = read.get(10, TimeUnit.SECONDS);
                assertThat(got).hasSize(2 * half);
                assertThat(MemorySegment.ofArray(got).asSlice(0, half).mismatch(a)).isEqualTo(-1);
                assertThat(MemorySegment.ofArray(got).asSlice(half).mismatch(b)).isEqualTo(-1);
                return c;
            } finally {
                NetRing.closeAll(sv);
            }
        });
        assertThat(cqes.getFirst().res()).isEqualTo(2 * half);
    }

    /** A msghdr of two iovecs and nothing else. */
    private static MemorySegment msghdr(UserMemory m, long base0, long len0, long base1, long len1) {
        MemorySegment iov = m.allocate(32, 8);
        iov.set(JAVA_LONG, 0, base0);
        iov.set(JAVA_LONG, 8, len0);
        iov.set(JAVA_LONG, 16, base1);
        iov.set(JAVA_LONG, 24, len1);
        MemorySegment msg = m.allocate(Net.MSGHDR_SIZE, 8);
        msg.set(JAVA_LONG, Net.MSG_IOV, iov.address());
        msg.set(JAVA_LONG, Net.MSG_IOVLEN, 2);
        return msg;
    }

    /** {@code n} bytes counting modulo a prime from {@code start}, so a shifted or repeated piece shows. */
    private static MemorySegment pattern(UserMemory m, int n, int start) {
        MemorySegment s = m.allocate(n, 8);
        for (int i = 0; i < n; i++) {
            s.set(JAVA_BYTE, i, (byte) ((start + i) % 251));
        }
        return s;
    }

    /** Reads until {@code n} bytes came or the stream ends. */
    private static byte[] readAll(int fd, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(n);
            long got = 0;
            while (got < n) {
                long r = Linux.call(Linux.SYS_READ, fd, buf.address() + got, n - got);
                if (r <= 0) {
                    break;
                }
                got += r;
            }
            return buf.asSlice(0, got).toArray(JAVA_BYTE);
        }
    }
}
