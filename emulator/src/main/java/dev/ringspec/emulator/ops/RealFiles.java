package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_FALLOCATE;
import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_FDATASYNC;
import static dev.ringspec.emulator.sys.Linux.SYS_FSYNC;
import static dev.ringspec.emulator.sys.Linux.SYS_PREADV2;
import static dev.ringspec.emulator.sys.Linux.SYS_PWRITEV2;
import static dev.ringspec.emulator.sys.Linux.SYS_STATX;
import static dev.ringspec.emulator.sys.Linux.SYS_SYNC_FILE_RANGE;
import static dev.ringspec.uapi.Errno.EFAULT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real calls of the file opcodes (rw.c, sync.c, statx.c), in one place: each is the syscall the kernel's
 * opcode would make inside itself, on a descriptor of this process, with the application's pointers passed raw (the
 * kernel checks them: -EFAULT, never a fault in this JVM); a served program's reads and writes cross through
 * {@link ProgramTransfers}.
 */
final class RealFiles {
    static final int O_PATH = 0x200000;
    private static final int O_DIRECT = "aarch64".equals(System.getProperty("os.arch")) ? 0x10000 : 0x4000;
    private static final long XFS_SUPER_MAGIC = 0x58465342L;
    private static final long EXT4_SUPER_MAGIC = 0xef53L;
    static final int S_IFMT = 0xf000;
    static final int S_IFBLK = 0x6000;
    static final int S_IFREG = 0x8000;
    static final int S_IFIFO = 0x1000;
    static final int S_IFSOCK = 0xc000;
    private static final long BTRFS_SUPER_MAGIC = 0x9123683eL;
    /** The filesystem of anonymous pipes ({@code pipe2}); a named FIFO lives on its directory's. */
    private static final long PIPEFS_MAGIC = 0x50495045L;
    private static final int AT_FDCWD = -100;
    private static final int O_ACCMODE = 3;
    private static final long SYS_FSTATFS = "aarch64".equals(System.getProperty("os.arch")) ? 44 : 138;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 1;
    private static final int STATX_INO = 0x100;
    private static final long STATX_MODE_OFFSET = 28;
    private static final long STATX_INO_OFFSET = 32;
    private static final long STATX_BYTES = 256;
    /** {@code stx_rdev_major}, then {@code stx_rdev_minor}, {@code stx_dev_major}, {@code stx_dev_minor}. */
    private static final long STATX_RDEV_MAJOR_OFFSET = 0x80;
    private static final long STATX_DEV_MAJOR_OFFSET = 0x88;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_SYS_NICE = 23;
    private static final boolean SYS_NICE_OR_ADMIN = sysNiceOrAdminOfThisProcess();

    /** Per thread (the ring's task, each io-wq worker): the iovec a call passes, and a statx buffer. */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(16L * Rw.UIO_MAXIOV + STATX_BYTES + 8, 8));

    private RealFiles() {
    }

    /**
     * {@code preadv2}/{@code pwritev2} of {@code iov} ((base, length) pairs) at {@code pos} (-1: the file position)
     * with {@code rwFlags}: the bytes moved, or -errno.
     */
    static long readWrite(int fd, boolean write, long[] iov, long pos, int rwFlags) {
        ProgramMemory served = ProgramTransfers.program();
        if (served != null) {
            return ProgramTransfers.readWrite(served, fd, write, iov, pos, rwFlags);
        }
        MemorySegment scratch = SCRATCH.get();
        int n = iov.length / 2;
        for (int i = 0; i < iov.length; i++) {
            scratch.setAtIndex(JAVA_LONG, i, iov[i]);
        }
        return Linux.call(write ? SYS_PWRITEV2 : SYS_PREADV2, fd, scratch.address(), n, pos, 0, rwFlags);
    }

    /** The file's {@code st_mode} ({@code statx} with AT_EMPTY_PATH), or 0 if it cannot be read. */
    static int fileType(int fd) {
        MemorySegment buf = statx(fd, STATX_TYPE);
        return buf == null ? 0 : buf.get(JAVA_SHORT, STATX_MODE_OFFSET) & 0xffff;
    }

    /**
     * Whether a write to the regular file {@code fd} can be tried without blocking ({@code io_write}'s check): opened
     * O_DIRECT, or buffered on a filesystem with {@code FOP_BUFFER_WASYNC} (xfs, btrfs; not ext4 or tmpfs). Any other
     * file can be tried.
     */
    static boolean regularWriteNowait(int fd) {
        int fl = statusFlags(fd);
        if (fl >= 0 && (fl & O_DIRECT) != 0) {
            return true;
        }
        MemorySegment buf = SCRATCH.get().asSlice(16L * Rw.UIO_MAXIOV, STATX_BYTES);
        if (Linux.call(SYS_FSTATFS, fd, buf.address()) < 0) {
            return false;
        }
        long magic = buf.get(JAVA_LONG, 0);
        return magic == XFS_SUPER_MAGIC || magic == BTRFS_SUPER_MAGIC;
    }

    /** {@code STATX_SIZE}, {@code STATX_DIOALIGN} and where the answers lie in {@code struct statx}. */
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_DIOALIGN = 0x2000;
    private static final long STATX_SIZE_OFFSET = 0x28;
    private static final long STATX_DIO_MEM_ALIGN_OFFSET = 0x98;
    /** The smallest logical block, so the least alignment any direct transfer needs. */
    static final int SECTOR_BYTES = 512;
    private static final int SEEK_CUR = 1;

    /** {@code fd}'s statx with {@code mask}, in this thread's scratch memory (after the iovecs), or null. */
    private static MemorySegment statx(int fd, int mask) {
        MemorySegment scratch = SCRATCH.get();
        MemorySegment buf = scratch.asSlice(16L * Rw.UIO_MAXIOV, STATX_BYTES);
        MemorySegment empty = scratch.asSlice(16L * Rw.UIO_MAXIOV + STATX_BYTES, 8);
        empty.set(JAVA_LONG, 0, 0);
        return Linux.call(SYS_STATX, fd, empty.address(), AT_EMPTY_PATH, mask, buf.address(), 0) < 0 ? null : buf;
    }

    /**
     * For a descriptor opened O_DIRECT on a regular file or a block device: its size ({@link Long#MAX_VALUE} for a
     * device, whose statx has none), the alignment its direct transfers need of memory and of offsets and lengths
     * ({@code stx_dio_mem_align}, {@code stx_dio_offset_align}; a kernel that does not say, 512 for both), and its
     * file position; null for any other descriptor.
     */
    static long[] direct(int fd) {
        int fl = statusFlags(fd);
        if (fl < 0 || (fl & O_DIRECT) == 0) {
            return null;
        }
        MemorySegment buf = statx(fd, STATX_TYPE | STATX_SIZE | STATX_DIOALIGN);
        if (buf == null) {
            return null;
        }
        int type = buf.get(JAVA_SHORT, STATX_MODE_OFFSET) & S_IFMT;
        if (type != S_IFREG && type != S_IFBLK) {
            return null;
        }
        boolean said = (buf.get(JAVA_INT, 0) & STATX_DIOALIGN) != 0;
        long memAlign = said ? Integer.toUnsignedLong(buf.get(JAVA_INT, STATX_DIO_MEM_ALIGN_OFFSET)) : SECTOR_BYTES;
        long offsetAlign = said ? Integer.toUnsignedLong(buf.get(JAVA_INT, STATX_DIO_MEM_ALIGN_OFFSET + 4))
                : SECTOR_BYTES;
        long size = type == S_IFBLK ? Long.MAX_VALUE : buf.get(JAVA_LONG, STATX_SIZE_OFFSET);
        long pos = Linux.call(Linux.SYS_LSEEK, fd, 0, SEEK_CUR);
        return new long[] {size, memAlign, offsetAlign, pos};
    }

    /** Whether {@code pos} (-1: the file position) is at or past the end of the regular file {@code fd}. */
    static boolean fromTheEnd(int fd, long pos) {
        long[] d = direct(fd);
        return d != null && d[0] != Long.MAX_VALUE && (pos == -1 ? d[3] : pos) >= d[0];
    }

    /** {@link #iopoll}: the file does not poll its completions (-EOPNOTSUPP at issue). */
    static final int IOPOLL_NONE = 0;
    /** {@link #iopoll}: the file polls, but its block device's queue does not (the bio fails: -EOPNOTSUPP). */
    static final int IOPOLL_DEVICE_CANNOT = 1;
    /** {@link #iopoll}: the file and its device poll. */
    static final int IOPOLL_POLLS = 2;

    /**
     * How {@code fd} does on an IOPOLL ring. {@code io_rw_init_file} wants IOCB_DIRECT and an {@code f_op->iopoll}:
     * opened O_DIRECT on a block device, or on ext4, xfs or btrfs (whose file operations have {@code iopoll}); not
     * tmpfs, a pipe or a socket ({@link #IOPOLL_NONE}). Such a request joins the iopoll list, and its bio needs a
     * queue that polls ({@code /sys/dev/block/M:m/queue/io_poll}, the disk's for a partition): the block layer
     * fails a polled bio on any other queue ({@code BLK_STS_NOTSUPP}), so the read answers -EOPNOTSUPP
     * ({@link #IOPOLL_DEVICE_CANNOT}), usually at submission, sometimes only when polled. Measured on this kernel
     * (ext4 on virtio-blk, io_poll 0): an O_DIRECT read of an ext4 file's data answers -EOPNOTSUPP (at submission
     * or after a poll, from run to run), of a tmpfs file -EOPNOTSUPP at submission. A write from the end of the file
     * on is not polled ({@code iomap_dio_bio_iter}) and succeeds ({@code Rw}). (A read of a hole, which needs no bio,
     * succeeds there; the emulator answers -EOPNOTSUPP for it too.)
     */
    static int iopoll(int fd) {
        int fl = statusFlags(fd);
        if (fl < 0 || (fl & O_DIRECT) == 0) {
            return IOPOLL_NONE;
        }
        MemorySegment buf = statx(fd, STATX_TYPE);
        if (buf == null) {
            return IOPOLL_NONE;
        }
        boolean device = (buf.get(JAVA_SHORT, STATX_MODE_OFFSET) & S_IFMT) == S_IFBLK;
        long at = device ? STATX_RDEV_MAJOR_OFFSET : STATX_DEV_MAJOR_OFFSET;
        long major = Integer.toUnsignedLong(buf.get(JAVA_INT, at));
        long minor = Integer.toUnsignedLong(buf.get(JAVA_INT, at + 4));
        if (!device) {
            MemorySegment fs = SCRATCH.get().asSlice(16L * Rw.UIO_MAXIOV, STATX_BYTES);
            if (Linux.call(SYS_FSTATFS, fd, fs.address()) < 0) {
                return IOPOLL_NONE;
            }
            long magic = fs.get(JAVA_LONG, 0);
            if (magic != EXT4_SUPER_MAGIC && magic != XFS_SUPER_MAGIC && magic != BTRFS_SUPER_MAGIC) {
                return IOPOLL_NONE;
            }
        }
        Path block = Path.of("/sys/dev/block", major + ":" + minor);
        for (Path queue : new Path[] {block.resolve("queue/io_poll"), block.resolve("../queue/io_poll")}) {
            try {
                return Files.readString(queue).trim().equals("1") ? IOPOLL_POLLS : IOPOLL_DEVICE_CANNOT;
            } catch (IOException | SecurityException unreadable) {
                // a partition has no queue of its own: its disk's, one level up
            }
        }
        return IOPOLL_DEVICE_CANNOT;
    }

    /**
     * A second open file of the anonymous pipe that {@code fd} is an end of, with {@code fd}'s access mode and
     * O_NONBLOCK, for one call (the caller closes it); -1 where {@code fd} is no anonymous pipe or cannot be opened
     * again. It is {@code open} of {@code /proc/self/fd/N}: {@code fifo_open}, which for an anonymous pipe never
     * waits for the other end nor refuses a write end without readers, and gives the file no FMODE_NOWAIT of its own,
     * so what a call does to that flag stays with this file. While it is open the pipe counts one reader or writer
     * more, of a side that has one already.
     */
    static int reopenPipe(int fd) {
        MemorySegment buf = SCRATCH.get().asSlice(16L * Rw.UIO_MAXIOV, STATX_BYTES);
        if (Linux.call(SYS_FSTATFS, fd, buf.address()) < 0 || buf.get(JAVA_LONG, 0) != PIPEFS_MAGIC) {
            return -1;
        }
        int fl = statusFlags(fd);
        if (fl < 0) {
            return -1;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment path = call.allocateFrom("/proc/self/fd/" + fd);
            long r = Linux.call(Linux.SYS_OPENAT, AT_FDCWD, path.address(),
                    fl & (O_ACCMODE | Linux.O_NONBLOCK) | Linux.O_CLOEXEC, 0, 0, 0);
            return r < 0 ? -1 : (int) r;
        }
    }

    /** {@code fcntl(fd, F_GETFL)}: the status flags and access mode, or -errno. */
    static int statusFlags(int fd) {
        return (int) Linux.call(SYS_FCNTL, fd, Linux.F_GETFL, 0);
    }

    /** {@code fsync} or {@code fdatasync}: 0 or -errno. */
    static int fsync(int fd, boolean datasync) {
        return (int) Linux.call(datasync ? SYS_FDATASYNC : SYS_FSYNC, fd);
    }

    /** {@code sync_file_range(fd, off, len, flags)}: 0 or -errno. */
    static int syncFileRange(int fd, long off, long len, int flags) {
        return (int) Linux.call(SYS_SYNC_FILE_RANGE, fd, off, len, flags, 0, 0);
    }

    /** {@code fallocate(fd, mode, off, len)}: 0 or -errno. */
    static int fallocate(int fd, int mode, long off, long len) {
        return (int) Linux.call(SYS_FALLOCATE, fd, mode, off, len, 0, 0);
    }

    /**
     * {@code statx(dfd, path, flags, mask, buffer)}: 0 or -errno; {@code path} is memory of the emulator's; a served
     * program's {@code buffer} is filled through one of this JVM's ({@code cp_statx}'s copy_to_user: -EFAULT).
     */
    static int statx(int dfd, MemorySegment path, int flags, int mask, long buffer) {
        ProgramMemory served = ProgramTransfers.program();
        if (served == null) {
            return (int) Linux.call(SYS_STATX, dfd, path.address(), flags, Integer.toUnsignedLong(mask), buffer, 0);
        }
        MemorySegment local = SCRATCH.get().asSlice(16L * Rw.UIO_MAXIOV, STATX_BYTES);
        int r = (int) Linux.call(SYS_STATX, dfd, path.address(), flags, Integer.toUnsignedLong(mask),
                local.address(), 0);
        return r == 0 && !served.copyOut(local, buffer) ? -EFAULT : r;
    }

    /** {@code capable(CAP_SYS_NICE) || capable(CAP_SYS_ADMIN)} for this process. */
    static boolean sysNiceOrAdmin() {
        return SYS_NICE_OR_ADMIN;
    }

    private static boolean sysNiceOrAdminOfThisProcess() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_NICE | 1L << CAP_SYS_ADMIN)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** {@code need_complete_io}: a regular file or a block device, whose short transfer is continued. */
    static boolean needCompleteIo(int fd) {
        int type = fileType(fd) & S_IFMT;
        return type == S_IFREG || type == S_IFBLK;
    }

    /**
     * {@code file_can_poll} for the files the emulator polls: pipes, FIFOs, sockets and anonymous inodes (no file
     * type in their mode: eventfd, timerfd, signalfd, all with a poll method). An IOSQE_ASYNC READV of an eventfd
     * whose count is 0 arms a poll in the kernel's worker; taken for a file without one, the deterministic emulator
     * made the blocking read on the ring's own thread and never returned.
     */
    static boolean pollable(int fd) {
        MemorySegment buf = statx(fd, STATX_TYPE);
        int type = buf == null ? -1 : buf.get(JAVA_SHORT, STATX_MODE_OFFSET) & S_IFMT;
        return type == S_IFIFO || type == S_IFSOCK || type == 0;
    }

    /**
     * {@code get_pipe_info(file, true)} of fs/splice.c: the pipe {@code fd} is an end of (a pipe's or a FIFO's),
     * named by its inode ({@code stx_dev_major}, {@code stx_dev_minor}, {@code stx_ino}), or null for any other file.
     */
    static String pipeOf(int fd) {
        MemorySegment buf = statx(fd, STATX_TYPE | STATX_INO);
        if (buf == null || (buf.get(JAVA_SHORT, STATX_MODE_OFFSET) & S_IFMT) != S_IFIFO) {
            return null;
        }
        return buf.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET) + ":" + buf.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET + 4) + ":"
                + buf.get(JAVA_LONG, STATX_INO_OFFSET);
    }

    /** {@code file->f_mode & FMODE_READ / FMODE_WRITE}, from the descriptor's access mode. */
    static boolean openFor(int fd, boolean write) {
        int fl = statusFlags(fd);
        if (fl < 0 || (fl & O_PATH) != 0) {
            return false;
        }
        int mode = fl & 3;
        return write ? mode == 1 || mode == 2 : mode == 0 || mode == 2;
    }
}
