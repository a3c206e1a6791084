package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.sys.Linux;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The host server's Unix stream socket, through raw system calls: Java's socket channels cannot receive descriptors
 * (SCM_RIGHTS), and the client sends its own (see {@code src/main/c/ringspec-host-client.c}). Every descriptor made
 * here is close-on-exec, so none reaches a program the server starts.
 */
final class UnixSocket {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CTRUNC = 0x8;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    /** sun_path's size: a path and its NUL. */
    private static final int SUN_PATH_BYTES = 108;
    /** SCM_MAX_FD: the most descriptors one message carries (net/core/scm.c). */
    static final int MAX_FDS = 253;
    /** S_IFMT and S_IFSOCK of st_mode. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocket() {
    }

    /**
     * A socket listening at {@code path}, which is created 0600: bound in a private directory beside it, made 0600
     * there, then renamed into place, so that nobody else can connect in between. A socket already at {@code path}
     * that answers is left alone (an IOException says so); one that does not (its server gone) is replaced; anything
     * else at {@code path} is refused.
     */
    static int listen(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        if (absolute.toString().getBytes(StandardCharsets.UTF_8).length >= SUN_PATH_BYTES - 12) {
            throw new IOException(path + ": the socket's path is too long (a Unix socket's is at most "
                    + (SUN_PATH_BYTES - 1) + " bytes, and the server binds beside it first)");
        }
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(absolute, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                throw new IOException(path + " exists and is not a socket; it was left as it is");
            }
            int probe = connect(absolute);
            if (probe >= 0) {
                Linux.close(probe);
                throw new IOException("a server already answers at " + path);
            }
        }
        Path dir = Files.createTempDirectory(absolute.getParent(), ".ringspec-serve");
        Path bound = dir.resolve("s");
        int fd = (int) Linux.call(Linux.SYS_SOCKET, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX): " + fd);
        }
        boolean done = false;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment address = address(call, bound);
            long r = Linux.call(Linux.SYS_BIND, fd, address.address(), address.byteSize());
            if (r < 0) {
                throw new IOException("bind " + bound + ": " + r);
            }
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            r = Linux.call(Linux.SYS_LISTEN, fd, 64);
            if (r < 0) {
                throw new IOException("listen " + path + ": " + r);
            }
            Files.move(bound, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return fd;
        } finally {
            if (!done) {
                Linux.close(fd);
                Files.deleteIfExists(bound);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** A connection to the socket at {@code path}, or -errno (ECONNREFUSED: nobody listens there). */
    static int connect(Path path) {
        int fd = (int) Linux.call(Linux.SYS_SOCKET, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return fd;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment address = address(call, path);
            long r = Linux.call(Linux.SYS_CONNECT, fd, address.address(), address.byteSize());
            if (r < 0) {
                Linux.close(fd);
                return (int) r;
            }
            return fd;
        }
    }

    private static MemorySegment address(Arena arena, Path path) {
        // struct sockaddr_un: sa_family_t sun_family; char sun_path[108]
        MemorySegment address = arena.allocate(2 + SUN_PATH_BYTES, 2);
        address.set(JAVA_SHORT, 0, (short) AF_UNIX);
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(bytes, 0, address, JAVA_BYTE, 2, Math.min(bytes.length, SUN_PATH_BYTES - 1));
        return address;
    }

    /** The next connection on {@code listening} (close-on-exec), waiting for it; -errno where accept failed. */
    static int accept(int listening) {
        while (true) {
            int fd = (int) Linux.call(Linux.SYS_ACCEPT4, listening, 0, 0, SOCK_CLOEXEC, 0, 0);
            if (fd != -EINTR) {
                return fd;
            }
        }
    }

    /** A receive on {@code fd} ends after {@code millis} without data (SO_RCVTIMEO; 0: never). */
    static void receiveTimeout(int fd, long millis) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment timeval = call.allocate(16, 8);
            timeval.set(JAVA_LONG, 0, millis / 1000);
            timeval.set(JAVA_LONG, 8, millis % 1000 * 1000);
            Linux.call(Linux.SYS_SETSOCKOPT, fd, SOL_SOCKET, SO_RCVTIMEO, timeval.address(), 16, 0);
        }
    }

    /**
     * Fills {@code into} from {@code fd}, the descriptors that come with its bytes (SCM_RIGHTS, received
     * close-on-exec) added to {@code fds}.
     *
     * @throws EOFException where the peer closed first; IOException where the receive failed, timed out, or
     *     descriptors were dropped (MSG_CTRUNC)
     */
    static void receive(int fd, byte[] into, List<Integer> fds) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(Math.max(1, into.length));
            long controlBytes = 16 + ((MAX_FDS * 4L + 7) & ~7L);
            MemorySegment control = call.allocate(controlBytes, 8);
            MemorySegment iov = call.allocate(16, 8);
            // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags
            MemorySegment msg = call.allocate(56, 8);
            int done = 0;
            while (done < into.length) {
                iov.set(JAVA_LONG, 0, buf.address() + done);
                iov.set(JAVA_LONG, 8, into.length - done);
                msg.fill((byte) 0);
                msg.set(JAVA_LONG, 16, iov.address());
                msg.set(JAVA_LONG, 24, 1);
                msg.set(JAVA_LONG, 32, control.address());
                msg.set(JAVA_LONG, 40, controlBytes);
                long n = Linux.call(Linux.SYS_RECVMSG, fd, msg.address(), MSG_CMSG_CLOEXEC);
                if (n == -EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw new IOException("recvmsg: " + n);
                }
                takeDescriptors(control, msg.get(JAVA_LONG, 40), fds);
                if ((msg.get(JAVA_INT, 48) & MSG_CTRUNC) != 0) {
                    throw new IOException("descriptors were dropped (MSG_CTRUNC)");
                }
                if (n == 0) {
                    throw new EOFException("the client closed the connection");
                }
                done += (int) n;
            }
            MemorySegment.copy(buf, JAVA_BYTE, 0, into, 0, into.length);
        }
    }

    /** The SCM_RIGHTS descriptors of a received control buffer (struct cmsghdr: len, level, type, data). */
    private static void takeDescriptors(MemorySegment control, long length, List<Integer> fds) {
        long offset = 0;
        while (offset + 16 <= length) {
            long cmsgLen = control.get(JAVA_LONG, offset);
            if (cmsgLen < 16) {
                return;
            }
            if (control.get(JAVA_INT, offset + 8) == SOL_SOCKET && control.get(JAVA_INT, offset + 12) == SCM_RIGHTS) {
                for (long at = offset + 16; at + 4 <= offset + cmsgLen; at += 4) {
                    fds.add(control.get(JAVA_INT, at));
                }
            }
            offset += (cmsgLen + 7) & ~7L;
        }
    }

    /** One byte or more from {@code fd} into {@code into}: the count, 0 at the peer's end, or -errno. */
    static int read(int fd, byte[] into) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(into.length);
            long n;
            do {
                n = Linux.call(Linux.SYS_READ, fd, buf.address(), into.length);
            } while (n == -EINTR);
            if (n > 0) {
                MemorySegment.copy(buf, JAVA_BYTE, 0, into, 0, (int) n);
            }
            return (int) n;
        }
    }

    /** Sends all of {@code bytes} (MSG_NOSIGNAL: a peer gone is an error, not a SIGPIPE): 0 or -errno. */
    static int send(int fd, byte[] bytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buf, JAVA_BYTE, 0, bytes.length);
            long done = 0;
            while (done < bytes.length) {
                long n = Linux.call(Linux.SYS_SENDTO, fd, buf.address() + done, bytes.length - done, MSG_NOSIGNAL,
                        0, 0);
                if (n == -EINTR) {
                    continue;
                }
                if (n < 0) {
                    return (int) n;
                }
                done += n;
            }
            return 0;
        }
    }

    /** Ends both directions of {@code fd}'s connection: a thread reading it sees the end. */
    static void shutdown(int fd) {
        Linux.call(Linux.SYS_SHUTDOWN, fd, SHUT_RDWR);
    }
}
