package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_SHUTDOWN;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKETPAIR;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The outside world of a poll test: real pipes, eventfds and socketpairs this process makes, writes to and closes,
 * all closed with the world.
 */
final class World implements AutoCloseable {
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SHUT_WR = 1;
    static final int EFD_NONBLOCK = Linux.O_NONBLOCK;

    private final Arena arena = Arena.ofConfined();
    private final List<Integer> open = new ArrayList<>();

    /** {@code pipe2}: {read end, write end}. */
    int[] pipe() {
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        check(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC), "pipe2");
        return keep(fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1));
    }

    /** {@code socketpair(AF_UNIX, SOCK_STREAM)}. */
    int[] socketpair() {
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        check(Linux.call(SYS_SOCKETPAIR, AF_UNIX, SOCK_STREAM | Linux.O_CLOEXEC, 0, fds.address(), 0, 0),
                "socketpair");
        return keep(fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1));
    }

    /** A non-blocking eventfd starting at 0. */
    int eventfd() {
        return keep((int) check(Linux.call(SYS_EVENTFD2, 0, Linux.O_CLOEXEC | EFD_NONBLOCK, 0), "eventfd2"))[0];
    }

    /** Writes {@code n} bytes to {@code fd}. */
    void write(int fd, int n) {
        MemorySegment b = arena.allocate(Math.max(n, 1));
        check(Linux.call(SYS_WRITE, fd, b.address(), n), "write");
    }

    /** Adds {@code value} to an eventfd. */
    void signal(int eventfd, long value) {
        MemorySegment b = arena.allocate(JAVA_LONG);
        b.set(JAVA_LONG, 0, value);
        check(Linux.call(SYS_WRITE, eventfd, b.address(), 8), "write eventfd");
    }

    /** Reads a non-blocking eventfd's count (0 when it would block), which resets it. */
    long count(int eventfd) {
        MemorySegment b = arena.allocate(JAVA_LONG);
        long r = Linux.call(SYS_READ, eventfd, b.address(), 8);
        return r == 8 ? b.get(JAVA_LONG, 0) : 0;
    }

    /** Reads up to {@code n} bytes; how many came. */
    long read(int fd, int n) {
        MemorySegment b = arena.allocate(n);
        return Linux.call(SYS_READ, fd, b.address(), n);
    }

    void shutdownWrite(int fd) {
        check(Linux.call(SYS_SHUTDOWN, fd, SHUT_WR), "shutdown");
    }

    void close(int fd) {
        if (open.remove(Integer.valueOf(fd))) {
            Linux.close(fd);
        }
    }

    int[] keep(int... fds) {
        for (int fd : fds) {
            open.add(fd);
        }
        return fds;
    }

    private static long check(long r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + " failed: " + r);
        }
        return r;
    }

    @Override
    public void close() {
        for (int fd : List.copyOf(open)) {
            Linux.close(fd);
        }
        open.clear();
        arena.close();
    }
}
