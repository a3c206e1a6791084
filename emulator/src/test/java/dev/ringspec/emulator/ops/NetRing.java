package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_BIND;
import static dev.ringspec.emulator.sys.Linux.SYS_GETSOCKNAME;
import static dev.ringspec.emulator.sys.Linux.SYS_LISTEN;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKET;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKETPAIR;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A ring for the opcode tests, on either side of {@code BothSides}: SQEs by field, submit and wait, a sparse file
 * table; and the outside world the scenarios act in (socket pairs, a loopback listener, reads and writes), through
 * plain syscalls.
 */
final class NetRing implements AutoCloseable {
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final long ADDR3_OFFSET = 48;

    final IoUringKernel kernel;
    final UserMemory memory;
    final RingDriver d;

    NetRing(IoUringKernel kernel, UserMemory memory, int entries, int setupFlags) {
        this.kernel = kernel;
        this.memory = memory;
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
        IoUringKernel.SetupResult r = kernel.setup(entries, params);
        if (r.ringOrNull() == null) {
            throw new IllegalStateException("setup failed: " + r);
        }
        this.d = new RingDriver(kernel, r.ringOrNull());
    }

    NetRing(IoUringKernel kernel, UserMemory memory) {
        this(kernel, memory, 16, IORING_SETUP_SUBMIT_ALL);
    }

    int fd() {
        return d.ring().fd();
    }

    /** An SQE of {@code opcode}: fd, off (addr2), addr, len, op flags, user_data; returns its offset. */
    long sqe(int opcode, int fd, long off, long addr, int len, int opFlags, long userData) {
        long at = d.nextSqe();
        MemorySegment s = d.sqes();
        Sqe.opcode(s, at, opcode);
        Sqe.fd(s, at, fd);
        Sqe.off(s, at, off);
        Sqe.addr(s, at, addr);
        Sqe.len(s, at, len);
        Sqe.opFlags(s, at, opFlags);
        Sqe.userData(s, at, userData);
        return at;
    }

    void flags(long at, int flags) {
        Sqe.flags(d.sqes(), at, flags);
    }

    void ioprio(long at, int ioprio) {
        Sqe.ioprio(d.sqes(), at, ioprio);
    }

    void fileIndex(long at, int index) {
        Sqe.fileIndex(d.sqes(), at, index);
    }

    void addr3(long at, long addr3) {
        d.sqes().set(JAVA_LONG, at + ADDR3_OFFSET, addr3);
    }

    void bufIndex(long at, int index) {
        Sqe.bufIndex(d.sqes(), at, index);
    }

    /** Submits what was prepared and waits for {@code n} CQEs; answers them in order. */
    List<Cqe> submitAndWait(int n) {
        int submitted = d.submit(0, 0);
        if (submitted < 0) {
            throw new IllegalStateException("submit: " + submitted);
        }
        return await(n);
    }

    /**
     * A POLL_ADD for POLLIN on {@code pollFd} (user data 1), submitted alone, then an IOSQE_ASYNC WRITE of "hello" to
     * {@code writeFd} (user data 2), whose worker wakes that poll; answers both CQEs in their order.
     */
    List<Cqe> pollThenAsyncWrite(int pollFd, int writeFd) {
        sqe(IORING_OP_POLL_ADD, pollFd, 0, 0, 0, 1, 1); // POLLIN
        if (submit() != 1) {
            throw new IllegalStateException("the POLL_ADD was not submitted");
        }
        flags(sqe(IORING_OP_WRITE, writeFd, 0, bytes("hello").address(), 5, 0, 2), IOSQE_ASYNC);
        return submitAndWait(2);
    }

    /** Submits without waiting. */
    int submit() {
        return d.submit(0, 0);
    }

    /** Waits (up to 10 s) for {@code n} CQEs and takes them; fails naming what came. */
    List<Cqe> await(int n) {
        List<Cqe> out = new ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (out.size() < n) {
            Cqe c = d.reap();
            if (c != null) {
                out.add(c);
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("waited for " + n + " CQEs, got " + out);
            }
            kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            if (d.ready() == 0) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** Every CQE already posted. */
    List<Cqe> drain() {
        kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        List<Cqe> out = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            out.add(c);
        }
        return out;
    }

    /** A sparse registered file table of {@code n} slots (every entry -1). */
    int registerSparseFiles(int n) {
        MemorySegment fds = memory.allocate(4L * n, 4);
        for (int i = 0; i < n; i++) {
            fds.set(JAVA_INT, 4L * i, -1);
        }
        return kernel.register(d.ring(), IORING_REGISTER_FILES, fds, n);
    }

    /** {@code n} descriptors registered as they are. */
    int registerFiles(int... descriptors) {
        MemorySegment fds = memory.allocate(4L * descriptors.length, 4);
        for (int i = 0; i < descriptors.length; i++) {
            fds.set(JAVA_INT, 4L * i, descriptors[i]);
        }
        return kernel.register(d.ring(), IORING_REGISTER_FILES, fds, descriptors.length);
    }

    MemorySegment bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment m = memory.allocate(Math.max(1, b.length + 1), 8);
        MemorySegment.copy(b, 0, m, JAVA_BYTE, 0, b.length);
        return m;
    }

    @Override
    public void close() {
        kernel.close(d.ring());
    }

    // ---- the outside world ----

    static int[] socketpair(int type) {
        MemorySegment sv = java.lang.foreign.Arena.global().allocate(8, 4);
        long r = Linux.call(SYS_SOCKETPAIR, AF_UNIX, type, 0, sv.address(), 0, 0);
        if (r < 0) {
            throw new IllegalStateException("socketpair " + r);
        }
        return new int[] {sv.get(JAVA_INT, 0), sv.get(JAVA_INT, 4)};
    }

    /** A listening TCP socket on 127.0.0.1, an ephemeral port; its address (16 bytes) is written to {@code addr}. */
    static int listener(MemorySegment addr) {
        int fd = (int) Linux.call(SYS_SOCKET, AF_INET, SOCK_STREAM, 0);
        loopback(addr, 0);
        check(Linux.call(SYS_BIND, fd, addr.address(), 16), "bind");
        check(Linux.call(SYS_LISTEN, fd, 16), "listen");
        MemorySegment len = java.lang.foreign.Arena.ofAuto().allocate(JAVA_INT);
        len.set(JAVA_INT, 0, 16);
        check(Linux.call(SYS_GETSOCKNAME, fd, addr.address(), len.address()), "getsockname");
        return fd;
    }

    /** {@code struct sockaddr_in} for 127.0.0.1:{@code port}. */
    static void loopback(MemorySegment addr, int port) {
        addr.fill((byte) 0);
        addr.set(JAVA_SHORT, 0, (short) AF_INET);
        addr.set(JAVA_BYTE, 2, (byte) (port >> 8));
        addr.set(JAVA_BYTE, 3, (byte) port);
        addr.set(JAVA_BYTE, 4, (byte) 127);
        addr.set(JAVA_BYTE, 7, (byte) 1);
    }

    static void write(int fd, String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment m = java.lang.foreign.Arena.ofAuto().allocate(Math.max(1, b.length));
        MemorySegment.copy(b, 0, m, JAVA_BYTE, 0, b.length);
        check(Linux.call(SYS_WRITE, fd, m.address(), b.length), "write");
    }

    static String read(int fd, int max) {
        MemorySegment m = java.lang.foreign.Arena.ofAuto().allocate(max);
        long n = Linux.call(SYS_READ, fd, m.address(), max);
        return n < 0 ? "error " + n : text(m, (int) n);
    }

    static String text(MemorySegment m, int n) {
        return new String(m.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.ISO_8859_1);
    }

    /** The lowest descriptor number free now (what the next new descriptor will be). */
    static int lowestFree() {
        int fd = Linux.dup(0);
        Linux.close(fd);
        return fd;
    }

    static void closeAll(int... fds) {
        for (int fd : fds) {
            Linux.close(fd);
        }
    }

    private static void check(long r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + ": " + r);
        }
    }
}
