package dev.ringspec.emulator.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The emulator's way into the real kernel for the I/O it emulates: {@code syscall(2)} with six arguments, each a
 * {@code long}, answering the kernel's result or {@code -errno} (read from the call's own captured state, never
 * from a later libc call). Pointer arguments are raw addresses: the kernel checks them, so a bad one is
 * {@code -EFAULT}, never a crash of this JVM. Syscall numbers are x86_64's or arm64's (asm-generic), chosen once.
 */
public final class Linux {
    private static final boolean X86 = isX86();

    public static final long SYS_READ = nr(0, 63);
    public static final long SYS_WRITE = nr(1, 64);
    public static final long SYS_CLOSE = nr(3, 57);
    public static final long SYS_FSTAT = nr(5, 80);
    public static final long SYS_LSEEK = nr(8, 62);
    public static final long SYS_IOCTL = nr(16, 29);
    public static final long SYS_MMAP = nr(9, 222);
    public static final long SYS_MPROTECT = nr(10, 226);
    public static final long SYS_MUNMAP = nr(11, 215);
    public static final long SYS_PREAD64 = nr(17, 67);
    public static final long SYS_PWRITE64 = nr(18, 68);
    public static final long SYS_READV = nr(19, 65);
    public static final long SYS_WRITEV = nr(20, 66);
    public static final long SYS_DUP = nr(32, 23);
    public static final long SYS_GETPID = nr(39, 172);
    public static final long SYS_GETTID = nr(186, 178);
    public static final long SYS_TGKILL = nr(234, 131);
    public static final long SYS_RT_SIGACTION = nr(13, 134);
    public static final long SYS_RT_SIGPROCMASK = nr(14, 135);
    public static final long SYS_SOCKET = nr(41, 198);
    public static final long SYS_CONNECT = nr(42, 203);
    public static final long SYS_SENDTO = nr(44, 206);
    public static final long SYS_RECVFROM = nr(45, 207);
    public static final long SYS_SENDMSG = nr(46, 211);
    public static final long SYS_RECVMSG = nr(47, 212);
    public static final long SYS_SHUTDOWN = nr(48, 210);
    public static final long SYS_BIND = nr(49, 200);
    public static final long SYS_LISTEN = nr(50, 201);
    public static final long SYS_GETSOCKNAME = nr(51, 204);
    public static final long SYS_SOCKETPAIR = nr(53, 199);
    public static final long SYS_SETSOCKOPT = nr(54, 208);
    public static final long SYS_GETSOCKOPT = nr(55, 209);
    public static final long SYS_FCNTL = nr(72, 25);
    public static final long SYS_FSYNC = nr(74, 82);
    public static final long SYS_FDATASYNC = nr(75, 83);
    public static final long SYS_FTRUNCATE = nr(77, 46);
    public static final long SYS_CLOCK_GETTIME = nr(228, 113);
    public static final long SYS_EPOLL_CTL = nr(233, 21);
    public static final long SYS_OPENAT = nr(257, 56);
    public static final long SYS_SYNC_FILE_RANGE = nr(277, 84);
    public static final long SYS_READLINKAT = nr(267, 78);
    public static final long SYS_PPOLL = nr(271, 73);
    public static final long SYS_EPOLL_PWAIT = nr(281, 22);
    public static final long SYS_FALLOCATE = nr(285, 47);
    public static final long SYS_ACCEPT4 = nr(288, 242);
    public static final long SYS_EVENTFD2 = nr(290, 19);
    public static final long SYS_EPOLL_CREATE1 = nr(291, 20);
    public static final long SYS_DUP3 = nr(292, 24);
    public static final long SYS_PIPE2 = nr(293, 59);
    public static final long SYS_PREADV2 = nr(327, 286);
    public static final long SYS_PWRITEV2 = nr(328, 287);
    public static final long SYS_PROCESS_VM_READV = nr(310, 270);
    public static final long SYS_PROCESS_VM_WRITEV = nr(311, 271);
    public static final long SYS_KCMP = nr(312, 272);
    public static final long SYS_MEMFD_CREATE = nr(319, 279);
    public static final long SYS_STATX = nr(332, 291);
    public static final long SYS_OPENAT2 = 437;
    public static final long SYS_EPOLL_PWAIT2 = 441;

    public static final int F_GETFD = 1;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int STATX_TYPE = 1;
    public static final int S_IFMT = 0xf000;
    public static final int S_IFIFO = 0x1000;
    public static final int CLOCK_REALTIME = 0;
    public static final int CLOCK_MONOTONIC = 1;
    public static final int CLOCK_BOOTTIME = 7;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = MethodHandles.insertCoordinates(
            CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno")), 1, 0L);
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));
    private static final MethodHandle SYSCALL = linkSyscall();

    private Linux() {
    }

    private static boolean isX86() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) || "x86_64".equals(arch);
    }

    private static long nr(long x86, long asmGeneric) {
        return X86 ? x86 : asmGeneric;
    }

    @SuppressWarnings("restricted") // the emulator's real I/O is this call
    private static MethodHandle linkSyscall() {
        MemorySegment symbol = LINKER.defaultLookup().find("syscall")
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no syscall"));
        return LINKER.downcallHandle(symbol,
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    }

    /** {@code syscall(number, a, b, c, d, e, f)}: the result, or {@code -errno}. */
    public static long call(long number, long a, long b, long c, long d, long e, long f) {
        return call(CAPTURE.get(), number, a, b, c, d, e, f);
    }

    /**
     * Where {@link #call(MemorySegment, long, long, long, long, long, long, long)} may capture errno: one thread's at
     * a time. A thread that makes many calls keeps one and saves the thread-local lookup of each call.
     */
    public static MemorySegment newCapture() {
        return Arena.ofAuto().allocate(CAPTURE_LAYOUT);
    }

    /** {@code syscall(number, a, b, c, d, e, f)} with errno captured in {@code capture} ({@link #newCapture}). */
    public static long call(MemorySegment capture, long number, long a, long b, long c, long d, long e, long f) {
        long result;
        try {
            result = (long) SYSCALL.invokeExact(capture, number, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return result == -1 ? -(int) ERRNO.get(capture) : result;
    }

    public static long call(long number, long a, long b, long c) {
        return call(number, a, b, c, 0, 0, 0);
    }

    public static long call(long number, long a, long b) {
        return call(number, a, b, 0, 0, 0, 0);
    }

    public static long call(long number, long a) {
        return call(number, a, 0, 0, 0, 0, 0);
    }

    /**
     * The process's open descriptors, each as {@code "fd -> target"} from {@code /proc/self/fd}: what a leak check
     * compares before and after.
     */
    public static java.util.Set<String> openDescriptors() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            for (java.nio.file.Path fd : fds.toList()) {
                try {
                    out.add(fd.getFileName() + " -> " + java.nio.file.Files.readSymbolicLink(fd));
                } catch (java.io.IOException gone) {
                    // the listing's own descriptor, closed by now
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list /proc/self/fd", e);
        }
        return out;
    }

    /** {@code close(fd)}: 0 or {@code -errno}. */
    public static int close(int fd) {
        return (int) call(SYS_CLOSE, fd);
    }

    /** {@code fcntl(fd, F_GETFD)} answers: whether {@code fd} is open in this process. */
    public static boolean isOpen(int fd) {
        return fd >= 0 && call(SYS_FCNTL, fd, F_GETFD, 0) >= 0;
    }

    /** {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)}: a new descriptor for the same file, or {@code -errno}. */
    public static int dup(int fd) {
        return (int) call(SYS_FCNTL, fd, F_DUPFD_CLOEXEC, 0);
    }

    /** {@code clock_gettime(clockId)} in nanoseconds. */
    public static long clockGettimeNanos(int clockId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(16, 8);
            long r = call(SYS_CLOCK_GETTIME, clockId, ts.address());
            if (r < 0) {
                throw new IllegalStateException("clock_gettime(" + clockId + "): " + r);
            }
            return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
        }
    }

    /**
     * The {@code S_IFMT} bits of the mode of the file {@code fd} names ({@code statx} with AT_EMPTY_PATH and
     * STATX_TYPE; {@code stx_mode} is at byte 28 on every architecture), or {@code -errno}.
     */
    public static int fileType(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment empty = call.allocate(8, 8);
            MemorySegment stx = call.allocate(256, 8);
            long r = call(SYS_STATX, fd, empty.address(), AT_EMPTY_PATH, STATX_TYPE, stx.address(), 0);
            return r < 0 ? (int) r : stx.get(JAVA_SHORT, 28) & S_IFMT;
        }
    }

    /** {@code fstat(fd)}'s {@code st_ino} (at byte 8 of x86_64's and arm64's struct stat), or {@code -errno}. */
    public static long inode(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment st = call.allocate(256, 8);
            long r = call(SYS_FSTAT, fd, st.address());
            return r < 0 ? r : st.get(JAVA_LONG, 8);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
