package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.NetRing.SOCK_DGRAM;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What SENDMSG's and RECVMSG's preps check in the application's msghdr (io_msg_copy_hdr, __copy_msghdr, the iovec
 * import, io_recvmsg_mshot_prep) and RECV's buffer (import_ubuf), before the issue finds that the file is no socket
 * (-ENOTSOCK): on this machine's kernel and on the emulator, each SQE on a pipe and on a datagram socket.
 */
@Tag("kernel")
class NetMsghdrTest {
    private static final int MSG_DONTWAIT = 0x40;
    private static final long KERNEL_ADDRESS = 0xffff_8880_0000_0000L;

    @Test
    void aMsghdrsErrorsComeBeforeTheSocketCheck() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] pipe = NetTest.pipe();
            int[] sv = NetRing.socketpair(SOCK_DGRAM);
            try (NetRing r = new NetRing(k, m)) {
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (int op : new int[] {IORING_OP_RECVMSG, IORING_OP_SENDMSG}) {
                    for (MemorySegment msg : badMsghdrs(m)) {
                        for (int fd : new int[] {pipe[op == IORING_OP_RECVMSG ? 0 : 1], sv[0]}) {
                            // (MSG_DONTWAIT: a good msghdr on the empty socket is -EAGAIN at once, not a wait)
                            r.sqe(op, fd, 0, msg.address(), 0, MSG_DONTWAIT, ++ud);
                            c.addAll(r.submitAndWait(1));
                        }
                    }
                    r.sqe(op, pipe[0], 0, 0x10, 0, 0, ++ud);
                    c.addAll(r.submitAndWait(1));
                }
                return c;
            } finally {
                NetRing.closeAll(pipe);
                NetRing.closeAll(sv);
            }
        });
        // the first msghdr names 1025 iovecs: -EMSGSIZE (__copy_msghdr), never the pipe's -ENOTSOCK
        assertThat(cqes.getFirst().res()).isEqualTo(-90);
    }

    /**
     * A msghdr whose last 8 bytes (msg_flags and the padding) lie on a PROT_NONE page: io_copy_msghdr_from_user reads
     * six fields, up to msg_controllen, so the kernel copies it and its checks answer (found by the 1M fuzz, where
     * the emulator read all 56 bytes and answered -EFAULT).
     */
    @Test
    @SuppressWarnings("restricted") // the two pages this test maps, unmapped at its end
    void aMsghdrsFlagsAreNeverRead() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] sv = NetRing.socketpair(SOCK_DGRAM);
            long pages = Linux.call(Linux.SYS_MMAP, 0, 8192, 3, 0x22, -1, 0);
            assertThat(Linux.call(Linux.SYS_MPROTECT, pages + 4096, 4096, 0)).isZero();
            MemorySegment readable = MemorySegment.ofAddress(pages).reinterpret(4096);
            m.register(readable);
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment in = m.allocate(16, 8);
                MemorySegment iov = m.allocate(16, 8);
                iov.set(JAVA_LONG, 0, in.address());
                iov.set(JAVA_LONG, 8, 16);
                MemorySegment msg = readable.asSlice(4096 - 48, 48);
                msg.set(JAVA_LONG, 16, iov.address());
                List<Cqe> c = new ArrayList<>();
                // 1025 iovecs: __copy_msghdr's -EMSGSIZE; one on an empty socket: -EAGAIN (MSG_DONTWAIT)
                msg.set(JAVA_LONG, 24, 1025);
                r.sqe(IORING_OP_RECVMSG, sv[0], 0, msg.address(), 0, MSG_DONTWAIT, 1);
                c.addAll(r.submitAndWait(1));
                msg.set(JAVA_LONG, 24, 1);
                r.sqe(IORING_OP_RECVMSG, sv[0], 0, msg.address(), 0, MSG_DONTWAIT, 2);
                c.addAll(r.submitAndWait(1));
                return c;
            } finally {
                NetRing.closeAll(sv);
                Linux.call(Linux.SYS_MUNMAP, pages, 8192);
            }
        });
        assertThat(cqes).containsExactly(new Cqe(1, -90, 0, 0, 0), new Cqe(2, -11, 0, 0, 0));
    }

    @Test
    void bufferSelectAndMultishotCheckTheirMsghdr() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] pipe = NetTest.pipe();
            try (NetRing r = new NetRing(k, m)) {
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (int ioprio : new int[] {0, IORING_RECV_MULTISHOT}) {
                    for (MemorySegment msg : selectMsghdrs(m)) {
                        for (int op : new int[] {IORING_OP_RECVMSG, IORING_OP_SENDMSG}) {
                            long at = r.sqe(op, pipe[0], 0, msg.address(), 0, 0, ++ud);
                            r.flags(at, IOSQE_BUFFER_SELECT);
                            r.bufIndex(at, 7);
                            r.ioprio(at, ioprio);
                            c.addAll(r.submitAndWait(1));
                        }
                    }
                }
                return c;
            } finally {
                NetRing.closeAll(pipe);
            }
        });
    }

    @Test
    void recvImportsItsBufferAtPrep() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            int[] pipe = NetTest.pipe();
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment buf = m.allocate(16, 8);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (long addr : new long[] {KERNEL_ADDRESS, 0x7fff_ffff_f000L, buf.address(), 0}) {
                    for (int len : new int[] {0, 16, 0x7fff_ffff}) {
                        r.sqe(IORING_OP_RECV, pipe[0], 0, addr, len, 0, ++ud);
                        c.addAll(r.submitAndWait(1));
                    }
                }
                long at = r.sqe(IORING_OP_RECV, pipe[0], 0, KERNEL_ADDRESS, 16, 0, ++ud);
                r.flags(at, IOSQE_BUFFER_SELECT);
                c.addAll(r.submitAndWait(1));
                return c;
            } finally {
                NetRing.closeAll(pipe);
            }
        });
        assertThat(cqes.getFirst().res()).as("a kernel address: -EFAULT before -ENOTSOCK").isEqualTo(-14);
    }

    @Test
    void sendVectorizedImportsItsIovecsAtPrep() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] pipe = NetTest.pipe();
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment data = m.allocate(16, 8);
                MemorySegment iov = m.allocate(32, 8);
                iov.set(JAVA_LONG, 0, data.address());
                iov.set(JAVA_LONG, 8, 4);
                iov.set(JAVA_LONG, 16, data.address());
                iov.set(JAVA_LONG, 24, -1);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (long addr : new long[] {iov.address(), 0x10, KERNEL_ADDRESS}) {
                    for (int n : new int[] {0, 1, 2, 1024, 1025, -1}) {
                        long at = r.sqe(IORING_OP_SEND, pipe[1], 0, addr, n, 0, ++ud);
                        r.ioprio(at, IORING_SEND_VECTORIZED);
                        c.addAll(r.submitAndWait(1));
                    }
                }
                return c;
            } finally {
                NetRing.closeAll(pipe);
            }
        });
    }

    /** Msghdrs each with one thing wrong (or nothing), in the order the checks meet them. */
    private static List<MemorySegment> badMsghdrs(UserMemory m) {
        MemorySegment data = m.allocate(128, 8);
        MemorySegment iov = m.allocate(16 * 4, 8);
        for (int i = 0; i < 4; i++) {
            iov.set(JAVA_LONG, 16L * i, data.address());
            iov.set(JAVA_LONG, 16L * i + 8, 4);
        }
        MemorySegment negative = m.allocate(32, 8);
        negative.set(JAVA_LONG, 0, data.address());
        negative.set(JAVA_LONG, 8, -1);
        negative.set(JAVA_LONG, 16, data.address());
        negative.set(JAVA_LONG, 24, -1);
        MemorySegment outside = m.allocate(32, 8);
        outside.set(JAVA_LONG, 0, KERNEL_ADDRESS);
        outside.set(JAVA_LONG, 8, 4);
        outside.set(JAVA_LONG, 16, KERNEL_ADDRESS);
        outside.set(JAVA_LONG, 24, 4);
        List<MemorySegment> msgs = new ArrayList<>();
        msgs.add(msghdr(m, 0, 0, iov.address(), 1025, 0));
        msgs.add(msghdr(m, 0, 0, iov.address(), (1L << 32) | 1, 0));
        msgs.add(msghdr(m, data.address(), -1, iov.address(), 1, 0));
        msgs.add(msghdr(m, 0, -1, iov.address(), 1, 0));
        msgs.add(msghdr(m, 0x10, 16, iov.address(), 1, 0));
        msgs.add(msghdr(m, data.address(), 1000, iov.address(), 1, 0));
        msgs.add(msghdr(m, data.address(), 1000, iov.address(), 2000, 0));
        msgs.add(msghdr(m, 0, 0, 0x10, 1, 0));
        msgs.add(msghdr(m, 0, 0, 0x10, 3, 0));
        msgs.add(msghdr(m, 0, 0, negative.address(), 1, 0));
        msgs.add(msghdr(m, 0, 0, negative.address(), 2, 0));
        msgs.add(msghdr(m, 0, 0, outside.address(), 1, 0));
        msgs.add(msghdr(m, 0, 0, outside.address(), 2, 0));
        msgs.add(msghdr(m, 0, 0, iov.address(), 4, 0));
        msgs.add(msghdr(m, 0, 0, iov.address(), 0, 0));
        return msgs;
    }

    /** Msghdrs for buffer select and multishot: the iovec count, names and control lengths that overflow. */
    private static List<MemorySegment> selectMsghdrs(UserMemory m) {
        MemorySegment iov = m.allocate(32, 8);
        iov.set(JAVA_LONG, 8, 64);
        List<MemorySegment> msgs = new ArrayList<>();
        msgs.add(msghdr(m, 0, 0, iov.address(), 2, 0));
        msgs.add(msghdr(m, 0, 0, 0x10, 1, 0));
        msgs.add(msghdr(m, 0, 0, iov.address(), 1, 0));
        msgs.add(msghdr(m, 0, 0, iov.address(), 0, 0));
        msgs.add(msghdr(m, 0, -1, iov.address(), 1, 0));
        msgs.add(msghdr(m, 0, Integer.MAX_VALUE - 8, iov.address(), 1, 0));
        msgs.add(msghdr(m, 0, 16, iov.address(), 1, Integer.MAX_VALUE - 32));
        msgs.add(msghdr(m, 0, 16, iov.address(), 1, Integer.MAX_VALUE - 31));
        msgs.add(msghdr(m, 0, 0, iov.address(), 1, -1L));
        return msgs;
    }

    private static MemorySegment msghdr(UserMemory m, long name, int namelen, long iov, long iovlen,
            long controllen) {
        MemorySegment msg = m.allocate(56, 8);
        msg.set(JAVA_LONG, 0, name);
        msg.set(JAVA_INT, 8, namelen);
        msg.set(JAVA_LONG, 16, iov);
        msg.set(JAVA_LONG, 24, iovlen);
        msg.set(JAVA_LONG, 40, controllen);
        return msg;
    }
}
