package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_PREADV2;
import static dev.ringspec.emulator.sys.Linux.SYS_PWRITEV2;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EFBIG;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ProcessDescriptorTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The read and write transfers of a served program ({@link ProgramMemory}): its iovec names its own memory, so the
 * real {@code preadv2}/{@code pwritev2} runs on a buffer of this JVM and the bytes cross with the program's memory
 * before (write) or after (read) the call, before the CQE is posted. At most {@link #MAX_BYTES} move per call: a
 * short transfer, which a regular file's read continues ({@code Rw}) and a stream may give anyway.
 *
 * <p>The same for the other opcodes that move bytes of the program's: {@link ProgramMessages} (SEND, RECV,
 * SENDMSG, RECVMSG, their multishot and zero-copy forms). A descriptor number the program names outside the SQE's
 * own file (eventfd registration, SPLICE's input, SCM_RIGHTS) is the program's too: {@link #localDescriptor}.
 *
 * <p>One served program per JVM: {@link #serve} is process-wide, as {@code ringspec host} runs one.
 */
public final class ProgramTransfers {
    static final long MAX_BYTES = 1L << 22;

    private static volatile ProgramMemory program;
    private static volatile ProcessDescriptorTable descriptors;

    private static final ThreadLocal<MemorySegment> BUFFER = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(MAX_BYTES + 16, 4096));

    private ProgramTransfers() {
    }

    /**
     * From now on the opcodes transfer to and from {@code memory}'s program, and take its descriptors from
     * {@code table} ({@code null}, {@code null}: none, this process's own).
     */
    public static void serve(ProgramMemory memory, ProcessDescriptorTable table) {
        program = memory;
        descriptors = table;
    }

    /** The served program's descriptor table, or null where the application is this process. */
    static ProcessDescriptorTable descriptors() {
        return descriptors;
    }

    /**
     * A reference of this JVM to the application's {@code fd} for one call, given back with {@link #release} after
     * it (a served program's: a copy taken from it; this process's: {@code fd} itself), or -EBADF ({@code fget}).
     */
    static int hold(int fd) {
        ProcessDescriptorTable table = descriptors;
        int local = table == null ? fd : table.get(fd);
        return local < 0 ? -EBADF : local;
    }

    /** Gives back a reference {@link #hold} gave ({@code fput}). */
    static void release(int reference) {
        ProcessDescriptorTable table = descriptors;
        if (table != null && reference >= 0) {
            table.put(reference);
        }
    }

    /**
     * A reference of this JVM's own to the application's {@code fd} (a new descriptor, which the caller closes), as
     * the kernel takes a file reference ({@code fget}, {@code eventfd_ctx_fdget}): -EBADF for none.
     */
    static int duplicate(int fd) {
        int local = hold(fd);
        if (local < 0) {
            return local;
        }
        try {
            return Linux.dup(local);
        } finally {
            release(local);
        }
    }

    /** The program being served, or null. */
    static ProgramMemory program() {
        return program;
    }

    /** {@code preadv2}/{@code pwritev2} of the program's {@code iov}: the bytes moved, or -errno. */
    static long readWrite(ProgramMemory memory, int fd, boolean write, long[] iov, long pos, int rwFlags) {
        MemorySegment buffer = BUFFER.get();
        MemorySegment vec = buffer.asSlice(MAX_BYTES, 16);
        long total = total(iov);
        if (write) {
            total = writable(fd, pos, rwFlags, total);
            if (total < 0) {
                return total;
            }
        }
        if (write && !cross(memory, iov, buffer, total, true)) {
            return -EFAULT;
        }
        vec.set(JAVA_LONG, 0, buffer.address());
        vec.set(JAVA_LONG, 8, total);
        long n = Linux.call(write ? SYS_PWRITEV2 : SYS_PREADV2, fd, vec.address(), 1, pos, 0, rwFlags);
        if (!write && n > 0 && !cross(memory, iov, buffer, n, false)) {
            // copy_to_user failed after the file gave the bytes: the kernel's read answers -EFAULT too
            return -EFAULT;
        }
        return n;
    }

    private static final int O_APPEND = 02000;
    private static final int RWF_APPEND = 0x10;
    private static final int SEEK_CUR = 1;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 1;
    private static final int STATX_SIZE = 0x200;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    /**
     * {@code generic_write_check_limits} against the application's RLIMIT_FSIZE
     * ({@link ProcessDescriptorTable#fileSizeLimit}): of {@code count} bytes written to regular file {@code fd} at
     * {@code pos} (-1: its position; the end with O_APPEND or RWF_APPEND), how many it may write, or -EFBIG where
     * the position is at or past the limit. The kernel also sends the writing task SIGXFSZ; here nothing is sent.
     */
    static long writable(int fd, long pos, int rwFlags, long count) {
        long limit = fileSizeLimit();
        if (limit == Long.MAX_VALUE) {
            return count;
        }
        long size = regularFileSize(fd);
        if (size < 0) {
            return count;
        }
        long at = pos;
        if ((rwFlags & RWF_APPEND) != 0 || (Linux.call(Linux.SYS_FCNTL, fd, Linux.F_GETFL, 0) & O_APPEND) != 0) {
            at = size;
        } else if (pos == -1) {
            at = Linux.call(Linux.SYS_LSEEK, fd, 0, SEEK_CUR);
        }
        if (at < 0) {
            return count;
        }
        return at >= limit ? -EFBIG : Math.min(count, limit - at);
    }

    /**
     * {@code inode_newsize_ok} for a fallocate that may grow regular file {@code fd} to {@code end}: -EFBIG where
     * that is past the file's size and the application's RLIMIT_FSIZE, else 0.
     */
    static int growable(int fd, long end) {
        long limit = fileSizeLimit();
        if (limit == Long.MAX_VALUE) {
            return 0;
        }
        long size = regularFileSize(fd);
        return size >= 0 && end > size && end > limit ? -EFBIG : 0;
    }

    private static long fileSizeLimit() {
        ProcessDescriptorTable table = descriptors;
        return table == null ? Long.MAX_VALUE : table.fileSizeLimit();
    }

    /** The size of {@code fd}'s file where it is a regular file ({@code statx}), else -1. */
    private static long regularFileSize(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment stx = call.allocate(256, 8);
            long r = Linux.call(Linux.SYS_STATX, fd, call.allocateFrom("").address(), AT_EMPTY_PATH,
                    STATX_TYPE | STATX_SIZE, stx.address(), 0);
            if (r < 0 || (stx.get(JAVA_SHORT, STX_MODE) & S_IFMT) != S_IFREG) {
                return -1;
            }
            return stx.get(JAVA_LONG, STX_SIZE);
        }
    }

    private static final long STX_MODE = 0x1c;
    private static final long STX_SIZE = 0x28;

    /** This thread's buffer: {@link #MAX_BYTES} for the bytes in transit (and 16 more for an iovec). */
    static MemorySegment buffer() {
        return BUFFER.get();
    }

    /** The bytes {@code iov} ((base, length) pairs) holds, at most {@link #MAX_BYTES}. */
    static long total(long[] iov) {
        long total = 0;
        for (int i = 1; i < iov.length && total < MAX_BYTES; i += 2) {
            total += Math.min(iov[i], MAX_BYTES - total);
        }
        return total;
    }

    /** The first {@code bytes} of {@code buffer} to ({@code in}: from) the program's iovec. */
    static boolean cross(ProgramMemory memory, long[] iov, MemorySegment buffer, long bytes, boolean in) {
        long done = 0;
        for (int i = 0; i < iov.length && done < bytes; i += 2) {
            long take = Math.min(iov[i + 1], bytes - done);
            MemorySegment part = buffer.asSlice(done, take);
            if (take > 0 && !(in ? memory.copyIn(iov[i], part) : memory.copyOut(part, iov[i]))) {
                return false;
            }
            done += take;
        }
        return true;
    }
}
