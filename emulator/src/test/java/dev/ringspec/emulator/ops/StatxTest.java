package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.KERNEL_ADDRESS;
import static dev.ringspec.emulator.ops.RwTest.UNMAPPED;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** statx.c's STATX on the emulator against the kernel: the same CQEs and the same size and mode in the buffer. */
@Tag("kernel")
class StatxTest {
    static final int AT_FDCWD = -100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;
    /** {@code struct statx}: {@code stx_mode} at 28, {@code stx_size} at 40. */
    static final long STX_MODE = 28;
    static final long STX_SIZE = 40;

    /** A STATX SQE: {@code dfd}, {@code path} (addr), {@code mask} (len), {@code buffer} (addr2), flags. */
    static long statx(RingDriver d, int dfd, long path, int flags, int mask, long buffer, long userData) {
        long at = rw(d, IORING_OP_STATX, dfd, path, mask, buffer, userData);
        Sqe.opFlags(d.sqes(), at, flags);
        return at;
    }

    static MemorySegment path(UserMemory memory, String path) {
        return memory.allocateFrom(path);
    }

    static String sizeAndMode(MemorySegment stx) {
        return "size " + stx.get(JAVA_LONG, STX_SIZE) + " mode " + Integer.toOctalString(stx.get(JAVA_SHORT, STX_MODE)
                & 0xffff);
    }

    @Test
    void statxOfAPathAndOfADescriptorFillTheBuffer() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("twelve bytes", O_RDONLY);
            MemorySegment byPath = memory.allocate(256);
            MemorySegment byFd = memory.allocate(256);
            RingDriver d = ring(kernel, memory, 8);
            statx(d, AT_FDCWD, path(memory, world.lastPath().toString()).address(), 0, STATX_BASIC_STATS,
                    byPath.address(), 1);
            statx(d, fd, path(memory, "").address(), AT_EMPTY_PATH, STATX_BASIC_STATS, byFd.address(), 2);
            // both go to io-wq, whose order of completion is its own: compared by user_data
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 2),
                    sizeAndMode(byPath) + "|" + sizeAndMode(byFd));
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(0, 0);
        assertThat(o.effects()).isEqualTo("size 12 mode 100600|size 12 mode 100600");
    }

    @Test
    void badPathsBuffersAndFieldsAnswerTheKernelsErrnos() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("x", O_RDONLY);
            MemorySegment buf = memory.allocate(256);
            String file = world.lastPath().toString();
            RingDriver d = ring(kernel, memory, 32);
            long ok = path(memory, file).address();
            statx(d, AT_FDCWD, path(memory, file + ".missing").address(), 0, STATX_BASIC_STATS, buf.address(), 1);
            statx(d, AT_FDCWD, path(memory, "").address(), 0, STATX_BASIC_STATS, buf.address(), 2);
            statx(d, AT_FDCWD, UNMAPPED, 0, STATX_BASIC_STATS, buf.address(), 3);
            statx(d, AT_FDCWD, KERNEL_ADDRESS, 0, STATX_BASIC_STATS, buf.address(), 4);
            statx(d, AT_FDCWD, ok, 0, STATX_BASIC_STATS, UNMAPPED, 5);
            statx(d, AT_FDCWD, ok, 0, STATX_BASIC_STATS, 0, 6);
            statx(d, AT_FDCWD, ok, 0x8000_0000, STATX_BASIC_STATS, buf.address(), 7);
            statx(d, AT_FDCWD, ok, 0, 0x8000_0000, buf.address(), 8);
            statx(d, AT_FDCWD, path(memory, "a".repeat(5000)).address(), 0, STATX_BASIC_STATS, buf.address(), 9);
            statx(d, 9999, path(memory, "relative").address(), 0, STATX_BASIC_STATS, buf.address(), 10);
            statx(d, fd, 0, AT_EMPTY_PATH, STATX_BASIC_STATS, buf.address(), 11);
            long at = statx(d, 0, ok, 0, STATX_BASIC_STATS, buf.address(), 12);
            Sqe.flags(d.sqes(), at, IOSQE_FIXED_FILE);
            at = statx(d, AT_FDCWD, ok, 0, STATX_BASIC_STATS, buf.address(), 13);
            Sqe.bufIndex(d.sqes(), at, 1);
            at = statx(d, AT_FDCWD, ok, 0, STATX_BASIC_STATS, buf.address(), 14);
            Sqe.fileIndex(d.sqes(), at, 1);
            // an empty path of a descriptor with flags vfs_statx refuses, of no descriptor, and with a sync type of 3
            long empty = path(memory, "").address();
            statx(d, fd, empty, AT_EMPTY_PATH | 0x8000_0000, STATX_BASIC_STATS, buf.address(), 15);
            statx(d, 1 << 20, empty, AT_EMPTY_PATH | 0x10, STATX_BASIC_STATS, buf.address(), 16);
            statx(d, fd, empty, AT_EMPTY_PATH | 0x6000, STATX_BASIC_STATS, buf.address(), 17);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 17), "");
        });
    }

    /** A path near the end of its memory, fewer than PATH_MAX bytes before it: read up to its NUL, not refused. */
    static MemorySegment pathAtTheEnd(UserMemory memory, String path) {
        MemorySegment region = memory.allocate(8192);
        MemorySegment at = region.asSlice(8192 - path.length() - 1);
        at.setString(0, path);
        return at;
    }

    @Test
    void aPathEndingNearTheEndOfItsMemoryIsReadUpToItsNul() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("x", O_RDONLY);
            MemorySegment buf = memory.allocate(256);
            RingDriver d = ring(kernel, memory, 8);
            long path = pathAtTheEnd(memory, "ringspec-absent/x").address();
            statx(d, fd, path, 0, STATX_BASIC_STATS, buf.address(), 1);
            statx(d, -1, path, 0, STATX_BASIC_STATS, buf.address(), 2);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 2), "");
        });
        // a file as the directory, then no descriptor: the lookup's errnos, not -EFAULT
        assertThat(o.cqes()).extracting(Cqe::res).containsExactlyInAnyOrder(-20, -9);
    }

    @Test
    void aFailedStatxDoesNotBreakItsLink() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            world.file("x", O_RDONLY);
            MemorySegment buf = memory.allocate(256);
            RingDriver d = ring(kernel, memory, 8);
            long at = statx(d, AT_FDCWD, path(memory, "/nonexistent/ringspec").address(), 0, STATX_BASIC_STATS,
                    buf.address(), 1);
            Sqe.flags(d.sqes(), at, IOSQE_IO_LINK);
            statx(d, AT_FDCWD, path(memory, world.lastPath().toString()).address(), 0, STATX_BASIC_STATS,
                    buf.address(), 2);
            return new FileWorld.Outcome(world.finish(kernel, d, 2), sizeAndMode(buf));
        });
        assertThat(o.cqes().get(0).res()).isNegative();
        assertThat(o.effects()).isEqualTo("size 1 mode 100600");
    }
}
