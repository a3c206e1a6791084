package dev.ringspec.lockstep;

import static dev.ringspec.emulator.sys.Linux.SYS_BIND;
import static dev.ringspec.emulator.sys.Linux.SYS_CONNECT;
import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_FTRUNCATE;
import static dev.ringspec.emulator.sys.Linux.SYS_GETSOCKNAME;
import static dev.ringspec.emulator.sys.Linux.SYS_LISTEN;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_PREADV2;
import static dev.ringspec.emulator.sys.Linux.SYS_PWRITEV2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_SETSOCKOPT;
import static dev.ringspec.emulator.sys.Linux.SYS_SHUTDOWN;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKET;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKETPAIR;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.SqeFields;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringSqe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One side's outside world in a lockstep run with real I/O ({@link Step.Outside}, {@link Step.WriteIo}): its own
 * pipe, socketpair, loopback TCP listener with a socket to connect and a peer that connects to it, a scratch
 * directory with a data file, and the memory its requests read and write (buffers, iovecs, timespecs, a sockaddr,
 * paths, a statx buffer, provided buffers), all in the side's {@link UserMemory}. Each side has its own, because
 * real I/O consumes what it reads; the steps act on both alike, so the two worlds hold the same bytes.
 *
 * <p>The world's ends (the pipe's write end, the socketpair's second socket, the TCP peer) are non-blocking; the
 * ends the requests use block, as an application's usually do, so a request that cannot go on at once arms a poll
 * (io_uring/io_uring.c io_arm_poll_handler) rather than failing. A world step never blocks the run: it reads and
 * writes a pipe or socket with RWF_NOWAIT, so a shrunk step that names a blocking end answers -EAGAIN as a
 * non-blocking end does (it blocked for ever where nothing fed it), and a connect gives up after
 * {@value #CONNECT_TIMEOUT_SECONDS} s (a full backlog).
 */
final class OutsideWorld implements AutoCloseable {
    /** What a request's {@code target} names. */
    static final int PIPE_READ = 0;
    static final int PIPE_WRITE = 1;
    static final int SOCKET = 2;
    static final int SOCKET_PEER = 3;
    static final int FILE = 4;
    static final int LISTENER = 5;
    static final int TCP_CLIENT = 6;
    static final int TCP_PEER = 7;
    static final int DIRECTORY = 8;
    /** An eventfd (blocking), which a step may register with the ring ({@link Step.Outside#REGISTER_EVENTFD}). */
    static final int EVENTFD = 9;
    static final int TARGETS = 10;
    /** Names a request's target for reports. */
    static final String[] TARGET_NAMES = {"pipe.r", "pipe.w", "sock", "sock.peer", "file", "listener", "tcp",
        "tcp.peer", "dir", "eventfd"};

    /** Buffers a request reads into or writes from: {@value #BUFFERS} of {@value #BUFFER_BYTES} bytes. */
    static final int BUFFERS = 4;
    static final int BUFFER_BYTES = 4096;
    /** Provided buffers ({@code PROVIDE_BUFFERS}): {@value #PROVIDED} of {@value #PROVIDED_BYTES} bytes. */
    static final int PROVIDED = 16;
    static final int PROVIDED_BYTES = 256;
    /** Paths a request may name, relative to the scratch directory; the last one never exists. */
    static final String[] PATHS = {"data", "f0", "f1", "absent/x"};
    /** The two timeouts: 5 ms (over before any {@link Step.Outside#ADVANCE_CLOCK}) and 1,000 s (never). */
    static final long[] TIMEOUT_NANOS = {5_000_000L, 1_000_000_000_000L};

    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SHUT_WR = 1;
    private static final int EINTR = 4;
    private static final int EISCONN = 106;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDTIMEO = 21;
    /** preadv2 and pwritev2: answer -EAGAIN rather than wait (include/uapi/linux/fs.h). */
    private static final int RWF_NOWAIT = 0x8;
    /** How long a world connect waits for the listener's backlog at most (SO_SNDTIMEO bounds connect(2)). */
    static final int CONNECT_TIMEOUT_SECONDS = 1;
    /** membarrier(2) (x86-64, else asm-generic), and its command that waits for an RCU grace period. */
    private static final long SYS_MEMBARRIER = "aarch64".equals(System.getProperty("os.arch")) ? 283 : 324;
    private static final int MEMBARRIER_CMD_GLOBAL = 1;

    private final int[] fds = new int[TARGETS];
    private final Path directory;
    /** What every request points into, compared after each step ({@link #compared}). */
    final MemorySegment buffers;
    final MemorySegment provided;
    private final MemorySegment iovecs;
    private final MemorySegment timespecs;
    private final MemorySegment sockaddr;
    private final MemorySegment paths;
    private final MemorySegment statx;
    private final MemorySegment scratch;
    /** The one iovec over {@link #scratch} a world read or write hands preadv2 or pwritev2. */
    private final MemorySegment scratchIovec;
    /** IORING_REGISTER_EVENTFD's argument: the eventfd's descriptor. */
    private final MemorySegment eventfdArg;
    /** Whether a ring ever had the world's eventfd registered ({@link #eventfdRegistered}). */
    private boolean eventfdRegistered;

    OutsideWorld(UserMemory memory) {
        buffers = memory.allocate((long) BUFFERS * BUFFER_BYTES, 4096);
        provided = memory.allocate((long) PROVIDED * PROVIDED_BYTES, 64);
        iovecs = memory.allocate(BUFFERS * 32L, 16);
        timespecs = memory.allocate(TIMEOUT_NANOS.length * 16L, 16);
        sockaddr = memory.allocate(16, 8);
        paths = memory.allocate(PATHS.length * 32L, 8);
        statx = memory.allocate(256, 8);
        scratch = memory.allocate(BUFFER_BYTES, 64);
        scratchIovec = memory.allocate(16, 8);
        eventfdArg = memory.allocate(4, 4);
        for (int i = 0; i < TIMEOUT_NANOS.length; i++) {
            timespecs.set(JAVA_LONG, i * 16L, TIMEOUT_NANOS[i] / 1_000_000_000L);
            timespecs.set(JAVA_LONG, i * 16L + 8, TIMEOUT_NANOS[i] % 1_000_000_000L);
        }
        for (int i = 0; i < PATHS.length; i++) {
            paths.setString(i * 32L, PATHS[i]);
        }
        java.util.Arrays.fill(fds, -1);
        try {
            directory = Files.createTempDirectory("ringspec-world");
            Files.write(directory.resolve("data"), pattern(BUFFER_BYTES, 7));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the lockstep world's scratch directory", e);
        }
        MemorySegment pair = scratch.asSlice(0, 8);
        check(Linux.call(SYS_PIPE2, pair.address(), Linux.O_CLOEXEC), "pipe2");
        fds[PIPE_READ] = pair.get(JAVA_INT, 0);
        fds[PIPE_WRITE] = nonBlocking(pair.get(JAVA_INT, 4));
        check(Linux.call(SYS_SOCKETPAIR, AF_UNIX, SOCK_STREAM | Linux.O_CLOEXEC, 0, pair.address(), 0, 0),
                "socketpair");
        fds[SOCKET] = pair.get(JAVA_INT, 0);
        fds[SOCKET_PEER] = nonBlocking(pair.get(JAVA_INT, 4));
        fds[FILE] = Posix.openat(Posix.AT_FDCWD, directory.resolve("data").toString(), Posix.O_RDWR
                | Posix.O_CLOEXEC, 0);
        fds[DIRECTORY] = Posix.openat(Posix.AT_FDCWD, directory.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        fds[LISTENER] = (int) check(Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM | Linux.O_CLOEXEC, 0), "socket");
        sockaddr.fill((byte) 0);
        sockaddr.set(JAVA_SHORT, 0, (short) AF_INET);
        sockaddr.set(JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f000001);
        check(Linux.call(SYS_BIND, fds[LISTENER], sockaddr.address(), 16), "bind");
        check(Linux.call(SYS_LISTEN, fds[LISTENER], 64), "listen");
        scratch.set(JAVA_INT, 16, 16);
        check(Linux.call(SYS_GETSOCKNAME, fds[LISTENER], sockaddr.address(), scratch.address() + 16), "getsockname");
        fds[TCP_CLIENT] = (int) check(Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM | Linux.O_CLOEXEC, 0), "socket");
        fds[EVENTFD] = (int) check(Linux.call(SYS_EVENTFD2, 0, Linux.O_CLOEXEC), "eventfd2");
    }

    /**
     * Notes whether a registration of the world's eventfd succeeded: once one has, every clock advance in this world
     * also waits for the kernel's RCU callbacks, where a ring's deferred eventfd signal lands (even after an
     * unregister: the callback holds the eventfd) ({@link #waitForRcuCallbacks}).
     */
    void eventfdRegistered(boolean registered) {
        eventfdRegistered |= registered;
    }

    /** IORING_REGISTER_EVENTFD's argument, naming the world's eventfd (-1 once closed). */
    MemorySegment eventfdArg() {
        eventfdArg.set(JAVA_INT, 0, fd(EVENTFD));
        return eventfdArg;
    }

    /** The descriptor a request's {@code target} names, or -1 once closed (the request then fails -EBADF). */
    int fd(int target) {
        return target >= 0 && target < TARGETS ? fds[target] : -1;
    }

    /**
     * What descriptor {@code fd} of an SQE means in this world, the same on both sides of a run: a target's
     * descriptor as that target ({@code Long.MIN_VALUE + target}), {@code ringFd} (MSG_RING's) as the ring
     * ({@code Long.MIN_VALUE + TARGETS}), any other number as itself. {@link #writeSqe} resolves them per side.
     */
    long sideNeutralFd(int fd, int ringFd) {
        for (int t = 0; t < TARGETS; t++) {
            if (fd >= 0 && fds[t] == fd) {
                return Long.MIN_VALUE + t;
            }
        }
        return fd >= 0 && fd == ringFd ? Long.MIN_VALUE + TARGETS : fd;
    }

    /**
     * What address {@code address} of an SQE means in this world, the same on both sides of a run: one in a region
     * of this world's memory (or the side's {@code fixedBuffers}, {@code fixedBytes} long) as that region's number
     * and the offset into it ({@code Long.MIN_VALUE | region << 32 | offset}), any other value as itself.
     */
    long sideNeutralAddress(long address, long fixedBuffers, long fixedBytes) {
        MemorySegment[] regions = {buffers, provided, iovecs, timespecs, sockaddr, paths, statx};
        for (int r = 0; r < regions.length; r++) {
            long offset = address - regions[r].address();
            if (offset >= 0 && offset < regions[r].byteSize()) {
                return Long.MIN_VALUE | (long) r << 32 | offset;
            }
        }
        long offset = address - fixedBuffers;
        return offset >= 0 && offset < fixedBytes ? Long.MIN_VALUE | (long) regions.length << 32 | offset : address;
    }

    /** Buffer {@code index} ({@code len} bytes from its start). */
    long buffer(int index) {
        return buffers.address() + (long) Math.floorMod(index, BUFFERS) * BUFFER_BYTES;
    }

    /** Two iovecs over buffer {@code index}, of {@code len / 2} and the rest (the iovec array's address). */
    long iovecs(int index, int len) {
        long at = (long) Math.floorMod(index, BUFFERS) * 32;
        iovecs.set(JAVA_LONG, at, buffer(index));
        iovecs.set(JAVA_LONG, at + 8, len / 2);
        iovecs.set(JAVA_LONG, at + 16, buffer(index) + len / 2);
        iovecs.set(JAVA_LONG, at + 24, len - len / 2);
        return iovecs.address() + at;
    }

    long timespec(int which) {
        return timespecs.address() + (long) Math.floorMod(which, TIMEOUT_NANOS.length) * 16;
    }

    long listenerAddress() {
        return sockaddr.address();
    }

    long path(int which) {
        return paths.address() + (long) Math.floorMod(which, PATHS.length) * 32;
    }

    long statxBuffer() {
        return statx.address();
    }

    long providedBuffers(int first) {
        return provided.address() + (long) Math.floorMod(first, PROVIDED) * PROVIDED_BYTES;
    }

    /**
     * Writes {@code w} whole at SQE index {@code w.slot() & sqMask}, its operands resolved in this world: the
     * descriptor, and the addresses of this side's memory; {@code ringFd} is the side's ring (MSG_RING's target),
     * {@code fixedBuffers} the side's registered buffers ({@link Side#BUFFER_BYTES} apart).
     */
    void writeSqe(SqRingView sq, int sqMask, Step.WriteIo w, int ringFd, long fixedBuffers) {
        int index = w.slot() & sqMask;
        boolean fixed = (w.flags() & IoUring.IOSQE_FIXED_FILE) != 0;
        int fd = fixed ? w.target() : fd(w.target());
        long addr = 0;
        long off = w.off();
        int len = w.len();
        switch (w.opcode()) {
            case IoUring.IORING_OP_READ, IoUring.IORING_OP_WRITE, IoUring.IORING_OP_SEND, IoUring.IORING_OP_RECV ->
                addr = (w.flags() & IoUring.IOSQE_BUFFER_SELECT) != 0 ? 0 : buffer(w.buf());
            case IoUring.IORING_OP_READV, IoUring.IORING_OP_WRITEV -> {
                addr = iovecs(w.buf(), Math.clamp(len, 0, BUFFER_BYTES));
                len = 2;
            }
            case IoUring.IORING_OP_READ_FIXED, IoUring.IORING_OP_WRITE_FIXED ->
                addr = fixedBuffers + (long) Math.floorMod(w.buf(), Side.MAX_BUFFERS) * Side.BUFFER_BYTES;
            case IoUring.IORING_OP_TIMEOUT, IoUring.IORING_OP_LINK_TIMEOUT -> {
                addr = timespec(w.buf());
                len = 1;
            }
            case IoUring.IORING_OP_POLL_REMOVE, IoUring.IORING_OP_TIMEOUT_REMOVE, IoUring.IORING_OP_ASYNC_CANCEL -> {
                addr = off;
                off = 0;
            }
            case IoUring.IORING_OP_CONNECT -> {
                addr = listenerAddress();
                off = 16;
            }
            case IoUring.IORING_OP_OPENAT -> addr = path(w.buf());
            case IoUring.IORING_OP_STATX -> {
                addr = path(w.buf());
                off = statxBuffer();
            }
            case IoUring.IORING_OP_SPLICE -> {
                // buf names the input (splice_fd_in); off is the offset of whichever end is the file, -1 none
                addr = w.buf() == FILE ? off : -1;
                off = w.target() == FILE ? off : -1;
            }
            case IoUring.IORING_OP_MSG_RING -> fd = ringFd;
            case IoUring.IORING_OP_CLOSE -> {
                if (w.fileIndex() != 0) {
                    fd = 0;
                } else if (!fixed && fd >= 0) {
                    // the request closes the world's descriptor: the world forgets it, so that its own close never
                    // closes a number the process has handed out again since
                    fds[w.target()] = -1;
                }
            }
            case IoUring.IORING_OP_PROVIDE_BUFFERS -> {
                addr = providedBuffers(w.buf());
                fd = Math.clamp(w.target(), 0, PROVIDED);
                off = Math.floorMod(w.buf(), PROVIDED);
            }
            default -> {
            }
        }
        if (w.opcode() == IoUring.IORING_OP_PROVIDE_BUFFERS && fd + off > PROVIDED) {
            fd = (int) (PROVIDED - off); // never past the provided area
        }
        new SqeFields(w.opcode(), w.flags(), w.ioprio(), fd, off, addr, len, w.opFlags(), w.userData(), w.bufIndex(),
                0).writeTo(sq, index);
        boolean splice = w.opcode() == IoUring.IORING_OP_SPLICE || w.opcode() == IoUring.IORING_OP_TEE;
        sq.sqes().set(JAVA_INT, sq.sqeOffset(index) + IoUringSqe.FILE_INDEX_OFFSET,
                splice ? fd(w.buf()) : w.fileIndex());
    }

    /** Does {@code o} to this world; its result (bytes moved, 0, or -errno). */
    int act(Step.Outside o) {
        return switch (o.action()) {
            case Step.Outside.WRITE -> {
                if (o.target() == EVENTFD) {
                    yield addToEventfd(Math.max(o.amount(), 1));
                }
                int n = Math.clamp(o.amount(), 0, BUFFER_BYTES);
                MemorySegment.copy(MemorySegment.ofArray(pattern(n, o.target() * 31 + n)), 0, scratch, 0, n);
                yield transfer(SYS_WRITE, SYS_PWRITEV2, o.target(), n);
            }
            case Step.Outside.READ -> o.target() == EVENTFD ? takeEventfdCount()
                    : transfer(SYS_READ, SYS_PREADV2, o.target(), Math.clamp(o.amount(), 0, BUFFER_BYTES));
            case Step.Outside.CLOSE -> {
                int fd = fd(o.target());
                fds[Math.floorMod(o.target(), TARGETS)] = -1;
                yield fd < 0 ? -9 : Posix.close(fd);
            }
            case Step.Outside.SHUTDOWN_WRITE -> (int) Linux.call(SYS_SHUTDOWN, fd(o.target()), SHUT_WR);
            case Step.Outside.CONNECT -> connectPeer();
            case Step.Outside.ADVANCE_CLOCK -> {
                sleepMillis(o.amount());
                if (eventfdRegistered) {
                    waitForRcuCallbacks();
                }
                yield 0;
            }
            case Step.Outside.TRUNCATE -> (int) Linux.call(SYS_FTRUNCATE, fd(FILE), Math.max(o.amount(), 0));
            case Step.Outside.CREATE -> create(o.target(), o.amount());
            default -> -22;
        };
    }

    /**
     * Reads or writes {@code n} bytes of {@link #scratch} on {@code target}: a file or directory with read(2) or
     * write(2), anything else (a pipe or socket end) with preadv2 or pwritev2 and RWF_NOWAIT at the current
     * position, which never waits: -EAGAIN where the end would block (pipe_read, pipe_write, sock_read_iter and
     * sock_write_iter take IOCB_NOWAIT as O_NONBLOCK).
     */
    private int transfer(long plain, long vectored, int target, int n) {
        if (target == FILE || target == DIRECTORY) {
            return (int) Linux.call(plain, fd(target), scratch.address(), n);
        }
        scratchIovec.set(JAVA_LONG, 0, scratch.address());
        scratchIovec.set(JAVA_LONG, 8, n);
        // the raw call's position comes in two words (pos_l, pos_h): -1, the current position
        return (int) Linux.call(vectored, fd(target), scratchIovec.address(), 1, -1, -1, RWF_NOWAIT);
    }

    /** Adds {@code n} to the eventfd's count (eventfd_write). */
    private int addToEventfd(long n) {
        scratch.set(JAVA_LONG, 0, n);
        long r = Linux.call(SYS_WRITE, fd(EVENTFD), scratch.address(), 8);
        return r < 0 ? (int) r : 0;
    }

    /**
     * The application reading the eventfd: its count (at most {@link Integer#MAX_VALUE}), which the read resets to
     * 0, or -EAGAIN where it is 0: the count is looked at first ({@code eventfd-count} in the descriptor's fdinfo), so
     * the blocking eventfd never blocks the run. -EBADF once closed.
     */
    private int takeEventfdCount() {
        int fd = fd(EVENTFD);
        if (fd < 0) {
            return -9;
        }
        if (eventfdCount(fd) == 0) {
            return -11;
        }
        long r = Linux.call(SYS_READ, fd, scratch.address(), 8);
        return r < 0 ? (int) r : (int) Math.min(scratch.get(JAVA_LONG, 0), Integer.MAX_VALUE);
    }

    /** An eventfd's count without reading it: the {@code eventfd-count} line of its fdinfo (fs/eventfd.c). */
    static long eventfdCount(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("eventfd-count:")) {
                    return Long.parseLong(line.substring("eventfd-count:".length()).trim(), 16);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fdinfo of the lockstep world's eventfd", e);
        }
        throw new IllegalStateException("descriptor " + fd + " is not an eventfd: no eventfd-count in its fdinfo");
    }

    /**
     * Waits until the RCU callbacks queued before the call have most likely run: a ring's eventfd signal from inside
     * an eventfd's wakeup lands in one ({@code call_rcu_hurry}, io_uring/eventfd.c), 12 to 50 ms later on this
     * machine, where the emulator's lands once its clock has moved 20 ms. {@code membarrier(MEMBARRIER_CMD_GLOBAL)}
     * is {@code synchronize_rcu()} (kernel/sched/membarrier.c): after two grace periods a callback queued before the
     * first has had a whole grace period to be invoked in. Where membarrier is refused (nohz_full) it sleeps 50 ms.
     */
    private static void waitForRcuCallbacks() {
        for (int i = 0; i < 2; i++) {
            if (Linux.call(SYS_MEMBARRIER, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0) {
                sleepMillis(50);
                return;
            }
        }
    }

    /** A new TCP peer connected to the listener (the previous one closed): the connection an ACCEPT takes. */
    private int connectPeer() {
        if (fds[TCP_PEER] >= 0) {
            Posix.close(fds[TCP_PEER]);
        }
        int fd = (int) check(Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM | Linux.O_CLOEXEC, 0), "socket");
        fds[TCP_PEER] = fd;
        // blocking: a loopback connect completes inside the call, into the listener's backlog; where the backlog
        // is full it waits for a SYN retransmission, so SO_SNDTIMEO bounds it (__inet_stream_connect: -EINPROGRESS).
        // With a bound a signal ends the wait with -EINTR instead of restarting it (sock_intr_errno): the call is
        // made again, which waits for the same connection, or finds it made (-EISCONN)
        scratch.set(JAVA_LONG, 0, CONNECT_TIMEOUT_SECONDS);
        scratch.set(JAVA_LONG, 8, 0);
        check(Linux.call(SYS_SETSOCKOPT, fd, SOL_SOCKET, SO_SNDTIMEO, scratch.address(), 16, 0), "setsockopt");
        int r = (int) Linux.call(SYS_CONNECT, fd, sockaddr.address(), 16);
        while (r == -EINTR) {
            r = (int) Linux.call(SYS_CONNECT, fd, sockaddr.address(), 16);
            r = r == -EISCONN ? 0 : r;
        }
        nonBlocking(fd);
        return r;
    }

    /** Creates (or truncates) path {@code which} with {@code size} bytes; the data file is truncated in place. */
    private int create(int which, int size) {
        String name = PATHS[Math.floorMod(which, PATHS.length - 1)];
        try {
            Files.write(directory.resolve(name), pattern(Math.clamp(size, 0, BUFFER_BYTES), which));
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the lockstep world's file " + name, e);
        }
    }

    /** The bytes a world step writes: the same on both sides, different per target and length. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + (i + seed) % 26);
        }
        return b;
    }

    private static void sleepMillis(int millis) {
        try {
            Thread.sleep(Math.clamp(millis, 0, 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the clock advanced", e);
        }
    }

    private static int nonBlocking(int fd) {
        long flags = check(Linux.call(SYS_FCNTL, fd, Linux.F_GETFL), "fcntl");
        check(Linux.call(SYS_FCNTL, fd, Linux.F_SETFL, flags | Linux.O_NONBLOCK), "fcntl");
        return fd;
    }

    private static long check(long r, String what) {
        if (r < 0) {
            throw new IllegalStateException("the lockstep world's " + what + " failed: " + r);
        }
        return r;
    }

    @Override
    public void close() {
        for (int i = 0; i < TARGETS; i++) {
            if (fds[i] >= 0) {
                Posix.close(fds[i]);
                fds[i] = -1;
            }
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the lockstep world's scratch directory", e);
        }
    }
}
