package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_GETSOCKOPT;
import static dev.ringspec.emulator.sys.Linux.SYS_IOCTL;
import static dev.ringspec.emulator.sys.Linux.SYS_PPOLL;
import static dev.ringspec.emulator.sys.Linux.SYS_READLINKAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * What the emulator's file and socket opcodes ask of a real descriptor beyond their own call: its socket type and
 * family, whether it is an io_uring, how much it holds to read, and a call made as if with {@code O_NONBLOCK}.
 */
final class RealSockets {
    static final int SOL_SOCKET = 1;
    static final int SO_TYPE = 3;
    static final int SO_ERROR = 4;
    static final int SO_DOMAIN = 39;
    static final int FIONREAD = 0x541b;
    static final int POLLIN = 1;
    static final int POLLERR = 8;
    private static final int AT_FDCWD = -100;

    private RealSockets() {
    }

    /** {@code getsockopt(fd, SOL_SOCKET, opt)} as an int; -ENOTSOCK for a file that is no socket ({@code sock_from_file}). */
    static int sockOpt(int fd, int opt) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment v = call.allocate(JAVA_INT);
            MemorySegment len = call.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 4);
            long r = Linux.call(SYS_GETSOCKOPT, fd, SOL_SOCKET, opt, v.address(), len.address(), 0);
            return r < 0 ? (int) r : v.get(JAVA_INT, 0);
        }
    }

    /** {@code FIONREAD}: the bytes waiting to be read, or -errno. */
    static int bytesToRead(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment v = call.allocate(JAVA_INT);
            long r = Linux.call(SYS_IOCTL, fd, FIONREAD, v.address());
            return r < 0 ? (int) r : v.get(JAVA_INT, 0);
        }
    }

    /** The poll bits of {@code fd} for {@code events} right now ({@code ppoll} with a zero timeout). */
    static int pollNow(int fd, int events) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment pfd = call.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, (short) events);
            MemorySegment ts = call.allocate(16, 8);
            long r = Linux.call(SYS_PPOLL, pfd.address(), 1, ts.address(), 0, 8, 0);
            return r <= 0 ? 0 : Short.toUnsignedInt(pfd.get(JAVA_SHORT, 6));
        }
    }

    /**
     * {@code call} made as the kernel's non-blocking attempt makes it ({@code O_NONBLOCK} in the call's file flags):
     * the file is made non-blocking for the call and restored after, when it was not already.
     */
    static int nonBlocking(int fd, IntSupplier call) {
        long fl = Linux.call(SYS_FCNTL, fd, Linux.F_GETFL, 0);
        if (fl < 0 || (fl & Linux.O_NONBLOCK) != 0) {
            return call.getAsInt();
        }
        Linux.call(SYS_FCNTL, fd, Linux.F_SETFL, fl | Linux.O_NONBLOCK);
        try {
            return call.getAsInt();
        } finally {
            Linux.call(SYS_FCNTL, fd, Linux.F_SETFL, fl);
        }
    }

    /** {@code io_is_uring_fops}: an emulated ring's descriptor (or a duplicate of one), or a kernel io_uring's. */
    static boolean isIoUring(int fd, EmulatorServices services) {
        if (services.ring(fd) != null) {
            return true;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment path = call.allocateFrom("/proc/self/fd/" + fd);
            MemorySegment buf = call.allocate(64);
            long n = Linux.call(SYS_READLINKAT, AT_FDCWD, path.address(), buf.address(), 64, 0, 0);
            return n > 0 && new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    StandardCharsets.ISO_8859_1).equals("anon_inode:[io_uring]");
        }
    }
}
