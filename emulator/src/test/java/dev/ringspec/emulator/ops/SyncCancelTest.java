package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ALL;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_OP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringSyncCancelReg;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cancel.c's IORING_REGISTER_SYNC_CANCEL on the emulator against this machine's kernel: what the register call
 * answers (recorded as a CQE of user_data -1) and the CQEs of the requests it cancelled, by user_data, with ALL, by
 * descriptor and registered file, by opcode and ANY; and the argument's refusals in the kernel's order.
 */
@Tag("kernel")
class SyncCancelTest {
    private static final long SYS_PIPE2 = 293;
    private static final long NO_TIMEOUT = -1;

    private static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    /** {@code struct io_uring_sync_cancel_reg} in the ring's user memory. */
    private static MemorySegment reg(NetRing r, long addr, int fd, int flags, int opcode, long sec, long nsec) {
        MemorySegment sc = r.memory.allocate(IoUringSyncCancelReg.SIZE_BYTES, 8);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.ADDR_OFFSET, addr);
        sc.set(JAVA_INT, IoUringSyncCancelReg.FD_OFFSET, fd);
        sc.set(JAVA_INT, IoUringSyncCancelReg.FLAGS_OFFSET, flags);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET, sec);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET + 8, nsec);
        sc.set(JAVA_BYTE, IoUringSyncCancelReg.OPCODE_OFFSET, (byte) opcode);
        return sc;
    }

    private static Cqe answer(NetRing r, MemorySegment sc) {
        return new Cqe(-1, r.kernel.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, sc, 1), 0, 0, 0);
    }

    @Test
    void cancelsWaitingReadsByUserDataAllDescriptorRegisteredFileOpcodeAndAny() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] p = pipe();
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment buf = m.allocate(32);
                List<Cqe> all = new ArrayList<>();
                r.flags(r.sqe(IORING_OP_READ, p[0], 0, buf.address(), 32, 0, 0x89), IOSQE_ASYNC);
                r.submit();
                Thread.sleep(10);
                all.add(answer(r, reg(r, 0x89, 0, 0, 0, 200, 0)));
                all.addAll(r.await(1));
                // four, each with its poll armed: ALL answers how many (with IOSQE_ASYNC the kernel's answer depends
                // on whether io-wq has armed their polls yet: pending io-wq work is counted once)
                for (int i = 0; i < 4; i++) {
                    r.sqe(IORING_OP_READ, p[0], 0, buf.address(), 32, 0, 0x90);
                }
                r.submit();
                Thread.sleep(10);
                all.add(answer(r, reg(r, 0x90, 0, IORING_ASYNC_CANCEL_ALL, 0, NO_TIMEOUT, NO_TIMEOUT)));
                all.addAll(r.await(4));
                // by descriptor, by registered file, by opcode, any
                r.sqe(IORING_OP_READ, p[0], 0, buf.address(), 32, 0, 1);
                r.submit();
                Thread.sleep(10);
                all.add(answer(r, reg(r, 0, p[0], IORING_ASYNC_CANCEL_FD, 0, 1, 0)));
                all.addAll(r.await(1));
                assertThat(r.registerFiles(p[0])).isZero();
                r.flags(r.sqe(IORING_OP_READ, 0, 0, buf.address(), 32, 0, 2), 1);
                r.sqe(IORING_OP_READ, p[0], 0, buf.address(), 32, 0, 3);
                r.sqe(IORING_OP_READ, p[0], 0, buf.address(), 32, 0, 4);
                r.submit();
                Thread.sleep(10);
                all.add(answer(r, reg(r, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0, 1, 0)));
                all.addAll(r.await(1));
                all.add(answer(r, reg(r, 0, 0, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL, IORING_OP_READ,
                        1, 0)));
                all.addAll(r.await(1));
                all.add(answer(r, reg(r, 0, 0, IORING_ASYNC_CANCEL_ANY, 0, 1, 0)));
                all.addAll(r.await(1));
                // nothing left
                all.add(answer(r, reg(r, 0, 0, IORING_ASYNC_CANCEL_ANY, 0, 1, 0)));
                return all;
            } finally {
                NetRing.closeAll(p);
            }
        });
        assertThat(c).contains(new Cqe(-1, 4, 0, 0, 0), new Cqe(0x89, -ECANCELED, 0, 0, 0));
        // ANY counts what it cancelled: 0, where a cancellation by user_data alone answers -ENOENT
        assertThat(c.getLast()).isEqualTo(new Cqe(-1, 0, 0, 0, 0));
    }

    @Test
    void refusesABadArgumentInTheKernelsOrder() throws Exception {
        List<Cqe> c = BothSides.sameOnBoth((k, m) -> {
            int[] p = pipe();
            try (NetRing r = new NetRing(k, m)) {
                List<Cqe> all = new ArrayList<>();
                all.add(new Cqe(-1, k.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, MemorySegment.NULL, 1), 0,
                        0, 0));
                all.add(new Cqe(-2, k.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, reg(r, 1, 0, 0, 0, 0, 0),
                        2), 0, 0, 0));
                all.add(new Cqe(-3, k.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, MemorySegment.ofAddress(8),
                        1), 0, 0, 0));
                all.add(answer(r, reg(r, 1, 0, 0x40, 0, 0, 0)));
                MemorySegment pad = reg(r, 1, 0, 0, 0, 0, 0);
                pad.set(JAVA_BYTE, IoUringSyncCancelReg.PAD_OFFSET + 3, (byte) 1);
                all.add(answer(r, pad));
                MemorySegment pad2 = reg(r, 1, 0, 0, 0, 0, 0);
                pad2.set(JAVA_LONG, IoUringSyncCancelReg.PAD2_OFFSET + 16, 1);
                all.add(answer(r, pad2));
                // a descriptor that is not open; an empty registered file table
                all.add(answer(r, reg(r, 0, NetRing.lowestFree(), IORING_ASYNC_CANCEL_FD, 0, 0, 0)));
                all.add(answer(r, reg(r, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0, 0, 0)));
                all.add(answer(r, reg(r, 5, 0, 0, 0, 0, 0)));
                return all;
            } finally {
                NetRing.closeAll(p);
            }
        });
        assertThat(c).containsExactly(new Cqe(-1, -EINVAL, 0, 0, 0), new Cqe(-2, -EINVAL, 0, 0, 0),
                new Cqe(-3, -EFAULT, 0, 0, 0), new Cqe(-1, -EINVAL, 0, 0, 0), new Cqe(-1, -EINVAL, 0, 0, 0),
                new Cqe(-1, -EINVAL, 0, 0, 0), new Cqe(-1, -EBADF, 0, 0, 0), new Cqe(-1, -EBADF, 0, 0, 0),
                new Cqe(-1, -ENOENT, 0, 0, 0));
    }
}
