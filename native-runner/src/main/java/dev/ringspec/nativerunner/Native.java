package dev.ringspec.nativerunner;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
 * The libc functions ringspec calls, one holder per function with its descriptor and handle, each linked with
 * {@code captureCallState("errno")} so errno is read from the call itself, never from {@code __errno_location()}
 * after the JVM may have run other code. Every wrapper returns the result, or {@code -errno} on failure, the way
 * the kernel reports it.
 *
 * <p>{@code syscall(2)} is variadic: its handles are linked with {@code firstVariadicArg(1)} and pass every
 * argument as a {@code long}, as the C calling convention reads them.
 */
final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = MethodHandles.insertCoordinates(
            CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno")), 1, 0L);
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** One capture buffer per thread: the call and the read of errno happen on the same thread. */
    private static final ThreadLocal<MemorySegment> CAPTURE = ThreadLocal.withInitial(Native::newCaptureState);

    /** x86_64 syscall numbers; asm-generic (arm64) uses the same three for io_uring. */
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;
    static final long SYS_GETTID = arch("x86_64", 186, 178);

    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final long MAP_FAILED = -1L;

    private Native() {
    }

    private static long arch(String name, long onIt, long otherwise) {
        String a = System.getProperty("os.arch");
        return name.equals(a) || ("amd64".equals(a) && "x86_64".equals(name)) ? onIt : otherwise;
    }

    @SuppressWarnings("restricted") // linking libc is what this class is for
    private static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(symbol, descriptor, all);
    }

    static MemorySegment captureState() {
        return CAPTURE.get();
    }

    /** A capture buffer of its own, freed when unreachable; for one thread at a time. */
    static MemorySegment newCaptureState() {
        return Arena.ofAuto().allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture);
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

    /** {@code long syscall(long number, ...)} with two, four and six arguments. */
    static final class Syscall {
        private static final MethodHandle ARGS2 = link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        private static final MethodHandle ARGS4 = link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        private static final MethodHandle ARGS6 = link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        private static final MethodHandle ARGS0 = link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));

        private Syscall() {
        }

        static long call0(long number) {
            MemorySegment capture = captureState();
            try {
                long r = (long) ARGS0.invokeExact(capture, number);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static long call2(long number, long a, long b) {
            MemorySegment capture = captureState();
            try {
                long r = (long) ARGS2.invokeExact(capture, number, a, b);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static long call4(long number, long a, long b, long c, long d) {
            MemorySegment capture = captureState();
            try {
                long r = (long) ARGS4.invokeExact(capture, number, a, b, c, d);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static long call6(long number, long a, long b, long c, long d, long e, long f) {
            return call6(captureState(), number, a, b, c, d, e, f);
        }

        /** With a capture buffer the caller owns for this thread. */
        static long call6(MemorySegment capture, long number, long a, long b, long c, long d, long e, long f) {
            try {
                long r = (long) ARGS6.invokeExact(capture, number, a, b, c, d, e, f);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    static final class Mmap {
        private static final MethodHandle HANDLE = link("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));

        private Mmap() {
        }

        /** The mapping's address, or {@code -errno}. Addresses never reach the top page, so no overlap. */
        static long call(long addr, long length, int prot, int flags, int fd, long offset) {
            MemorySegment capture = captureState();
            try {
                long r = (long) HANDLE.invokeExact(capture, addr, length, prot, flags, fd, offset);
                return r == MAP_FAILED ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int munmap(void *addr, size_t length)}. */
    static final class Munmap {
        private static final MethodHandle HANDLE = link("munmap",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));

        private Munmap() {
        }

        static int call(long addr, long length) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, addr, length);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int close(int fd)}. */
    static final class Close {
        private static final MethodHandle HANDLE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        private Close() {
        }

        static int call(int fd) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, fd);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int pipe2(int pipefd[2], int flags)}. */
    static final class Pipe2 {
        private static final MethodHandle HANDLE = link("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

        private Pipe2() {
        }

        static int call(MemorySegment fds, int flags) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, fds, flags);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int eventfd(unsigned int initval, int flags)}. */
    static final class Eventfd {
        private static final MethodHandle HANDLE = link("eventfd",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

        private Eventfd() {
        }

        static int call(int initialValue, int flags) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, initialValue, flags);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int openat(int dirfd, const char *path, int flags, ...)}: variadic mode, passed as an int. */
    static final class Openat {
        private static final MethodHandle HANDLE = link("openat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(3));

        private Openat() {
        }

        static int call(int dirfd, MemorySegment path, int flags, int mode) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, dirfd, path, flags, mode);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
    static final class Read {
        private static final MethodHandle HANDLE = link("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

        private Read() {
        }

        static long call(int fd, MemorySegment buffer, long count) {
            MemorySegment capture = captureState();
            try {
                long r = (long) HANDLE.invokeExact(capture, fd, buffer, count);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
    static final class Write {
        private static final MethodHandle HANDLE = link("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

        private Write() {
        }

        static long call(int fd, MemorySegment buffer, long count) {
            MemorySegment capture = captureState();
            try {
                long r = (long) HANDLE.invokeExact(capture, fd, buffer, count);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int socketpair(int domain, int type, int protocol, int sv[2])}. */
    static final class Socketpair {
        private static final MethodHandle HANDLE = link("socketpair",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

        private Socketpair() {
        }

        static int call(int domain, int type, int protocol, MemorySegment fds) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, domain, type, protocol, fds);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)}. */
    static final class Setsockopt {
        private static final MethodHandle HANDLE = link("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

        private Setsockopt() {
        }

        static int call(int fd, int level, int name, MemorySegment value, int length) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, fd, level, name, value, length);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /**
     * {@code ssize_t send(int fd, const void *buf, size_t len, int flags)} and
     * {@code ssize_t recv(int fd, void *buf, size_t len, int flags)}: one descriptor, two handles.
     */
    static final class SendRecv {
        private static final FunctionDescriptor DESCRIPTOR =
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
        private static final MethodHandle SEND = link("send", DESCRIPTOR);
        private static final MethodHandle RECV = link("recv", DESCRIPTOR);

        private SendRecv() {
        }

        static long send(int fd, MemorySegment buffer, long length, int flags) {
            return call(SEND, fd, buffer, length, flags);
        }

        static long recv(int fd, MemorySegment buffer, long length, int flags) {
            return call(RECV, fd, buffer, length, flags);
        }

        private static long call(MethodHandle handle, int fd, MemorySegment buffer, long length, int flags) {
            MemorySegment capture = captureState();
            try {
                long r = (long) handle.invokeExact(capture, fd, buffer, length, flags);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int prctl(int option, ...)}: four variadic unsigned longs. */
    static final class Prctl {
        private static final MethodHandle HANDLE = link("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));

        private Prctl() {
        }

        static int call(int option, long a, long b, long c, long d) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, option, a, b, c, d);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** {@code int uname(struct utsname *buf)}. */
    static final class Uname {
        /** {@code struct utsname} on Linux: six fields of {@code _UTSNAME_LENGTH} (65) bytes. */
        static final int FIELD_BYTES = 65;
        static final int SIZE_BYTES = 6 * FIELD_BYTES;
        private static final MethodHandle HANDLE = link("uname", FunctionDescriptor.of(JAVA_INT, ADDRESS));

        private Uname() {
        }

        static int call(MemorySegment buffer) {
            MemorySegment capture = captureState();
            try {
                int r = (int) HANDLE.invokeExact(capture, buffer);
                return r == -1 ? -errno(capture) : r;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }
}
