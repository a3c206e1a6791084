package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.iovecs;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.KERNEL_ADDRESS;
import static dev.ringspec.emulator.ops.RwTest.TEXT;
import static dev.ringspec.emulator.ops.RwTest.UNMAPPED;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which of rw.c's checks answers first when several would fail, against this kernel (the SQE fuzz's finds): prep's
 * {@code attr_type_mask} before any import, and the file ({@code io_assign_file}) before a fixed buffer's import.
 */
@Tag("kernel")
class RwErrnoOrderTest {
    /** The SQE's word at byte 56: read/write's {@code attr_type_mask} (6.14 on). */
    private static final long ATTR_TYPE_MASK_OFFSET = 56;
    /** The SQE's word at byte 48: read/write's {@code attr_ptr}. */
    private static final long ATTR_PTR_OFFSET = 48;
    /** {@code IORING_RW_ATTR_FLAG_PI}. */
    private static final long PI = 1;

    private static void attr(RingDriver d, long at, long mask, long ptr) {
        d.sqes().set(JAVA_LONG, at + ATTR_TYPE_MASK_OFFSET, mask);
        d.sqes().set(JAVA_LONG, at + ATTR_PTR_OFFSET, ptr);
    }

    /** A {@code struct io_uring_attr_pi}: metadata buffer {@code addr}, {@code len} bytes, and {@code rsvd}. */
    private static MemorySegment pi(UserMemory memory, long addr, int len, long rsvd) {
        MemorySegment a = memory.allocate(32, 8);
        a.set(JAVA_INT, 4, len);
        a.set(JAVA_LONG, 8, addr);
        a.set(JAVA_LONG, 24, rsvd);
        return a;
    }

    @Test
    void anUnknownAttributeMaskIsEinvalBeforeTheBufferTheFileAndTheFlags() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int ro = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 16);
            attr(d, rw(d, IORING_OP_READ, ro, KERNEL_ADDRESS, 8, 0, 1), 2, 0);
            attr(d, rw(d, IORING_OP_WRITE, ro, buf.address(), 8, 0, 2), 0x468db2506bfaa6f8L, 0);
            long at = rw(d, IORING_OP_WRITE, ro, UNMAPPED, 8, 0, 3);
            Sqe.opFlags(d.sqes(), at, 0x10000);
            attr(d, at, 4, 0);
            attr(d, rw(d, IORING_OP_WRITE_FIXED, ro, buf.address(), 8, 0, 4), 1L << 40, 0);
            attr(d, rw(d, IORING_OP_READ_FIXED, 9999, buf.address(), 8, 0, 5), 2, 0);
            attr(d, rw(d, IORING_OP_WRITEV, ro, iovecs(memory, KERNEL_ADDRESS, 8).address(), 1, 0, 6), 3, 0);
            at = rw(d, IORING_OP_READ, ro, buf.address(), 8, 0, 7);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            attr(d, at, 2, 0);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 7), world.contents());
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsOnly(-EINVAL);
    }

    @Test
    void aPiAttributeIsReadInPrepAndRefusedByAFileWithoutMetadata() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int rdwr = world.file(TEXT, O_RDWR);
            int ro = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            MemorySegment meta = memory.allocate(64);
            RingDriver d = ring(kernel, memory, 16);
            attr(d, rw(d, IORING_OP_READ, rdwr, buf.address(), 8, 0, 1), PI, UNMAPPED);
            attr(d, rw(d, IORING_OP_READ, rdwr, buf.address(), 8, 0, 2), PI,
                    pi(memory, meta.address(), 8, 1).address());
            attr(d, rw(d, IORING_OP_READ, rdwr, buf.address(), 8, 0, 3), PI,
                    pi(memory, KERNEL_ADDRESS, 8, 0).address());
            attr(d, rw(d, IORING_OP_READ, rdwr, KERNEL_ADDRESS, 8, 0, 4), PI,
                    pi(memory, meta.address(), 8, 0).address());
            attr(d, rw(d, IORING_OP_READ, rdwr, buf.address(), 8, 0, 5), PI,
                    pi(memory, meta.address(), 8, 0).address());
            attr(d, rw(d, IORING_OP_WRITE, ro, buf.address(), 8, 0, 6), PI,
                    pi(memory, meta.address(), 8, 0).address());
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 6), world.contents());
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(-EFAULT, -EINVAL, -EFAULT, -EFAULT, -EINVAL,
                -EBADF);
        assertThat(o.effects()).isEqualTo(TEXT);
    }

    @Test
    void aDescriptorThatNamesNoFileIsEbadfBeforeTheFixedBuffer() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 16);
            long ud = 1;
            for (int async : new int[] {0, IOSQE_ASYNC}) {
                for (int opcode : new int[] {IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED}) {
                    long at = rw(d, opcode, 0x1000ca, Long.MIN_VALUE, 16, 0, ud++);
                    Sqe.flags(d.sqes(), at, async);
                    at = rw(d, opcode, 0x100000, buf.address(), 16, 0, ud++);
                    Sqe.flags(d.sqes(), at, async | IOSQE_FIXED_FILE);
                }
                long at = rw(d, IORING_OP_READV, 0x100000, buf.address(), 0, 0, ud++);
                Sqe.flags(d.sqes(), at, async);
            }
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, (int) ud - 1), "");
        });
        assertThat(o.cqes()).hasSize(10).extracting(Cqe::res).containsOnly(-EBADF);
    }
}
