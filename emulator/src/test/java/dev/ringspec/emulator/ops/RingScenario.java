package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_ACCEPT4;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_PPOLL;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKETPAIR;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_REMOVE_BUFFERS;
import static dev.ringspec.uapi.Poll.POLLRDHUP;
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
import dev.ringspec.uapi.IoUringBuf;
import dev.ringspec.uapi.IoUringBufReg;
import dev.ringspec.uapi.IoUringBufRing;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * One ring of a scenario that runs on the kernel and on the emulator alike: SQEs for provided buffers and
 * multishot reads, real pipes and socket pairs, waits that give up after a few seconds, and the bytes of buffers
 * turned into pseudo CQEs (user_data {@link #DATA}) so that {@code BothSides} compares them with the CQEs.
 */
final class RingScenario implements AutoCloseable {
    /** The user_data of pseudo CQEs that carry bytes of a buffer (res: the chunk's index, flags: its length). */
    static final long DATA = 0xda7a_0000_0000L;
    private static final long WAIT_NANOS = 5_000_000_000L;

    final IoUringKernel kernel;
    final UserMemory memory;
    final RingDriver d;
    private final List<Integer> fds = new ArrayList<>();

    RingScenario(IoUringKernel kernel, UserMemory memory, int entries) {
        this(kernel, memory, entries, 0);
    }

    /** A ring set up with {@code flags} ({@code io_uring_params.flags}). */
    RingScenario(IoUringKernel kernel, UserMemory memory, int entries, int flags) {
        this.kernel = kernel;
        this.memory = memory;
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        this.d = new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    /** A cleared SQE of {@code opcode}. */
    long sqe(int opcode, int fd, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.userData(d.sqes(), at, userData);
        return at;
    }

    void provide(long userData, long addr, int len, int nbufs, int bgid, long bid) {
        long at = sqe(IORING_OP_PROVIDE_BUFFERS, nbufs, userData);
        Sqe.addr(d.sqes(), at, addr);
        Sqe.len(d.sqes(), at, len);
        Sqe.bufIndex(d.sqes(), at, bgid);
        Sqe.off(d.sqes(), at, bid);
    }

    void remove(long userData, int nbufs, int bgid) {
        long at = sqe(IORING_OP_REMOVE_BUFFERS, nbufs, userData);
        Sqe.bufIndex(d.sqes(), at, bgid);
    }

    /**
     * One SQE of {@code opcode}, filled in by {@code fill} (given its offset in {@link RingDriver#sqes()}), submitted
     * alone (a failed prep ends a submission) and its CQE taken.
     */
    List<Cqe> alone(int opcode, int fd, long userData, LongConsumer fill) {
        long at = sqe(opcode, fd, userData);
        fill.accept(at);
        return submitAndAwait(1);
    }

    /** Submits what was prepared, waiting for nothing. */
    int submit() {
        return d.submit(0, 0);
    }

    /** The next {@code n} CQEs, waiting up to 5 s for each; fewer if they do not come. */
    List<Cqe> await(int n) {
        List<Cqe> got = new ArrayList<>();
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, WAIT_NANOS / 1_000_000_000L);
        MemorySegment arg = memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
        arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
        while (got.size() < n) {
            Cqe c = d.reap();
            if (c != null) {
                got.add(c);
                continue;
            }
            int r = kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg,
                    IoUringGeteventsArg.SIZE_BYTES);
            if (r == -ETIME) {
                got.add(new Cqe(-1, -ETIME, 0, 0, 0));
                return got;
            }
        }
        return got;
    }

    /**
     * One enter that waits for a CQE (up to 5 s), then the CQEs the ring holds, without entering again: what a
     * program sees that waits for one CQE and then peeks at the rest.
     */
    List<Cqe> enterOnceAndPeek() {
        List<Cqe> got = await(1);
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            got.add(c);
        }
        return got;
    }

    /** Submits and takes the next {@code n} CQEs. */
    List<Cqe> submitAndAwait(int n) {
        submit();
        return await(n);
    }

    int register(int opcode, MemorySegment arg, int nrArgs) {
        return kernel.register(d.ring(), opcode, arg, nrArgs);
    }

    /** A {@code struct io_uring_buf_reg}. */
    MemorySegment bufReg(long ringAddr, int entries, int bgid, int flags, int minLeft) {
        MemorySegment reg = memory.allocate(IoUringBufReg.SIZE_BYTES);
        reg.set(JAVA_LONG, IoUringBufReg.RING_ADDR_OFFSET, ringAddr);
        reg.set(JAVA_INT, IoUringBufReg.RING_ENTRIES_OFFSET, entries);
        reg.set(JAVA_SHORT, IoUringBufReg.BGID_OFFSET, (short) bgid);
        reg.set(JAVA_SHORT, IoUringBufReg.FLAGS_OFFSET, (short) flags);
        reg.set(JAVA_INT, IoUringBufReg.MIN_LEFT_OFFSET, minLeft);
        return reg;
    }

    /** Page-aligned memory for a buffer ring of {@code entries}. */
    MemorySegment ringMemory(int entries) {
        return memory.allocate(Math.max(4096, (long) entries * IoUringBuf.SIZE_BYTES), 4096);
    }

    /** Entry {@code tail & mask} of a buffer ring gets {@code addr, len, bid}; the caller publishes the tail. */
    static void addBuf(MemorySegment ring, int mask, int counter, long addr, int len, int bid) {
        long e = IoUringBufRing.BUFS_OFFSET + (long) (counter & mask) * IoUringBuf.SIZE_BYTES;
        ring.set(JAVA_LONG, e + IoUringBuf.ADDR_OFFSET, addr);
        ring.set(JAVA_INT, e + IoUringBuf.LEN_OFFSET, len);
        ring.set(JAVA_SHORT, e + IoUringBuf.BID_OFFSET, (short) bid);
    }

    /** Publishes a buffer ring's tail (a release store: pairs with the kernel's acquire load of the tail). */
    static void storeReleaseTail(MemorySegment ring, int tail) {
        JAVA_SHORT.varHandle().setRelease(ring, IoUringBufRing.TAIL_OFFSET, (short) tail);
    }

    /** {@code pipe2(O_CLOEXEC)}: read end, write end. */
    int[] pipe() {
        MemorySegment p = memory.allocate(8);
        int r = (int) Linux.call(SYS_PIPE2, p.address(), Linux.O_CLOEXEC);
        if (r < 0) {
            throw new IllegalStateException("pipe2: " + r);
        }
        int[] ends = {p.get(JAVA_INT, 0), p.get(JAVA_INT, 4)};
        fds.add(ends[0]);
        fds.add(ends[1]);
        return ends;
    }

    /** {@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)}. */
    int[] socketpair() {
        MemorySegment p = memory.allocate(8);
        int r = (int) Linux.call(SYS_SOCKETPAIR, 1, 1 | Linux.O_CLOEXEC, 0, p.address(), 0, 0);
        if (r < 0) {
            throw new IllegalStateException("socketpair: " + r);
        }
        int[] ends = {p.get(JAVA_INT, 0), p.get(JAVA_INT, 4)};
        fds.add(ends[0]);
        fds.add(ends[1]);
        return ends;
    }

    /**
     * A connected TCP pair on 127.0.0.1: the accepted end, the connecting end. The pair's first segments have
     * crossed loopback when connect returns.
     */
    int[] tcpPair() {
        MemorySegment addr = memory.allocate(16);
        int listener = NetRing.listener(addr);
        fds.add(listener);
        int connecting = NetTest.connect(addr);
        fds.add(connecting);
        int accepted = (int) Linux.call(SYS_ACCEPT4, listener, 0, 0, Linux.O_CLOEXEC, 0, 0);
        if (accepted < 0) {
            throw new IllegalStateException("accept4: " + accepted);
        }
        fds.add(accepted);
        return new int[] {accepted, connecting};
    }

    /** Waits (up to 5 s) until {@code fd}'s peer has shut its side down: POLLRDHUP, the FIN received. */
    void awaitPeerShutdown(int fd) {
        MemorySegment pfd = memory.allocate(8);
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, (short) POLLRDHUP);
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, WAIT_NANOS / 1_000_000_000L);
        long r = Linux.call(SYS_PPOLL, pfd.address(), 1, ts.address(), 0, 8, 0);
        if (r != 1 || (pfd.get(JAVA_SHORT, 6) & POLLRDHUP) == 0) {
            throw new IllegalStateException("no FIN from the peer: ppoll " + r);
        }
    }

    void write(int fd, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        MemorySegment s = memory.allocate(b.length);
        s.copyFrom(MemorySegment.ofArray(b));
        long r = Linux.call(SYS_WRITE, fd, s.address(), b.length);
        if (r != b.length) {
            throw new IllegalStateException("write: " + r);
        }
    }

    void closeFd(int fd) {
        fds.remove(Integer.valueOf(fd));
        Linux.close(fd);
    }

    /** {@code seg}'s bytes as pseudo CQEs of 16 bytes each. */
    static List<Cqe> data(MemorySegment seg) {
        List<Cqe> out = new ArrayList<>();
        for (long at = 0, i = 0; at < seg.byteSize(); at += 16, i++) {
            int n = (int) Math.min(16, seg.byteSize() - at);
            byte[] chunk = new byte[16];
            MemorySegment.copy(seg, JAVA_BYTE, at, chunk, 0, n);
            MemorySegment c = MemorySegment.ofArray(chunk);
            out.add(new Cqe(DATA, (int) i, n, c.get(JAVA_LONG.withByteAlignment(1), 0),
                    c.get(JAVA_LONG.withByteAlignment(1), 8)));
        }
        return out;
    }

    @Override
    public void close() {
        for (int fd : fds) {
            Linux.close(fd);
        }
        fds.clear();
        kernel.close(d.ring());
    }
}
