package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_CQ_EVENTFD_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD_ASYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_EVENTFD;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.emulator.IoWqCompletions;
import dev.ringspec.emulator.Wakeups;
import dev.ringspec.emulator.Timers;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Req;
import dev.ringspec.model.RegisterOp;
import dev.ringspec.model.Rule;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
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
 * ({@code io_req_local_work_add}), before any CQE: {@link #signalLocalWork}. Queued from inside a file's wakeup,
 * that signal can be deferred to an RCU callback ({@link #deferSignal}).
 */
public final class EventFd implements IssueContext.FreedAfterExit {
    /**
     * What a deferred signal waits for, an RCU grace period ({@code call_rcu_hurry}): on this machine (6.18.44, 2
     * CPUs, load 3 to 7) the deferred signal of a fresh ring landed 12 to 33 ms after the wakeup, and once more than
     * 50 ms; the task that was woken has run its work by then.
     */
    static final long GRACE_PERIOD_NANOS = 20_000_000L;

    /**
     * {@code __io_eventfd_signal}: a signal from inside an eventfd's wakeup goes to an RCU callback. Detail: 1 if
     * the ring's kernel drops this one (below), else 0.
     */
    public static final Rule SIGNAL_DEFERRED = Rule.define("EVENTFD_SIGNAL_DEFERRED", "__io_eventfd_signal",
            "io_uring/eventfd.c", "A ring's eventfd signal from inside an eventfd's wakeup waits for an RCU callback.");
    /**
     * {@code io_eventfd_do_signal}: on 6.12 to 7.0 the callback never clears {@code IO_EVENTFD_OP_SIGNAL_BIT}, so
     * every deferred signal after a ring's first is dropped; the emulator signals, as 6.1 and 7.1 on do. A kernel bug
     * (catalogue entry eventfd-deferred-signal-lost-after-the-first). Detail: how many the ring deferred before.
     */
    public static final Rule SIGNAL_BIT_KEPT = Rule.define("EVENTFD_SIGNAL_BIT_KEPT", "io_eventfd_do_signal",
            "io_uring/eventfd.c", "On 6.12 to 7.0 a ring's deferred eventfd signal after its first is lost (the"
                    + " kernel never clears the pending bit); the emulator signals.");

    /**
     * {@code io_ring_exit_work}: the ring's close cancels what waits and signals its eventfd
     * ({@link #exitStarts}). Detail: 1 where the cancelled CQEs fit in the CQ ring, else 0.
     */
    public static final Rule EXIT_SIGNALS = Rule.define("EVENTFD_EXIT_SIGNALS", "io_ring_exit_work",
            "io_uring/io_uring.c", "A ring's close cancels its waiting requests and signals its eventfd: on a"
                    + " DEFER_TASKRUN ring for the first cancellation's task work, on any ring for the cancelled CQEs"
                    + " where one fits.");

    /**
     * {@code io_fail_links}: on a ring without DEFER_TASKRUN a request the close cancelled fails the requests linked
     * behind it from the flush that posts its CQE, in task work of their own, whose flush signals again
     * ({@link #exitStarts}). Detail: 1 where their CQEs fit in the CQ ring, else 0.
     */
    public static final Rule EXIT_FAILED_LINKS_SIGNAL = Rule.define("EVENTFD_EXIT_FAILED_LINKS_SIGNAL",
            "io_fail_links", "io_uring/io_uring.c", "The links of a request a ring's close cancelled fail in task"
                    + " work of their own, whose flush signals the eventfd again where a CQE fits.");

    private final Timers timers;
    private final boolean deferTaskrun;
    private int eventFd = -1;
    /** The registered eventfd's {@link Wakeups#eventfdId}, for {@link Wakeups#uringSignal}. */
    private long eventFdId = -1;
    /** {@code IO_EVENTFD_OP_SIGNAL_BIT}: a deferred signal is pending. */
    private boolean deferredPending;
    /** How many signals this registration deferred: the second one is where 6.12 to 7.0 lose them. */
    private int deferredCount;
    private boolean async;
    private int lastCqTail;
    /** The CQ tail the ring's last commit left: where the next commit's CQEs begin. */
    private int committedTail;
    private boolean hooked;
    /** The ring's exit has begun ({@link #exitStarts}): what it signals is decided there. */
    private boolean exiting;
    private IssueContext ring;

    /** The register opcodes of eventfd.c, as {@code __io_uring_register} dispatches them. */
    public static Map<Integer, RegisterOp> registerOps(EmulatorServices services) {
        return Map.of(
                // __io_uring_register: nr_args must be 1
                IORING_REGISTER_EVENTFD, (ring, arg, nrArgs) -> nrArgs != 1 ? -EINVAL : of(ring, services)
                        .register(ring, arg, false),
                IORING_REGISTER_EVENTFD_ASYNC, (ring, arg, nrArgs) -> nrArgs != 1 ? -EINVAL : of(ring, services)
                        .register(ring, arg, true),
                // __io_uring_register: unregister takes no argument
                IORING_UNREGISTER_EVENTFD, (ring, arg, nrArgs) -> arg.address() != 0 || nrArgs != 0 ? -EINVAL
                        : of(ring, services).unregister());
    }

    private static EventFd of(IssueContext ring, EmulatorServices services) {
        return ring.ringLocal(EventFd.class, () -> new EventFd(services.timers(),
                (ring.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0));
    }

    private EventFd(Timers timers, boolean deferTaskrun) {
        this.timers = timers;
        this.deferTaskrun = deferTaskrun;
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
        if (!Wakeups.isEventFd(dup)) {
            Linux.close(dup);
            return -EINVAL;
        }
        eventFd = dup;
        eventFdId = Wakeups.eventfdId(dup);
        if (deferTaskrun) {
            Wakeups.nameWakers(true);
        }
        lastCqTail = ring.cachedCqTail();
        committedTail = lastCqTail;
        async = eventfdAsync;
        // io-wq's completions posted before the registration signalled nothing on the worker that posted them
        // (seed 38 of the world lockstep: an io-wq OPENAT's before it made the first inline commit after it signal)
        ring.ringLocal(IoWqCompletions.class, IoWqCompletions::new).take();
        // io_eventfd_register: a new io_ev_fd, its ops 0
        deferredPending = false;
        deferredCount = 0;
        this.ring = ring;
        if (!hooked) {
            hooked = true;
            ring.onCommit(IssueContext.CommitFlush.EVENTFD, () -> signal(ring));
            ring.onLocalWorkAdd(() -> signalLocalWork(ring));
        }
        return 0;
    }

    /** {@code io_eventfd_unregister}: none registered -> -ENXIO. */
    private synchronized int unregister() {
        if (eventFd < 0) {
            return -ENXIO;
        }
        drop();
        return 0;
    }

    /**
     * After a commit ({@code __io_commit_cqring_flush}). On a ring whose io-wq workers post their own CQEs (neither
     * DEFER_TASKRUN nor IOPOLL: {@code io_req_complete_post} fills, commits and flushes under the completion lock,
     * {@code io_cq_unlock_post}), each io-wq completion the emulator hands back to the ring's task is a commit of its
     * own in the kernel, before the batch's (the emulator puts them first in it): the eventfd is signalled for each
     * that finds the tail moved, then for the rest of the batch (6.18.44: two io-wq completions of one submission
     * signal twice, an ASYNC eventfd and a plain one alike; world lockstep seed 1016). Elsewhere the worker's
     * completion is task work ({@code ctx->lockless_cq}) and the run's flush is one commit.
     */
    private synchronized void signal(IssueContext ring) {
        // the io-wq completions of this commit only: each kernel commit is its own, on a worker or not
        IoWqCompletions.Taken fromIoWq = ring.ringLocal(IoWqCompletions.class, IoWqCompletions::new).takePosting();
        int tail = ring.cachedCqTail();
        int before = committedTail;
        committedTail = tail;
        if (eventFd < 0 || exiting) {
            return;
        }
        if ((ring.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0) {
            // the task posts and commits io-wq's CQEs too, from its local work: no worker's commit, which an ASYNC
            // eventfd never counts; the worker's queueing of that work was counted ({@link #signalLocalWork})
            flushSignal(ring, tail, false);
            return;
        }
        if ((ring.setupFlags() & IORING_SETUP_IOPOLL) != 0) {
            // the same on IOPOLL (lockless_cq), where queueing normal task work signals nothing
            // (io_req_normal_work_add): an ASYNC eventfd never counts an IOPOLL ring's CQEs
            flushSignal(ring, tail, false);
            return;
        }
        // the workers' CQEs come first among the commit's (a full CQ's overflowed ones moved no tail)
        int own = Math.max(0, Math.min(fromIoWq.posting(), tail - before));
        for (int i = 0; i < fromIoWq.completed(); i++) {
            flushSignal(ring, before + Math.min(i + 1, own), true);
        }
        flushSignal(ring, tail, false);
    }

    /**
     * An io-wq worker's commit that posted nothing: {@code io_req_complete_post} runs {@code io_cq_unlock_post} also
     * where {@code io_fill_cqe_req} found no slot, and its flush ({@code io_commit_cqring_flush ->
     * io_eventfd_signal(ctx, true)}) signals as a worker's does where the CQ tail moved since {@code last_cq_tail},
     * which an ASYNC eventfd leaves behind at the commits it ignores (world lockstep seed 1087). Whether it signalled.
     */
    public static boolean workerCommitted(IssueContext ring) {
        EventFd registered = ring.ringLocal(EventFd.class, () -> null);
        return registered != null && registered.commitOnWorker(ring);
    }

    private synchronized boolean commitOnWorker(IssueContext ring) {
        return eventFd >= 0 && !exiting && flushSignal(ring, ring.cachedCqTail(), true);
    }

    /**
     * {@code io_eventfd_flush_signal} for a commit that left the CQ tail at {@code tail}, on an io-wq worker or not;
     * whether it signalled. Up to 6.12 it notes the CQ tail first and then checks IORING_CQ_EVENTFD_DISABLED and
     * ASYNC (6.12.117 io_uring.c); later kernels check those first, so a commit they refuse leaves
     * {@code last_cq_tail} as it was (7.1.8 eventfd.c).
     */
    private boolean flushSignal(IssueContext ring, int tail, boolean onWorker) {
        boolean tailFirst = notesTailFirst(ring.profile().version());
        boolean fresh = tailFirst && noteTail(tail);
        // io_eventfd_signal: the application turned notification off
        if ((ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0) {
            return false;
        }
        // io_eventfd_trigger: an ASYNC eventfd is for io-wq's completions only
        if (async && !onWorker) {
            return false;
        }
        if (!tailFirst) {
            fresh = noteTail(tail);
        }
        // only when a CQE was posted since the last signal
        if (fresh) {
            write(eventFd, eventFdId);
        }
        return fresh;
    }

    /**
     * {@code io_eventfd_signal(ctx, false)} from {@code io_req_local_work_add}: task work queued to an empty list
     * on a DEFER_TASKRUN ring signals before any CQE, unless IORING_CQ_EVENTFD_DISABLED is set or the eventfd is
     * ASYNC and the work is not queued by an io-wq worker; it does not note the CQ tail. Work queued from inside a
     * file's wakeup defers it ({@link #defersInWake}).
     */
    private synchronized void signalLocalWork(IssueContext ring) {
        if (eventFd < 0 || exiting || (ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0
                || async && !IoWqCompletions.queuesForWorker()) {
            return;
        }
        String version = ring.profile().version();
        if (Wakeups.inEventfdWake() || Wakeups.inWake() && defersInWake(version)) {
            deferSignal(ring);
            return;
        }
        write(eventFd, eventFdId);
    }

    /**
     * {@code __io_eventfd_signal}'s other branch: inside an eventfd's wakeup ({@code eventfd_signal_allowed()} is
     * false; the ring's own signal waking a request that polls that eventfd is one) or, on kernels that pass
     * IOU_F_TWQ_IN_WAKE, inside any, the signal goes to an RCU callback ({@code call_rcu_hurry},
     * {@code io_eventfd_do_signal}), one at a time ({@code IO_EVENTFD_OP_SIGNAL_BIT}): a request woken by the ring's
     * own signal reads the count without it (liburing's eventfd-disable reads 1). The callback holds the eventfd,
     * as its reference does, past an unregister or the ring's end, and clears the bit, as 6.1 and 7.1 on do (commit
     * 04fe9aeb4f3c, "io_uring/eventfd: reset deferred signal state"); 6.12 to 7.0 never clear it, which
     * {@link #SIGNAL_BIT_KEPT} reports where their kernel would drop the signal.
     */
    private void deferSignal(IssueContext ring) {
        if (deferredPending) {
            return;
        }
        boolean kernelDrops = deferredCount > 0 && keepsSignalBit(ring.profile().version());
        ring.fire(SIGNAL_DEFERRED, kernelDrops ? 1 : 0);
        if (kernelDrops) {
            ring.fire(SIGNAL_BIT_KEPT, deferredCount);
        }
        deferredCount++;
        deferredPending = true;
        int held = Linux.dup(eventFd);
        if (held < 0) {
            return;
        }
        long heldId = eventFdId;
        // an emulator closed before the callback (a choice search's rebuilt reference, closed after each trial)
        // closes its duplicate: one eventfd a trial stayed open for the rest of the process (world lockstep seed 1144,
        // 2,800 of them in one run of the seed, the process's descriptors exhausted by its eighth)
        timers.after(GRACE_PERIOD_NANOS, () -> {
            synchronized (this) {
                deferredPending = false;
            }
            write(held, heldId); // io_eventfd_do_signal: eventfd_signal_mask with EPOLL_URING_WAKE too
            Linux.close(held);
        }, () -> Linux.close(held));
    }

    /** {@code eventfd_signal_mask(ev_fd->cq_ev_fd, EPOLL_URING_WAKE)}: adds 1 to the eventfd {@code id} open as fd. */
    private static void write(int fd, long id) {
        Wakeups.uringSignal(id);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment one = call.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            Linux.call(SYS_WRITE, fd, one.address(), 8);
        }
    }

    /**
     * Whether {@code version}'s {@code io_req_local_work_add} defers the signal from inside every wakeup (a poll's,
     * a futex's, a waitid's: IOU_F_TWQ_IN_WAKE): 6.12 (6.12.117 io_uring.c) and 7.2 on (7.2.13 tw.c); 6.1 and
     * 6.13 to 7.1 only inside an eventfd's (6.1.192 io_uring.c, 7.1.8 tw.c; 6.18.44 measured: a pipe's wakeup
     * signals at once).
     */
    static boolean defersInWake(String version) {
        String[] v = version.split("\\.");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        return major == 6 && minor == 12 || major > 7 || major == 7 && minor >= 2;
    }

    /**
     * Whether {@code version}'s RCU callback leaves {@code IO_EVENTFD_OP_SIGNAL_BIT} set: since "io_uring/eventfd:
     * move to more idiomatic RCU free usage" (June 2024) dropped 6.1's {@code atomic_xchg} of the ops, until
     * 04fe9aeb4f3c added an {@code atomic_andnot} (7.1; 7.1.8 eventfd.c). 6.12.117 read, 6.18.44 measured (a ring's
     * first deferred signal lands, every later one is lost); 6.19 and 7.0 are taken to be 6.18 (not read).
     */
    public static boolean keepsSignalBit(String version) {
        String[] v = version.split("\\.");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        return major == 6 && minor > 1 || major == 7 && minor < 1;
    }

    /** {@code last_cq_tail = cached_cq_tail}: whether it moved since the last time. */
    private boolean noteTail(int tail) {
        boolean moved = tail != lastCqTail;
        lastCqTail = tail;
        return moved;
    }

    /** Whether {@code version}'s kernel notes the CQ tail before its other checks (6.12 and earlier). */
    static boolean notesTailFirst(String version) {
        String[] v = version.split("\\.");
        return Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) <= 12;
    }

    /**
     * {@code io_ring_exit_work} (6.18.44 measured, {@code EventFdTest.aRingsExitSignalsItsEventfd}): on a kworker it
     * cancels what waits (polls, timeouts, io-wq work: {@code io_uring_try_cancel_requests}), each cancellation
     * completing through task work, and the cancelled requests' CQEs are flushed, all before {@code io_ring_ctx_free}
     * unregisters the eventfd. On a DEFER_TASKRUN ring the first cancellation's task work goes to the list
     * {@code io_move_task_work_from_local} has just emptied, which signals ({@code io_req_local_work_add}), and the
     * flush of the cancelled or already queued requests' CQEs signals where at least one fits in the CQ ring (the
     * tail moves); on a ring without DEFER_TASKRUN the submitter task runs the cancellations' task work at its next
     * return to user space, whose flush signals where a CQE fits, and the links of the requests it failed fail in
     * task work of their own, whose flush signals again ({@link #EXIT_FAILED_LINKS_SIGNAL}). Nothing for an
     * ASYNC eventfd (no io-wq worker signals), nor with IORING_CQ_EVENTFD_DISABLED. What the emulator's own
     * cancellations at the close would signal is not counted again.
     */
    @Override
    public synchronized void exitStarts() {
        if (eventFd < 0 || ring == null || exiting) {
            return;
        }
        exiting = true;
        if (async || (ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0) {
            return;
        }
        List<Req> waiting = ring.ringLocal(Inflight.class, Inflight::new).all().stream()
                .filter(e -> e.kind() != Inflight.Kind.BIO).map(Inflight.Entry::req).distinct().toList();
        boolean cancelled = !waiting.isEmpty();
        if (!cancelled && !ring.localWorkPending()) {
            return;
        }
        ring.fire(EXIT_SIGNALS, ring.cqRoom() > 0 ? 1 : 0);
        if (deferTaskrun && !ring.localWorkPending()) {
            // io_req_local_work_add: the first cancellation's task work on the emptied list; where local work is
            // queued, the waiting requests are taken to be the ones it is for (a poll already woken is owned by its
            // task work, and its cancellation queues nothing: io_poll_cancel_req)
            write(eventFd, eventFdId);
        }
        if (ring.cqRoom() > 0) {
            // __io_submit_flush_completions of the cancelled requests: the tail moved
            write(eventFd, eventFdId);
        }
        if (!deferTaskrun && waiting.stream().anyMatch(Req::linked)) {
            // io_free_batch_list -> io_queue_next -> io_disarm_next -> io_fail_links: the failed heads' links fail
            // in task work queued by that flush (io_req_tw_fail_links), which the task runs next, in a flush of its
            // own: it signals where a CQE fits after the heads' (world lockstep seed 2189)
            boolean fits = ring.cqRoom() > waiting.size();
            ring.fire(EXIT_FAILED_LINKS_SIGNAL, fits ? 1 : 0);
            if (fits) {
                write(eventFd, eventFdId);
            }
        }
    }

    /**
     * The signal of an io-wq worker that a ring's exit interrupted in its call, to be made when that worker posts, or
     * null where it makes none. {@code io_ring_exit_work} kills the overflow list first ({@code
     * io_cqring_overflow_kill}), then cancels: {@code io_uring_try_cancel_requests -> io_wq_cancel_cb} marks running
     * work IO_WQ_WORK_CANCEL and signals its worker ({@code io_wq_worker_cancel}), whose call ends, and the worker
     * posts its CQE itself ({@code io_req_complete_post}: {@code io_fill_cqe_req} finds a slot where the CQ ring has
     * room, then {@code io_cq_unlock_post -> io_commit_cqring_flush -> io_eventfd_flush_signal}, on the worker), while
     * the eventfd stays registered until {@code io_ring_ctx_free}. That is the only signal of the exit an ASYNC
     * eventfd gets ({@code io_eventfd_trigger}: io-wq's only), which {@link #exitStarts} leaves out; for another
     * eventfd {@link #exitStarts} counts the work among the cancelled. {@code nth} is the worker's place among those
     * the exit interrupted (0 first): one CQE each, so one signal each while the CQ ring has room. Asked after
     * {@link #exitStarts}; the signal holds a duplicate of the eventfd, past the ring's end.
     */
    public static ExitSignal workerSignalAtExit(IssueContext ring, int nth) {
        EventFd registered = ring.ringLocal(EventFd.class, () -> null);
        return registered == null ? null : registered.exitSignal(ring, nth);
    }

    private synchronized ExitSignal exitSignal(IssueContext ring, int nth) {
        // io_eventfd_trigger: a not ASYNC eventfd's exit signals are exitStarts'; io_eventfd_grab: notification off;
        // io_req_complete_post: a DEFER_TASKRUN or IOPOLL ring's worker posts nothing (lockless_cq: task work)
        if (eventFd < 0 || !exiting || !async || (ring.cqFlags() & IORING_CQ_EVENTFD_DISABLED) != 0 || deferTaskrun
                || (ring.setupFlags() & IORING_SETUP_IOPOLL) != 0) {
            return null;
        }
        // io_eventfd_flush_signal: only where the worker's CQE moved the tail, a slot of the CQ ring
        if (nth >= ring.cqRoom()) {
            return null;
        }
        int held = Linux.dup(eventFd);
        return held < 0 ? null : new ExitSignal(held, eventFdId);
    }

    /** A signal {@link #workerSignalAtExit} holds until the worker posts ({@link #post}) or the emulator ends. */
    public record ExitSignal(int heldFd, long eventFdId) {
        /** The worker posts: {@code eventfd_signal_mask}, and the duplicate is closed. */
        public void post() {
            write(heldFd, eventFdId);
            Linux.close(heldFd);
        }

        /** The emulator ends before the worker posts: the duplicate is closed. */
        public void discard() {
            Linux.close(heldFd);
        }
    }

    /** The ring is gone ({@code io_ring_ctx_free} unregisters the eventfd). */
    @Override
    public synchronized void close() {
        if (eventFd >= 0) {
            drop();
        }
    }

    private void drop() {
        Linux.close(eventFd);
        eventFd = -1;
        if (deferTaskrun) {
            Wakeups.nameWakers(false);
        }
    }
}
