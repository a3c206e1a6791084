package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.O_WRONLY;
import static dev.ringspec.emulator.ops.FileWorld.byUserData;
import static dev.ringspec.emulator.ops.FileWorld.bytes;
import static dev.ringspec.emulator.ops.FileWorld.iovecs;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.FileWorld.text;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * rw.c's opcodes on the emulator against the kernel: the same CQEs and the same bytes moved. A buffered write to a
 * regular file on a filesystem without FOP_BUFFER_WASYNC (ext4, tmpfs) runs on io-wq, whose completion the kernel
 * posts from the worker at a time of its own: batches holding such writes compare their CQEs in user_data order.
 */
@Tag("kernel")
class RwTest {
    static final String TEXT = "0123456789abcdefghijklmnopqrstuvwxyz";
    static final long KERNEL_ADDRESS = 0xffff_8000_0000_0000L;
    static final long UNMAPPED = 0x1000;
    /** {@code RWF_NOWAIT} (include/uapi/linux/fs.h). */
    static final int RWF_NOWAIT = 0x8;

    /** Prepares a read or write SQE; answers its offset in the SQE array (for flags and more). */
    static long rw(RingDriver d, int opcode, int fd, long addr, int len, long off, long userData) {
        long at = d.nextSqe();
        MemorySegment s = d.sqes();
        Sqe.opcode(s, at, opcode);
        Sqe.fd(s, at, fd);
        Sqe.addr(s, at, addr);
        Sqe.len(s, at, len);
        Sqe.off(s, at, off);
        Sqe.userData(s, at, userData);
        return at;
    }

    /** One request on a fresh ring over {@code fd}: its CQEs, and the buffer's text after it. */
    static FileWorld.Outcome one(IoUringKernel kernel, UserMemory memory, FileWorld world, int opcode, int fd, MemorySegment buf,
            long addr, int len, long off, int sqeFlags, int rwFlags) {
        RingDriver d = ring(kernel, memory, 8);
        long at = rw(d, opcode, fd, addr, len, off, 1);
        Sqe.flags(d.sqes(), at, sqeFlags);
        Sqe.opFlags(d.sqes(), at, rwFlags);
        List<Cqe> cqes = world.submitAndWait(kernel, d, 1);
        kernel.close(d.ring());
        long n = Math.max(0, Math.min(cqes.getFirst().res(), buf.byteSize()));
        return new FileWorld.Outcome(cqes, text(buf, n));
    }

    @Test
    void readOfAFileMovesItsBytesAtTheOffset() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            MemorySegment buf = memory.allocate(64);
            return one(kernel, memory, world, IORING_OP_READ, world.file(TEXT, O_RDONLY), buf, buf.address(), 16, 4, 0, 0);
        });
        assertThat(o.cqes().getFirst().res()).isEqualTo(16);
        assertThat(o.effects()).isEqualTo(TEXT.substring(4, 20));
    }

    @Test
    void readPastTheEndIsShortAndAtTheEndIsZero() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(128);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_READ, fd, buf.address(), 100, 30, 1);
            rw(d, IORING_OP_READ, fd, buf.address() + 64, 10, TEXT.length(), 2);
            rw(d, IORING_OP_READ, fd, buf.address() + 80, 10, 1L << 40, 3);
            return new FileWorld.Outcome(world.finish(kernel, d, 3), text(buf, 6));
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(6, 0, 0);
        assertThat(o.effects()).isEqualTo(TEXT.substring(30));
    }

    @Test
    void offsetMinusOneReadsAndAdvancesTheFilePosition() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            List<Cqe> cqes = new ArrayList<>();
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                rw(d, IORING_OP_READ, fd, buf.address(), 5, -1, i);
                cqes.addAll(world.submitAndWait(kernel, d, 1));
                seen.append(text(buf, 5)).append('|');
            }
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, seen + FileWorld.read(fd));
        });
        assertThat(o.effects()).isEqualTo("01234|56789|abcde|" + TEXT.substring(15));
    }

    @Test
    void writeChangesTheFileAtTheOffsetAndAtTheFilePosition() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment buf = bytes(memory, "XYZ", 3);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_WRITE, fd, buf.address(), 3, 2, 1);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            rw(d, IORING_OP_WRITE, fd, buf.address(), 2, -1, 2);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            rw(d, IORING_OP_WRITE, fd, buf.address(), 3, TEXT.length() + 2, 3);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, world.contents().replace('\0', '_'));
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(3, 2, 3);
        assertThat(o.effects()).isEqualTo("XY" + "XYZ" + TEXT.substring(5) + "__XYZ");
    }

    @Test
    void vectoredReadAndWriteScatterAndGather() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment a = memory.allocate(4);
            MemorySegment b = memory.allocate(6);
            MemorySegment out = bytes(memory, "PQRSTUVW", 8);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_READV, fd, iovecs(memory, a.address(), 4, b.address(), 6).address(), 2, 10, 1);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            rw(d, IORING_OP_WRITEV, fd, iovecs(memory, out.address(), 3, 0, 0, out.address() + 5, 3).address(), 3, 0,
                    2);
            rw(d, IORING_OP_READV, fd, iovecs(memory).address(), 0, 0, 3);
            cqes.addAll(world.submitAndWait(kernel, d, 2));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, text(a, 4) + "|" + text(b, 6) + "|" + world.contents());
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactlyInAnyOrder(10, 6, 0);
        assertThat(o.effects()).isEqualTo("abcd|efghij|PQRUVW" + TEXT.substring(6));
    }

    @Test
    void fixedBuffersReadAndWriteInsideTheRegisteredRangeOnly() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment reg = memory.allocate(64);
            RingDriver d = ring(kernel, memory, 16);
            assertThat(kernel.register(d.ring(), IORING_REGISTER_BUFFERS, iovecs(memory, reg.address(), 64), 1))
                    .isZero();
            long base = reg.address();
            rw(d, IORING_OP_READ_FIXED, fd, base + 8, 10, 0, 1);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            String read = text(reg.asSlice(8), 10);
            rw(d, IORING_OP_WRITE_FIXED, fd, base + 8, 4, 20, 2);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            // outside the buffer, across its end, a wrapping range, no such buffer, zero bytes at its end
            rw(d, IORING_OP_READ_FIXED, fd, base - 1, 4, 0, 3);
            rw(d, IORING_OP_READ_FIXED, fd, base + 60, 8, 0, 4);
            rw(d, IORING_OP_READ_FIXED, fd, -8L, 16, 0, 5);
            long at = rw(d, IORING_OP_READ_FIXED, fd, base, 4, 0, 6);
            Sqe.bufIndex(d.sqes(), at, 1);
            rw(d, IORING_OP_WRITE_FIXED, fd, base + 64, 0, 0, 7);
            cqes.addAll(byUserData(world.submitAndWait(kernel, d, 5)));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, read + "|" + world.contents());
        });
    }

    @Test
    void fixedReadWithoutRegisteredBuffersFaults() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            MemorySegment buf = memory.allocate(16);
            return one(kernel, memory, world, IORING_OP_READ_FIXED, world.file(TEXT, O_RDONLY), buf, buf.address(), 8, 0,
                    0, 0);
        });
        assertThat(o.cqes().getFirst().res()).isNegative();
    }

    @Test
    void fixedFilesAreReadThroughTheirSlotAfterTheDescriptorCloses() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(32);
            RingDriver d = ring(kernel, memory, 16);
            MemorySegment table = memory.allocate(8);
            table.set(JAVA_INT, 0, fd);
            table.set(JAVA_INT, 4, -1);
            assertThat(kernel.register(d.ring(), IORING_REGISTER_FILES, table, 2)).isZero();
            world.close(fd);
            int[] slots = {0, 1, 5};
            for (int i = 0; i < slots.length; i++) {
                for (int async : new int[] {0, IOSQE_ASYNC}) {
                    long at = rw(d, IORING_OP_READ, slots[i], buf.address() + 8L * i, 4, 4L * i, 10 * i + async);
                    Sqe.flags(d.sqes(), at, IOSQE_FIXED_FILE | async);
                }
            }
            List<Cqe> cqes = world.finishInAnyOrder(kernel, d, 2 * slots.length);
            return new FileWorld.Outcome(cqes, text(buf, 4));
        });
        // in user_data order: slot 0 (0), slot 1 (10), slot 0 async (16), slot 5 (20), slot 1 async (26), slot 5 async
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(4, -EBADF, 4, -EBADF, -EBADF, -EBADF);
        assertThat(o.effects()).isEqualTo(TEXT.substring(0, 4));
    }

    /**
     * Before 6.15 a fixed read looks its buffer up in prep ({@code io_prep_rw_fixed}, 6.12.117 rw.c), so a missing
     * buffer fails the request before its link head ran (the head is cancelled); from 6.15 on it is looked up at issue
     * ({@code io_import_reg_buf}), after the head ran. The 6.18 side is checked against this machine's kernel.
     */
    @Test
    void aMissingFixedBufferFailsInPrepBefore615AndAtIssueAfter() throws Exception {
        BothSides.Scenario chain = (kernel, memory) -> {
            int fd;
            try (FileWorld world = new FileWorld(memory)) {
                fd = world.file(TEXT, O_RDONLY);
                MemorySegment buf = memory.allocate(16);
                RingDriver d = ring(kernel, memory, 8);
                long at = rw(d, IORING_OP_READ, fd, buf.address(), 4, 0, 1);
                Sqe.flags(d.sqes(), at, IOSQE_IO_LINK);
                rw(d, IORING_OP_READ_FIXED, fd, buf.address(), 4, 0, 2);
                return world.finishInAnyOrder(kernel, d, 2);
            }
        };
        assertThat(BothSides.sameOnBoth(chain)).extracting(Cqe::res).containsExactly(4, -EFAULT);
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_12, memory)) {
            assertThat(chain.run(emulator, memory)).extracting(Cqe::res).containsExactly(-ECANCELED, -EFAULT);
        }
    }

    @Test
    void anIopollRingRefusesBufferedFileIo() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment buf = memory.allocate(16);
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_IOPOLL);
            RingDriver d = new RingDriver(kernel, kernel.setup(8, params).ringOrNull());
            rw(d, IORING_OP_READ, fd, buf.address(), 4, 0, 1);
            rw(d, IORING_OP_WRITE, fd, buf.address(), 4, 0, 2);
            rw(d, IORING_OP_READ, 9999, buf.address(), 4, 0, 3);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 3), world.contents());
        });
        assertThat(o.cqes()).extracting(Cqe::res).allMatch(res -> res < 0);
        assertThat(o.effects()).isEqualTo(TEXT);
    }

    @Test
    void badDescriptorsAnswerTheKernelsErrno() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int ro = world.file(TEXT, O_RDONLY);
            int wo = world.file(TEXT, O_WRONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 16);
            rw(d, IORING_OP_READ, 9999, buf.address(), 4, 0, 1);
            rw(d, IORING_OP_WRITE, ro, buf.address(), 4, 0, 2);
            rw(d, IORING_OP_READ, wo, buf.address(), 4, 0, 3);
            long at = rw(d, IORING_OP_READ, 0, buf.address(), 4, 0, 4);
            Sqe.flags(d.sqes(), at, IOSQE_FIXED_FILE);
            rw(d, IORING_OP_READV, wo, iovecs(memory, buf.address(), 4).address(), 1, 0, 5);
            at = rw(d, IORING_OP_WRITE, ro, buf.address(), 4, 0, 6);
            Sqe.opFlags(d.sqes(), at, 0x10000);
            return new FileWorld.Outcome(world.finish(kernel, d, 6), "");
        });
    }

    @Test
    void badPointersFaultAndNeverCrash() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            RingDriver d = ring(kernel, memory, 16);
            rw(d, IORING_OP_READ, fd, UNMAPPED, 8, 0, 1);
            rw(d, IORING_OP_READ, fd, KERNEL_ADDRESS, 8, 0, 2);
            rw(d, IORING_OP_WRITE, fd, UNMAPPED, 8, 0, 3);
            rw(d, IORING_OP_WRITE, fd, -16L, 8, 0, 4);
            rw(d, IORING_OP_READV, fd, UNMAPPED, 1, 0, 5);
            rw(d, IORING_OP_READV, fd, iovecs(memory, UNMAPPED, 8).address(), 1, 0, 6);
            rw(d, IORING_OP_WRITEV, fd, iovecs(memory, KERNEL_ADDRESS, 8).address(), 1, 0, 7);
            rw(d, IORING_OP_READ, fd, 0, 0, 0, 8);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 8), world.contents());
        });
    }

    @Test
    void malformedIovecsAnswerTheKernelsErrno() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment buf = memory.allocate(64);
            MemorySegment many = memory.allocate(16L * 1025);
            RingDriver d = ring(kernel, memory, 16);
            rw(d, IORING_OP_READV, fd, many.address(), 1025, 0, 1);
            rw(d, IORING_OP_READV, fd, many.address(), 1024, 0, 2);
            rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), -1L).address(), 1, 0, 3);
            rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), 4, buf.address(), -1L).address(), 2, 0, 4);
            rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), 4, KERNEL_ADDRESS, 4).address(), 2, 0, 5);
            rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), 4, buf.address(), 0x7fff_ffffL).address(), 2, 0,
                    6);
            return new FileWorld.Outcome(world.finish(kernel, d, 6), "");
        });
    }

    @Test
    void badOffsetsAndFlagsAnswerTheKernelsErrno() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment buf = bytes(memory, "ab", 16);
            RingDriver d = ring(kernel, memory, 16);
            rw(d, IORING_OP_READ, fd, buf.address(), 4, -2, 1);
            rw(d, IORING_OP_READ, fd, buf.address(), 16, Long.MAX_VALUE - 4, 2);
            rw(d, IORING_OP_WRITE, fd, buf.address(), 2, Long.MAX_VALUE - 4, 3);
            rw(d, IORING_OP_WRITE, fd, buf.address(), 2, -7, 4);
            int[] rwFlags = {0x100, 0x1, 0x1 | 0x100, 0x8, 0x2, 0x40, 0x200, 0x1 | 0x200, 0x10 | 0x20};
            for (int i = 0; i < rwFlags.length; i++) {
                long at = rw(d, IORING_OP_READ, fd, buf.address(), 4, 0, 10 + i);
                Sqe.opFlags(d.sqes(), at, rwFlags[i]);
            }
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 4 + rwFlags.length), world.contents());
        });
    }

    @Test
    void ioprioClassesAndLevelsAnswerAsTheKernel() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 32);
            int n = 0;
            for (int ioprioClass = 0; ioprioClass < 8; ioprioClass++) {
                for (int data : new int[] {0, 1, 7, 8}) {
                    long at = rw(d, IORING_OP_READ, fd, buf.address(), 4, 0, ioprioClass * 100 + data);
                    Sqe.ioprio(d.sqes(), at, ioprioClass << 13 | data);
                    n++;
                }
            }
            return new FileWorld.Outcome(world.finish(kernel, d, n), "");
        });
    }

    @Test
    void bufferSelectWithoutProvidedBuffersFindsNone() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 16);
            long at = rw(d, IORING_OP_READ, fd, 0, 16, 0, 1);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            at = rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), 8, buf.address(), 8).address(), 2, 0, 2);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            at = rw(d, IORING_OP_READV, fd, iovecs(memory, buf.address(), 8).address(), 1, 0, 3);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            at = rw(d, IORING_OP_WRITE, fd, buf.address(), 16, 0, 4);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            at = rw(d, IORING_OP_READV, fd, UNMAPPED, 1, 0, 5);
            Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
            return new FileWorld.Outcome(world.finish(kernel, d, 5), "");
        });
    }

    @Test
    void asyncReadsAndWritesRunOnIoWqWithTheSameResults() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file(TEXT, O_RDWR);
            MemorySegment buf = memory.allocate(16);
            MemorySegment out = bytes(memory, "!!", 2);
            RingDriver d = ring(kernel, memory, 8);
            long at = rw(d, IORING_OP_READ, fd, buf.address(), 8, 3, 1);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            at = rw(d, IORING_OP_WRITE, fd, out.address(), 2, 0, 2);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            at = rw(d, IORING_OP_READ, 9999, buf.address(), 8, 3, 3);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            at = rw(d, IORING_OP_READ, fd, buf.address() + 8, 8, 1L << 40, 4);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            cqes.addAll(world.submitAndWait(kernel, d, 1));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, text(buf, 8) + "|" + world.contents());
        });
        assertThat(o.effects()).isEqualTo(TEXT.substring(3, 11) + "|!!" + TEXT.substring(2));
    }

    /**
     * READ of {@code len} bytes at {@code off} of {@link #TEXT} linked to a WRITE of {@code writeLen} bytes to an
     * empty file, each with {@code sqeFlags} too: the CQEs, and the written file in brackets.
     */
    static FileWorld.Outcome readLinkedToWrite(int len, long off, int writeLen, int sqeFlags) throws Exception {
        return sameOnBoth((kernel, memory, world) -> {
            int from = world.file(TEXT, O_RDONLY);
            int to = world.file("", O_RDWR);
            MemorySegment buf = memory.allocate(64);
            RingDriver d = ring(kernel, memory, 8);
            long at = rw(d, IORING_OP_READ, from, buf.address(), len, off, 1);
            Sqe.flags(d.sqes(), at, IOSQE_IO_LINK | sqeFlags);
            at = rw(d, IORING_OP_WRITE, to, buf.address(), writeLen, 0, 2);
            Sqe.flags(d.sqes(), at, sqeFlags);
            return new FileWorld.Outcome(world.finish(kernel, d, 2), "[" + world.contents() + "]");
        });
    }

    @Test
    void aLinkedReadThenWriteCopiesAFile() throws Exception {
        FileWorld.Outcome o = readLinkedToWrite(10, 0, 10, 0);
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(10, 10);
        assertThat(o.effects()).isEqualTo("[" + TEXT.substring(0, 10) + "]");
    }

    @Test
    void aShortReadBreaksItsLink() throws Exception {
        FileWorld.Outcome o = readLinkedToWrite(64, 30, 6, 0);
        assertThat(o.cqes().get(0).res()).isEqualTo(6);
        assertThat(o.cqes().get(1).res()).isNegative();
        assertThat(o.effects()).isEqualTo("[]");
    }

    @Test
    void anAsyncLinkedReadThenWriteCopiesAFile() throws Exception {
        FileWorld.Outcome o = readLinkedToWrite(12, 5, 12, IOSQE_ASYNC);
        assertThat(o.effects()).isEqualTo("[" + TEXT.substring(5, 17) + "]");
    }

    @Test
    void anAsyncShortReadBreaksItsLinkToo() throws Exception {
        FileWorld.Outcome o = readLinkedToWrite(64, 33, 3, IOSQE_ASYNC);
        assertThat(o.cqes().get(0).res()).isEqualTo(3);
        assertThat(o.effects()).isEqualTo("[]");
    }
}
