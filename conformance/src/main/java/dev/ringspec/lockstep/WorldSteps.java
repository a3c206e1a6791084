package dev.ringspec.lockstep;

import static dev.ringspec.lockstep.OutsideWorld.DIRECTORY;
import static dev.ringspec.lockstep.OutsideWorld.EVENTFD;
import static dev.ringspec.lockstep.OutsideWorld.FILE;
import static dev.ringspec.lockstep.OutsideWorld.LISTENER;
import static dev.ringspec.lockstep.OutsideWorld.PIPE_READ;
import static dev.ringspec.lockstep.OutsideWorld.PIPE_WRITE;
import static dev.ringspec.lockstep.OutsideWorld.SOCKET;
import static dev.ringspec.lockstep.OutsideWorld.SOCKET_PEER;
import static dev.ringspec.lockstep.OutsideWorld.TCP_CLIENT;
import static dev.ringspec.lockstep.OutsideWorld.TCP_PEER;
import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ETIME_SUCCESS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import dev.ringspec.seam.U32;

/**
 * The generator's steps of runs with real I/O ({@link LockstepRunner#withWorld}): the outside world acting
 * ({@link Step.Outside}: data written to a pipe or a socket, a peer connecting, a write end closed or shut down, the
 * clock advancing, a file made or truncated, the eventfd registered with the ring, unregistered, written to or read)
 * and small batches of real-I/O SQEs ({@link Step.WriteIo}) whose
 * operands are drawn from the world, so most of them do real work: reads and writes (plain, vectored, fixed, with
 * selected buffers), polls (oneshot and multishot) and their removal, timeouts (5 ms or 1,000 s, counted,
 * multishot, ETIME_SUCCESS) and their removal, linked timeouts, cancellation by user_data, SEND and RECV (multishot
 * with provided buffers), READ_MULTISHOT, ACCEPT and OPENAT into direct descriptors, CONNECT, CLOSE of a direct
 * descriptor, STATX, FSYNC, MSG_RING to the ring itself, PROVIDE_BUFFERS, SPLICE and TEE (io-wq work that may wait
 * for the world). A batch with a 5 ms timeout is followed by a 20 ms advance of the clock, so no later step races it.
 * The enter that starts it still can: the kernel's timer runs in real time through that step's settling and through
 * a choice search after it, the emulator's only at the advance, so where the kernel takes more than 5 ms to settle
 * the enter's other work (io-wq, a pipe's two readers; or a thread the load held up), or a choice must explain a
 * difference there, the kernel's -ETIME CQEs show too and nothing explains them (world seeds 2168 and 3131 on
 * 6.18.44 at load 10: with the timespec at 60 s, 3131 agreed 10 times of 10, its orders explained by choices).
 */
final class WorldSteps {
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;
    private static final int O_RDWR_CREAT = 0x42;
    /** {@code SPLICE_F_NONBLOCK} (include/linux/splice.h). */
    private static final int SPLICE_F_NONBLOCK = 0x2;
    /** Descriptors a request reads from or writes to, and the world's ends that make them ready. */
    private static final int[] READABLE = {PIPE_READ, SOCKET, FILE, TCP_CLIENT, EVENTFD};
    private static final int[] WRITABLE = {SOCKET, FILE, PIPE_WRITE, TCP_CLIENT};
    private static final int[] WORLD_ENDS = {PIPE_WRITE, SOCKET_PEER, TCP_PEER};

    private final Generator g;
    /** Whether the batch being planned holds a 5 ms timeout. */
    private boolean shortTimeout;

    WorldSteps(Generator g) {
        this.g = g;
    }

    /** The generator's weight for these steps: a large share, in runs with real I/O only. */
    static int weight(LockstepRunner r) {
        return r.world() ? 60 : 0;
    }

    void plan(LockstepRunner r) {
        int x = g.pick(100);
        if (x < 30) {
            g.add(outside());
        } else if (x < 36) {
            g.add(new Step.RegisterFiles(8, true, 0));
        } else if (x < 39) {
            g.add(new Step.RegisterBuffers(4, OutsideWorld.BUFFER_BYTES));
        } else if (x < 42) {
            g.add(g.chance(75) ? new Step.Outside(Step.Outside.REGISTER_EVENTFD, EVENTFD, g.chance(20) ? 1 : 0)
                    : new Step.Outside(Step.Outside.UNREGISTER_EVENTFD, EVENTFD, 0));
        } else {
            batch(r, 1 + g.pick(Math.min(r.sqEntries(), 3)));
        }
    }

    /** The world's clock advancing by 20 ms: more than the 5 ms timeout, so it is over on either side. */
    static Step.Outside advanceClock() {
        return new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20);
    }

    static boolean advancesTheClock(Step step) {
        return step instanceof Step.Outside o && o.action() == Step.Outside.ADVANCE_CLOCK;
    }

    /**
     * Whether {@code step} may start a 5 ms timeout that no clock advance follows: an enter that submits while one
     * is pending (a tail published past the SQEs written submits old ones again; an enter may leave one pending).
     * The kernel's timer fires in real time between the steps, the emulator's only when the world's clock moves, so
     * the generator puts an advance right after such an enter, as after the batches that write one.
     */
    static boolean racesAShortTimeout(LockstepRunner r, Step step, Step next) {
        return step.effective() instanceof Step.Enter e && e.toSubmit() > 0
                && !(next instanceof Step.Outside o && o.action() == Step.Outside.ADVANCE_CLOCK)
                && r.pendingShortTimeout();
    }

    private Step.Outside outside() {
        int end = WORLD_ENDS[g.pick(WORLD_ENDS.length)];
        return switch (g.pick(22)) {
            case 0, 1, 2, 3, 4, 5 -> new Step.Outside(Step.Outside.WRITE, end, amount());
            case 6, 7 -> new Step.Outside(Step.Outside.READ, g.chance(50) ? SOCKET_PEER : TCP_PEER, amount());
            case 8 -> new Step.Outside(g.chance(50) ? Step.Outside.CLOSE : Step.Outside.SHUTDOWN_WRITE, end, 0);
            case 9, 10, 11 -> new Step.Outside(Step.Outside.CONNECT, LISTENER, 0);
            case 12, 13, 14 -> advanceClock();
            case 15 -> new Step.Outside(Step.Outside.TRUNCATE, FILE, g.pick(2) * amount());
            case 16, 17 -> new Step.Outside(Step.Outside.READ, EVENTFD, 8);
            case 18 -> new Step.Outside(Step.Outside.WRITE, EVENTFD, 1 + g.pick(3));
            default -> new Step.Outside(Step.Outside.CREATE, g.pick(3), amount());
        };
    }

    private int amount() {
        return g.chance(60) ? 1 + g.pick(64) : 1 + g.pick(OutsideWorld.BUFFER_BYTES);
    }

    private void batch(LockstepRunner r, int count) {
        shortTimeout = false;
        int tail = r.observation().sqTail();
        int written = 0;
        for (int i = 0; i < count; i++) {
            Step.WriteIo w = request(tail + written);
            if (!r.writes(w.opcode())) {
                continue;
            }
            // (no timeout on a SPLICE or TEE: a kernel after 6.1 starts a linked timeout only once the worker's
            // blocking call has returned (__io_issue_sqe), the emulator at the punt: measured on 6.12.118, 6.18.44)
            if (g.chance(12) && written + 1 < r.sqEntries() && r.writes(IORING_OP_LINK_TIMEOUT)
                    && w.opcode() != IORING_OP_SPLICE && w.opcode() != IORING_OP_TEE) {
                // a request that may wait, with a timeout linked to it
                w = new Step.WriteIo(w.slot(), w.opcode(), w.flags() | IOSQE_IO_LINK, w.ioprio(), w.target(),
                        w.off(), w.len(), w.opFlags(), w.buf(), w.bufIndex(), w.fileIndex(), w.userData());
                add(r, w);
                written++;
                int which = g.pick(2);
                shortTimeout |= which == 0;
                add(r, io(tail + written, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, which, 0, 0));
            } else {
                add(r, w);
            }
            written++;
        }
        if (written == 0) {
            return;
        }
        if (shortTimeout) {
            // every pending SQE submitted, then time passes: the timer never races a later step
            g.add(new Step.PublishTail(written));
            g.add(new Step.Enter(written + (int) Math.min(U32.distance(r.observation().sqTail(),
                    r.observation().sqHead()), 4L * r.sqEntries() + 8), 0, 0));
            g.add(advanceClock());
        } else {
            g.publishAndEnter(r, written);
        }
    }

    private void add(LockstepRunner r, Step.WriteIo w) {
        g.add(w);
        g.add(new Step.WriteArray(w.slot(), w.slot() & (r.sqEntries() - 1)));
    }

    /** One request of a real-I/O opcode at {@code slot}, operands from the world. */
    private Step.WriteIo request(int slot) {
        int async = g.chance(10) ? IOSQE_ASYNC : 0;
        long earlier = Math.max(1, g.peekUserData() - 1 - g.pick(6));
        return switch (g.pick(27)) {
            case 0, 1, 2 -> rw(slot, IORING_OP_READ, READABLE[g.pick(READABLE.length)], async);
            case 3, 4 -> rw(slot, IORING_OP_WRITE, WRITABLE[g.pick(WRITABLE.length)], async);
            case 5 -> rw(slot, IORING_OP_READV, READABLE[g.pick(READABLE.length)], async);
            case 6 -> rw(slot, IORING_OP_WRITEV, WRITABLE[g.pick(WRITABLE.length)], async);
            case 7 -> io(slot, g.chance(50) ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED, async, 0,
                    g.chance(50) ? FILE : SOCKET, 0, length(), 0, g.pick(4), g.pick(5), 0);
            case 8, 9 -> io(slot, IORING_OP_POLL_ADD, 0, 0, g.chance(70) ? READABLE[g.pick(READABLE.length)]
                    : SOCKET_PEER, 0, g.chance(40) ? IORING_POLL_ADD_MULTI : 0, g.chance(75) ? POLLIN : POLLOUT,
                    0, 0, 0);
            case 10 -> io(slot, IORING_OP_POLL_REMOVE, 0, 0, -1, earlier, 0, 0, 0, 0, 0);
            case 11, 12 -> timeout(slot);
            case 13 -> io(slot, IORING_OP_TIMEOUT_REMOVE, 0, 0, -1, earlier, 0, 0, 0, 0, 0);
            case 14 -> io(slot, IORING_OP_ASYNC_CANCEL, 0, 0, -1, earlier, 0, 0, 0, 0, 0);
            case 15 -> io(slot, IORING_OP_SEND, 0, 0, g.chance(80) ? SOCKET : TCP_CLIENT, 0, length(), 0,
                    g.pick(4), 0, 0);
            case 16, 17 -> g.chance(50)
                    ? io(slot, IORING_OP_RECV, IOSQE_BUFFER_SELECT, IORING_RECV_MULTISHOT, SOCKET, 0, 0, 0, 0,
                            g.pick(2), 0)
                    : io(slot, IORING_OP_RECV, async, 0, g.chance(80) ? SOCKET : TCP_CLIENT, 0, length(), 0,
                            g.pick(4), 0, 0);
            case 18 -> io(slot, IORING_OP_READ_MULTISHOT, IOSQE_BUFFER_SELECT, 0, PIPE_READ, 0, 0, 0, 0, g.pick(2),
                    0);
            case 19 -> io(slot, IORING_OP_PROVIDE_BUFFERS, 0, 0, 1 + g.pick(8), 0, OutsideWorld.PROVIDED_BYTES, 0,
                    g.pick(OutsideWorld.PROVIDED), g.pick(2), 0);
            case 20 -> io(slot, IORING_OP_ACCEPT, 0, g.chance(30) ? IORING_ACCEPT_MULTISHOT : 0, LISTENER, 0, 0, 0,
                    0, 0, g.chance(70) ? IORING_FILE_INDEX_ALLOC : 1 + g.pick(4));
            case 21 -> io(slot, IORING_OP_CONNECT, 0, 0, TCP_CLIENT, 0, 0, 0, 0, 0, 0);
            case 22 -> io(slot, IORING_OP_OPENAT, 0, 0, DIRECTORY, 0, 0644, g.chance(50) ? 0 : O_RDWR_CREAT,
                    g.pick(OutsideWorld.PATHS.length), 0, g.chance(50) ? IORING_FILE_INDEX_ALLOC : 1 + g.pick(4));
            case 23 -> g.chance(50) ? io(slot, IORING_OP_CLOSE, 0, 0, -1, 0, 0, 0, 0, 0, 1 + g.pick(4))
                    : rw(slot, IORING_OP_READ, g.pick(4), async | IOSQE_FIXED_FILE);
            case 24 -> g.chance(50) ? io(slot, IORING_OP_STATX, 0, 0, DIRECTORY, 0, 0x7ff, 0,
                    g.pick(OutsideWorld.PATHS.length), 0, 0)
                    : io(slot, IORING_OP_FSYNC, 0, 0, FILE, 0, 0, g.pick(2), 0, 0, 0);
            case 25 -> io(slot, IORING_OP_MSG_RING, 0, 0, -1, 1000 + g.pick(1000), g.pick(100), 0, 0, 0, 0);
            default -> splice(slot);
        };
    }

    /**
     * A SPLICE or TEE, io-wq's always: from the pipe (which waits in its worker while the pipe is empty, until the
     * world writes or a cancellation ends it) to the file or the socket, from the file to the pipe, or a TEE of the
     * pipe to itself (-EINVAL); now and then SPLICE_F_NONBLOCK (-EAGAIN where it would wait).
     */
    private Step.WriteIo splice(int slot) {
        int opFlags = g.chance(15) ? SPLICE_F_NONBLOCK : 0;
        long off = g.pick(3) * 1024L;
        return switch (g.pick(6)) {
            case 0, 1 -> io(slot, IORING_OP_SPLICE, 0, 0, FILE, off, length(), opFlags, PIPE_READ, 0, 0);
            case 2 -> io(slot, IORING_OP_SPLICE, 0, 0, SOCKET, 0, length(), opFlags, PIPE_READ, 0, 0);
            case 3, 4 -> io(slot, IORING_OP_SPLICE, 0, 0, PIPE_WRITE, off, length(), opFlags, FILE, 0, 0);
            default -> io(slot, IORING_OP_TEE, 0, 0, PIPE_WRITE, 0, length(), opFlags, PIPE_READ, 0, 0);
        };
    }

    private Step.WriteIo rw(int slot, int opcode, int target, int flags) {
        boolean file = target == FILE;
        boolean select = !file && opcode == IORING_OP_READ && g.chance(20);
        return io(slot, opcode, flags | (select ? IOSQE_BUFFER_SELECT : 0), 0, target,
                file ? g.pick(3) * 1024L : (g.chance(90) ? 0 : -1), select ? 0 : length(), 0, g.pick(4),
                select ? g.pick(2) : 0, 0);
    }

    private Step.WriteIo timeout(int slot) {
        int which = g.pick(2);
        int flags = switch (g.pick(6)) {
            case 0 -> IORING_TIMEOUT_ETIME_SUCCESS;
            case 1 -> which == 0 ? IORING_TIMEOUT_MULTISHOT : 0;
            default -> 0;
        };
        long count = flags == IORING_TIMEOUT_MULTISHOT ? 1 + g.pick(3) : g.pick(3);
        shortTimeout |= which == 0;
        return io(slot, IORING_OP_TIMEOUT, 0, 0, -1, count, 0, flags, which, 0, 0);
    }

    private int length() {
        return g.chance(50) ? 1 + g.pick(64) : 1 + g.pick(OutsideWorld.BUFFER_BYTES);
    }

    private Step.WriteIo io(int slot, int opcode, int flags, int ioprio, int target, long off, int len, int opFlags,
            int buf, int bufIndex, int fileIndex) {
        return new Step.WriteIo(slot, opcode, flags, ioprio, target, off, len, opFlags, buf, bufIndex, fileIndex,
                g.userData());
    }
}
