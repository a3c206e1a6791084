package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.FileWorld.text;
import static dev.ringspec.emulator.ops.RwTest.UNMAPPED;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_FGETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_GETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_SETXATTR;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** xattr.c's four opcodes on the emulator against the kernel: the same CQEs and the same values read back. */
@Tag("kernel")
class XattrTest {
    /** An xattr SQE: the file or the path (addr3), the name (addr), the value (addr2), its size (len), flags. */
    private static long xattr(RingDriver d, int opcode, int fd, long path, long name, long value, int size,
            int flags, long userData) {
        long at = rw(d, opcode, fd, name, size, value, userData);
        Sqe.opFlags(d.sqes(), at, flags);
        d.sqes().set(JAVA_LONG, at + 48, path);
        return at;
    }

    @Test
    void setThenGetByDescriptorAndByPath() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("", O_RDWR);
            long path = memory.allocateFrom(world.lastPath().toString()).address();
            MemorySegment one = memory.allocateFrom("first");
            MemorySegment two = memory.allocateFrom("second");
            MemorySegment got1 = memory.allocate(32);
            MemorySegment got2 = memory.allocate(32);
            RingDriver d = ring(kernel, memory, 8);
            xattr(d, IORING_OP_FSETXATTR, fd, 0, memory.allocateFrom("user.one").address(), one.address(), 5, 0, 1);
            xattr(d, IORING_OP_SETXATTR, 0, path, memory.allocateFrom("user.two").address(), two.address(), 6, 0, 2);
            var set = world.finishInAnyOrder(kernel, d, 2);
            d = ring(kernel, memory, 8);
            xattr(d, IORING_OP_GETXATTR, 0, path, memory.allocateFrom("user.one").address(), got1.address(), 32, 0,
                    3);
            xattr(d, IORING_OP_FGETXATTR, fd, 0, memory.allocateFrom("user.two").address(), got2.address(), 32, 0,
                    4);
            xattr(d, IORING_OP_FGETXATTR, fd, 0, memory.allocateFrom("user.two").address(), got2.address(), 2, 0,
                    5);
            xattr(d, IORING_OP_FGETXATTR, fd, 0, memory.allocateFrom("").address(), got2.address(), 2, 0, 6);
            xattr(d, IORING_OP_FSETXATTR, fd, 0, memory.allocateFrom("user.x").address(), UNMAPPED, 4, 0, 7);
            xattr(d, IORING_OP_FSETXATTR, fd, 0, memory.allocateFrom("user.x").address(), one.address(), 5, 8, 8);
            var get = world.finishInAnyOrder(kernel, d, 6);
            return new FileWorld.Outcome(Stream.concat(set.stream(), get.stream()).toList(),
                    text(got1, 5) + "|" + text(got2, 6));
        });
        assertThat(o.cqes()).extracting(Cqe::res).startsWith(0, 0, 5, 6);
        assertThat(o.effects()).isEqualTo("first|second");
    }

    /**
     * A fixed file: the path form refuses it in its prep (-EBADF); FSETXATTR's prep goes on to its flags check
     * (-EINVAL for flags beyond CREATE and REPLACE), where 6.12's refused the fixed file first. The SQE fuzz found it.
     */
    @Test
    void aFixedFileIsRefusedByThePathFormsOnly() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            long path = memory.allocateFrom("x").address();
            long name = memory.allocateFrom("user.x").address();
            MemorySegment value = memory.allocateFrom("v");
            RingDriver d = ring(kernel, memory, 8);
            Sqe.flags(d.sqes(), xattr(d, IORING_OP_FSETXATTR, 0, 0, name, value.address(), 1, 0x7f000000, 1),
                    IOSQE_FIXED_FILE);
            Sqe.flags(d.sqes(), xattr(d, IORING_OP_SETXATTR, 0, path, name, value.address(), 1, 0, 2),
                    IOSQE_FIXED_FILE);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 2), "");
        });
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactlyInAnyOrder(
                tuple(1L, -22), tuple(2L, -9));
    }
}
