package dev.ringspec.nativerunner;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The small syscalls fixtures need beside io_uring: pipes, eventfds, files, reads, writes, closes and
 * {@code PR_SET_NO_NEW_PRIVS}. Each returns what the kernel returns: a non-negative result or {@code -errno}.
 */
public final class Posix {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_TRUNC = 0x200;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int AT_FDCWD = -100;
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    public static final int EFD_CLOEXEC = O_CLOEXEC;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;

    private Posix() {
    }

    /** {@code pipe2(fds, flags)}: writes the read end to {@code fds[0]} and the write end to {@code fds[1]}. */
    public static int pipe2(MemorySegment fds, int flags) {
        if (fds.byteSize() < 2L * Integer.BYTES) {
            throw new IllegalArgumentException("pipe2 writes two ints; the segment has " + fds.byteSize() + " bytes");
        }
        return Native.Pipe2.call(fds, flags);
    }

    /** A pipe as {@code {readFd, writeFd}}, or {@code {-errno}}. */
    public static int[] pipe(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = pipe2(fds, flags);
            return r < 0 ? new int[] {r} : new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0),
                fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        }
    }

    public static int eventfd(int initialValue, int flags) {
        return Native.Eventfd.call(initialValue, flags);
    }

    public static int openat(int dirfd, String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path, StandardCharsets.UTF_8);
            return Native.Openat.call(dirfd, cPath, flags, mode);
        }
    }

    public static long read(int fd, MemorySegment buffer, long count) {
        checkBounds(buffer, count);
        return Native.Read.call(fd, buffer, count);
    }

    public static long write(int fd, MemorySegment buffer, long count) {
        checkBounds(buffer, count);
        return Native.Write.call(fd, buffer, count);
    }

    public static int close(int fd) {
        return Native.Close.call(fd);
    }

    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)}: irreversible for this process and its children. */
    public static int setNoNewPrivs() {
        return Native.Prctl.call(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }

    public static int getNoNewPrivs() {
        return Native.Prctl.call(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    }

    /** The calling thread's kernel task id. */
    public static int gettid() {
        return (int) Native.Syscall.call0(Native.SYS_GETTID);
    }

    /** uname(2)'s release field, for example {@code "6.18.44-fc-v669"}. */
    public static String kernelRelease() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Native.Uname.SIZE_BYTES);
            int r = Native.Uname.call(buffer);
            if (r < 0) {
                return "unknown (uname " + r + ")";
            }
            return buffer.getString(2L * Native.Uname.FIELD_BYTES, StandardCharsets.UTF_8);
        }
    }

    private static void checkBounds(MemorySegment buffer, long count) {
        if (count < 0 || count > buffer.byteSize()) {
            throw new IndexOutOfBoundsException(
                    "count " + count + " does not fit the " + buffer.byteSize() + "-byte buffer");
        }
    }
}
