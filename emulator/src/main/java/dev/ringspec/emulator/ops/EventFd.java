package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_READLINKAT;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_CQ_EVENTFD_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD_ASYNC;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_EVENTFD;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.IoWqCompletions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.RegisterOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * io_uring/eventfd.c: {@code IORING_REGISTER_EVENTFD}, {@code IORING_REGISTER_EVENTFD_ASYNC} and
 * {@code IORING_UNREGISTER_EVENTFD}, and the signal: after each commit of the CQ tail
 * ({@code __io_commit_cqring_flush}) the ring adds 1 to its eventfd, unless the application set
 * IORING_CQ_EVENTFD_DISABLED in {@code cq.flags}, or no CQE was posted since the last signal
 * ({@code last_cq_tail}), or the eventfd is ASYNC and the completions are not io-wq's. The eventfd is held by a
 * duplicate of its descriptor, as the kernel holds its {@code eventfd_ctx}: the application may close its own. A
 * served program's eventfd is its own descriptor's file (this JVM's copy names it), so a signal wakes the program.
 *
 * <p>On a DEFER_TASKRUN ring the kernel also signals when task work is queued to an empty list
 * ({@code io_req_local_work_add}), before any CQE: {@link #signalLocalWork}.
 */
public final class EventFd implements AutoCloseable {
    private int eventFd = -1;
    private boolean async;
    private int lastCqTail;
    private boolean hooked;

    /** The register opcodes of eventfd.c, as {@code __io_uring_register} dispatches them. */
    public static Map<Integer, RegisterOp> registerOps(EmulatorServices services) {
        return Map.of(
                // __io_uring_register: nr_args must be 1
                IORING_REGISTER_EVENTFD, (ring, arg, nrArgs) -> nrArgs != 1 ? -EINVAL : of(ring).register(ring,
                        arg, false),
                IORING_REGISTER_EVENTFD_ASYNC, (ring, arg, nrArgs) -> nrArgs != 1 ? -EINVAL : of(ring).register(
                        ring, arg, true),
                // __io_uring_register: unregister takes no argument
                IORING_UNREGISTER_EVENTFD, (ring, arg, nrArgs) -> arg.address() != 0 || nrArgs != 0 ? -EINVAL
                        : of(ring).unregister());
    }

    private static EventFd of(IssueContext ring) {
        return ring.ringLocal(EventFd.class, EventFd::new);
    }

    /** {@code io_eventfd_register}. */
    private synchronized int register(IssueContext ring, MemorySegment arg, boolean eventfdAsync) {
        // io_eventfd_register: one eventfd per ring -> -EBUSY
        if (eventFd >= 0) {
            return -EBUSY;
        }
        // io_eventfd_register: copy_from_user of the descriptor -> -EFAULT
        MemorySegment fds = ring.userMemory(arg.address(), 4);
        if (fds == null) {
            return -EFAULT;
        }
        int fd = fds.get(JAVA_INT_UNALIGNED, 0);
        // eventfd_ctx_fdget: not open -> -EBADF; not an eventfd -> -EINVAL
        int dup = ProgramTransfers.duplicate(fd);
        if (dup < 0) {
            return dup;
        }
        if (!isEventFd(dup)) {
            Linux.close(dup);
            return -EINVAL;
        }
        eventFd = dup;
        lastCqTail = ring.cachedCqTail();
        async = eventfdAsync;
        if (!hooked) {
            hooked = true;
            ring.onCommit(() -> signal(ring));
            ring.onLocalWorkAdd(() -> signalLocalWork(ring));
        }
        return 0;
    }

    /** {@code io_eventfd_unregister}: none registered -> -ENXIO. */
    private synchronized int unregister() {
        if (eventFd < 0) {
            return -ENXIO;
        }
        Linux.close(eventFd);
        eventFd = -1;
        return 0;
    }

    /**
     * {@code io_eventfd_signal(ctx, true)}, after a commit. Up to 6.12 {@code io_eventfd_flush_signal} notes the
     * CQ tail first and then checks IORING_CQ_EVENTFD_DISABLED and ASYNC (6.12.117 io_uring.c); later kernels check
     * those first, so a commit they refuse leaves {@code last_cq_tail} as it was (7.1.8 eventfd.c).
     */
    private synchronized void signal(IssueContext ring) {
        if (eventFd < 0) {
            return;
        }
        boolean tailFirst = notesTailFirst(ring.profile().version());
        boolean fresh = tailFirst && noteTail(ring);
        // io_eventfd_signal: the application turned notification off
        if ((ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0) {
            return;
        }
        // io_eventfd_trigger: an ASYNC eventfd is for io-wq's completions only
        if (async && ring.ringLocal(IoWqCompletions.class, IoWqCompletions::new).take() == 0) {
            return;
        }
        if (!tailFirst) {
            fresh = noteTail(ring);
        }
        // only when a CQE was posted since the last signal
        if (fresh) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment one = call.allocate(JAVA_LONG);
                one.set(JAVA_LONG, 0, 1);
                Linux.call(SYS_WRITE, eventFd, one.address(), 8);
            }
        }
    }

    /**
     * {@code io_eventfd_signal(ctx, false)} from {@code io_req_local_work_add}: task work queued to an empty list
     * on a DEFER_TASKRUN ring signals before any CQE, unless IORING_CQ_EVENTFD_DISABLED is set or the eventfd is
     * ASYNC and the work is not queued by an io-wq worker; it does not note the CQ tail.
     */
    private synchronized void signalLocalWork(IssueContext ring) {
        if (eventFd < 0 || (ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0
                || async && !IoWqCompletions.currentIsWorker()) {
            return;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment one = call.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            Linux.call(SYS_WRITE, eventFd, one.address(), 8);
        }
    }

    /** {@code last_cq_tail = cached_cq_tail}: whether it moved since the last time. */
    private boolean noteTail(IssueContext ring) {
        int tail = ring.cachedCqTail();
        boolean moved = tail != lastCqTail;
        lastCqTail = tail;
        return moved;
    }

    /** Whether {@code version}'s kernel notes the CQ tail before its other checks (6.12 and earlier). */
    static boolean notesTailFirst(String version) {
        String[] v = version.split("\\.");
        return Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) <= 12;
    }

    /** Whether {@code fd} is an eventfd: its {@code /proc/self/fd} link names the eventfd anonymous inode. */
    private static boolean isEventFd(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment path = call.allocateFrom("/proc/self/fd/" + fd);
            MemorySegment buf = call.allocate(64);
            long n = Linux.call(SYS_READLINKAT, -100, path.address(), buf.address(), 64, 0, 0);
            if (n < 0) {
                return false;
            }
            String target = new String(buf.asSlice(0, n).toArray(JAVA_BYTE),
                    StandardCharsets.US_ASCII);
            return "anon_inode:[eventfd]".equals(target);
        }
    }

    /** The ring is gone ({@code io_ring_ctx_free} unregisters the eventfd). */
    @Override
    public synchronized void close() {
        if (eventFd >= 0) {
            Linux.close(eventFd);
            eventFd = -1;
        }
    }
}
