package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_LEVEL;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_EVENTS;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_USER_DATA;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.Poll.EPOLLET;
import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.EPOLLONESHOT;
import static dev.ringspec.uapi.Poll.POLLERR;
import static dev.ringspec.uapi.Poll.POLLHUP;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLMSG;
import static dev.ringspec.uapi.Poll.POLLNVAL;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static dev.ringspec.uapi.Poll.POLLPRI;
import static dev.ringspec.uapi.Poll.POLLRDBAND;
import static dev.ringspec.uapi.Poll.POLLRDHUP;
import static dev.ringspec.uapi.Poll.POLLRDNORM;
import static dev.ringspec.uapi.Poll.POLLWRBAND;
import static dev.ringspec.uapi.Poll.POLLWRNORM;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.emulator.Apoll;
import dev.ringspec.emulator.Readiness;
import dev.ringspec.emulator.TaskExits;
import dev.ringspec.emulator.Wakeups;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * io_uring/poll.c: {@code IORING_OP_POLL_ADD} (one-shot and multishot) and {@code IORING_OP_POLL_REMOVE} (with
 * IORING_POLL_UPDATE_EVENTS and IORING_POLL_UPDATE_USER_DATA), on real descriptors watched through the emulator's
 * epoll ({@link Readiness}).
 *
 * <p>The life of a poll request, as in the kernel: {@code io_poll_add} looks at the file's state once
 * ({@code vfs_poll}, here {@code ppoll} with a zero timeout). A one-shot poll whose events are there completes at
 * once with them; otherwise the request waits on the file (an epoll watch) and sits in the ring's cancel table
 * ({@link Inflight}, kind POLL). A wakeup takes the request's ownership ({@code io_poll_get_ownership}: a count of
 * wakeups, so only the first queues task work) and hands it to the ring's task, where {@code io_poll_check_events}
 * decides: a one-shot completes with the events; a multishot posts a CQE with IORING_CQE_F_MORE
 * ({@code io_req_post_cqe}) and keeps waiting, or, when the CQ has no room, ends with a last CQE without F_MORE
 * through the normal completion; a cancelled poll completes with -ECANCELED. The result is always
 * {@code mangle_poll(events that happened & poll->events)}, where {@code poll->events} is what the SQE asked for
 * plus EPOLLERR, EPOLLHUP, EPOLLNVAL and EPOLLRDHUP ({@code io_init_poll_iocb}).
 *
 * <p>IORING_POLL_ADD_LEVEL is read by {@code io_poll_parse_events}, but neither prep accepts it in
 * {@code sqe->len} (6.1 to 7.3), so every POLL_ADD is edge-triggered (EPOLLET).
 */
public final class Poll {
    /** {@code IO_POLL_UNMASK}: events a poll always reports. */
    static final int IO_POLL_UNMASK = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;
    /** The bits {@code demangle_poll} and {@code mangle_poll} carry between user and kernel poll masks. */
    static final int POLL_BITS = POLLIN | POLLOUT | POLLPRI | POLLERR | POLLNVAL | POLLRDNORM | POLLRDBAND
            | POLLWRNORM | POLLWRBAND | POLLHUP | POLLRDHUP | POLLMSG;
    /** {@code IOU_POLL_NO_ACTION}, as {@code io_poll_check_events} answers it (never an event mask or -errno). */
    private static final int NO_ACTION = Integer.MAX_VALUE;

    private Poll() {
    }

    /** The opcodes of poll.c. */
    public static List<EmuOp> ops(EmulatorServices services) {
        Readiness readiness = services.readiness();
        return List.of(
                // opdef.c: POLL_ADD needs a file; POLL_REMOVE has none
                // a forced-async POLL_ADD is armed by io-wq's worker (io_wq_submit_work -> io_poll_add): no task work
                // until the file is ready, where the ring's task would arm it only when it ran the item
                new EmuOp(new OpDef(IORING_OP_POLL_ADD, "POLL_ADD", OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE,
                        Poll::addPrep, (req, ctx) -> add(services, readiness, req, ctx)),
                        new EmuOp.WorkersTry((req, ctx) -> add(services, readiness, req, ctx))),
                EmuOp.of(new OpDef(IORING_OP_POLL_REMOVE, "POLL_REMOVE", 0, Poll::removePrep,
                        (req, ctx) -> remove(readiness, req, ctx))));
    }

    /** {@code struct io_poll} and the request's poll state: what it waits for and who owns it. */
    static final class PollReq {
        /** {@code poll->events}: the wanted events and the EPOLLET/EPOLLONESHOT/EPOLLEXCLUSIVE behaviour bits. */
        int events;
        /** {@code req->poll_refs}: wakeups since the task last looked; the first one queues task work. */
        final AtomicInteger refs = new AtomicInteger();
        /** The events of the first wakeup ({@code __io_poll_execute} stashes them in {@code req->cqe.res}). */
        volatile int wakeMask;
        /** {@code IO_POLL_CANCEL_FLAG}. */
        volatile boolean cancelled;
        /** The initial readiness epoll reports for a watch added to a file that is ready: seen already. */
        volatile boolean skipFirst;
        Readiness.Watch watch;
        /** {@code req->file}: the request's own reference to its file (a duplicate), -1 once dropped. */
        int file = -1;
        volatile boolean done;
        /** The ring {@link #file} is ({@code io_uring_poll}), or null for another file. */
        IssueContext ring;
        /** Ends the watch of {@link #ring}'s poll_wq ({@link RingPollWq}), or null. */
        Runnable ringWatch;
        /** Whether the request's task has exited ({@code io_should_terminate_tw}). */
        TaskExits exits;
        /** The file's {@link Wakeups#eventfdId} where it is an eventfd, else -1. */
        long eventfdId = -1;
        /** The rings' signals of that eventfd this poll has seen ({@link Wakeups#uringSignals}). */
        volatile long uringSeen;
        /** A wakeup of the file without a key ({@link #stateChange}), set while the poll waits. */
        volatile Runnable keylessWake;

        /** {@code vfs_poll} of the file: a ring's {@link IssueContext#ringPollMask}, else the real file's. */
        int poll() {
            return ring != null ? ring.ringPollMask() : Apoll.vfsPoll(file, events);
        }

        /** The wait on the file ends ({@code io_poll_remove_entries}). */
        void unwatch() {
            if (watch != null) {
                watch.cancel();
            }
            if (ringWatch != null) {
                ringWatch.run();
                ringWatch = null;
            }
        }

        PollReq(int events) {
            this.events = events;
        }

        boolean oneshot() {
            return (events & EPOLLONESHOT) != 0;
        }

        void release() {
            if (file >= 0) {
                Linux.close(file);
                file = -1;
            }
        }
    }

    /** {@code io_poll_parse_events}: the SQE's {@code poll32_events} and the behaviour {@code flags} ask for. */
    static int parseEvents(int poll32Events, int flags) {
        int events = poll32Events;
        if ((flags & IORING_POLL_ADD_MULTI) == 0) {
            events |= EPOLLONESHOT;
        }
        if ((flags & IORING_POLL_ADD_LEVEL) == 0) {
            events |= EPOLLET;
        }
        // demangle_poll keeps the poll bits; the behaviour bits pass as they are
        return (events & POLL_BITS) | (events & (EPOLLEXCLUSIVE | EPOLLONESHOT | EPOLLET));
    }

    /** {@code io_poll_add_prep}. */
    static int addPrep(Req req, IssueContext ctx) {
        // io_poll_add_prep: buf_index, off or addr set -> -EINVAL
        if (req.bufIndex() != 0 || req.off() != 0 || req.addr() != 0) {
            return -EINVAL;
        }
        int flags = req.len();
        // io_poll_add_prep: any flag but IORING_POLL_ADD_MULTI in len -> -EINVAL (LEVEL included)
        if ((flags & ~IORING_POLL_ADD_MULTI) != 0) {
            return -EINVAL;
        }
        // io_poll_add_prep: a multishot poll whose CQEs would be skipped -> -EINVAL
        if ((flags & IORING_POLL_ADD_MULTI) != 0 && (req.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0) {
            return -EINVAL;
        }
        req.opState(new PollReq(parseEvents(req.opFlags(), flags)));
        return 0;
    }

    /** {@code io_poll_add}. */
    static int add(EmulatorServices services, Readiness readiness, Req req, IssueContext ctx) {
        PollReq p = (PollReq) req.opState();
        int file = Linux.dup(ctx.fileDescriptor(req));
        if (file < 0) {
            return file;
        }
        p.file = file;
        p.exits = services.taskExits();
        p.ring = services.ring(file);
        p.eventfdId = p.ring == null ? Wakeups.eventfdId(file) : -1;
        if (p.ring != null) {
            // io_file_get_normal: a request on an io_uring file is tracked (REQ_F_INFLIGHT): its task's exit cancels it
            services.inflightTracked(req.task());
        }
        return armPollHandler(readiness, req, ctx, p);
    }

    /**
     * {@code __io_arm_poll_handler} as {@code io_poll_add} uses it: {@link OpDef#COMPLETE} with the events when the
     * poll is over at once, {@link OpDef#SKIP_COMPLETE} when it waits, or a -errno; the request's reference to its
     * file ({@link PollReq#file}) is dropped unless it waits.
     */
    static int armPollHandler(Readiness readiness, Req req, IssueContext ctx, PollReq p) {
        // io_init_poll_iocb: the events a poll always wants
        p.events |= IO_POLL_UNMASK;
        p.refs.set(0);
        p.cancelled = false;
        p.skipFirst = false;
        p.done = false;
        p.uringSeen = Wakeups.uringSignals(p.eventfdId);
        boolean et = (p.events & EPOLLET) != 0;
        int mask = p.poll() & p.events;
        if (mask != 0 && et && p.oneshot()) {
            // __io_arm_poll_handler: EPOLLET|EPOLLONESHOT and the events are there -> complete inline
            p.release();
            ctx.setRes(req, mask, 0);
            return OpDef.COMPLETE;
        }
        boolean postNow = mask != 0 && et;
        if (postNow) {
            // __io_arm_poll_handler: a multishot poll whose events are there -> task work posts them now; epoll
            // reports the same readiness when the watch is added, which is not a new wakeup (a ring's poll_wq does
            // not)
            p.skipFirst = p.ring == null;
            p.wakeMask = mask;
            p.refs.set(1);
        }
        if (p.ring != null) {
            // io_uring_poll: the poll waits on the ring's poll_wq, woken at its commits
            p.ringWatch = p.ring.ringLocal(RingPollWq.class, RingPollWq::new).watch(p.ring,
                    events -> wake(readiness, req, ctx, p, events));
            return waits(readiness, req, ctx, p, postNow);
        }
        int[] error = new int[1];
        Readiness.Watch w = readiness.watch(p.file, watchEvents(p.events), p.oneshot() && !exclusive(p.events),
                events -> wake(readiness, req, ctx, p, events), error);
        if (w == null) {
            p.release();
            // __io_arm_poll_handler: a file without a wait queue (epoll refuses it) -> the events it has, for an
            // edge-triggered poll, else -EINVAL
            if (error[0] != -EPERM) {
                return error[0];
            }
            if (mask != 0 && et) {
                ctx.setRes(req, mask, 0);
                return OpDef.COMPLETE;
            }
            return -EINVAL;
        }
        p.watch = w;
        return waits(readiness, req, ctx, p, postNow);
    }

    /** The poll waits: its ring and cancellation find it ({@code io_poll_add_hash}). */
    private static int waits(Readiness readiness, Req req, IssueContext ctx, PollReq p, boolean postNow) {
        p.keylessWake = () -> keylessWake(readiness, req, ctx, p);
        ctx.ringLocal(Live.class, Live::new).add(p);
        // io_poll_add_hash: cancellation finds it from now on
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        // the entry names the request's own reference to its file, as req->file does for IORING_ASYNC_CANCEL_FD
        inflight.add(new Inflight.Entry(req, Inflight.Kind.POLL, p.file, false,
                () -> cancelReq(readiness, req, ctx, p)));
        if (postNow) {
            ctx.taskWork(req, (r, c) -> taskFunc(readiness, r, c, p));
        }
        return OpDef.SKIP_COMPLETE;
    }

    private static boolean exclusive(int events) {
        return (events & EPOLLEXCLUSIVE) != 0;
    }

    /**
     * What the epoll watch asks for: the poll's events, edge-triggered. epoll takes EPOLLEXCLUSIVE only with
     * EPOLLIN, EPOLLOUT, EPOLLERR and EPOLLHUP and without EPOLLONESHOT (the request's own ownership count makes it
     * one-shot), so an exclusive poll waits for those alone; the others are still reported when it wakes.
     */
    static int watchEvents(int events) {
        if (exclusive(events)) {
            return (events & (POLLIN | POLLOUT | POLLERR | POLLHUP)) | EPOLLEXCLUSIVE | EPOLLET;
        }
        return (events & POLL_BITS) | EPOLLET;
    }

    /**
     * {@code io_poll_wake}, on the poll thread: the first wakeup since the task last looked queues task work. A ring's
     * signal of the eventfd polled since the last wakeup carries EPOLL_URING_WAKE in the key (io_uring/eventfd.c
     * {@code eventfd_signal_mask}); a wakeup that takes the request with it makes the poll one-shot, as the CQE it
     * would post signals the eventfd again (6.18.44: a multishot POLL_ADD of the ring's own eventfd ends with one CQE
     * without IORING_CQE_F_MORE at the first commit after it; the world's outside writes and the epoll that stands
     * for the wait queue merge wakeups, so one that came with such a signal counts as the ring's).
     */
    private static void wake(Readiness readiness, Req req, IssueContext ctx, PollReq p, int events) {
        if (p.skipFirst) {
            p.skipFirst = false;
            return;
        }
        long signals = Wakeups.uringSignals(p.eventfdId);
        boolean uringWake = signals > p.uringSeen;
        p.uringSeen = signals;
        if (p.refs.getAndIncrement() == 0) {
            // io_poll_wake: EPOLL_URING_WAKE -> poll->events and req->apoll_events get EPOLLONESHOT
            if (uringWake) {
                p.events |= EPOLLONESHOT;
            }
            // an exclusive watch saw only some of the events: the task looks at the file again
            p.wakeMask = exclusive(p.events) ? 0 : events;
            ctx.taskWorkFromOtherThread(req, (r, c) -> taskFunc(readiness, r, c, p));
        }
    }

    /**
     * A wakeup of {@code fd}'s wait queue without a key, which the ring's polls of that file take whatever events they
     * wait for: a TCP socket whose connection is made ({@code tcp_rcv_synsent_state_process}, net/ipv4/tcp_input.c)
     * calls its {@code sk_state_change}, {@code sock_def_wakeup} (net/core/sock.c), which wakes its waiters with
     * {@code wake_up_interruptible_all} and no key, and {@code io_poll_wake} filters only a wakeup that has a mask.
     * Epoll reports such a wakeup only with events its watch wants, so the emulator's CONNECT says it here
     * ({@link NetSockets#connect}). A poll whose task work is queued already counts a second wakeup, and
     * {@code io_poll_check_events} then drops the mask stashed with the first and polls the file again (6.18.44: a
     * multishot POLLIN poll of an unconnected TCP socket on a DEFER_TASKRUN ring finds POLLHUP when armed; a CONNECT
     * of the socket before the task runs the poll's task work, and the poll posts nothing).
     */
    static void stateChange(IssueContext ctx, int fd) {
        for (PollReq p : ctx.ringLocal(Live.class, Live::new).polls) {
            Runnable wake = p.keylessWake;
            if (!p.done && p.ring == null && wake != null && Cancel.sameOpenFile(p.file, fd)) {
                wake.run();
            }
        }
    }

    /** {@code io_poll_wake} with no key: the first wakeup since the task last looked queues task work. */
    private static void keylessWake(Readiness readiness, Req req, IssueContext ctx, PollReq p) {
        if (p.refs.getAndIncrement() == 0) {
            // __io_poll_execute(req, 0): no events stashed, the task work polls the file
            p.wakeMask = 0;
            ctx.taskWorkFromOtherThread(req, (r, c) -> taskFunc(readiness, r, c, p));
        }
    }

    /** {@code io_poll_cancel_req}: mark it cancelled and kick its task work, which completes it. */
    private static int cancelReq(Readiness readiness, Req req, IssueContext ctx, PollReq p) {
        if (p.done) {
            return -ENOENT;
        }
        p.cancelled = true;
        if (p.refs.getAndIncrement() == 0) {
            ctx.taskWorkFromOtherThread(req, (r, c) -> taskFunc(readiness, r, c, p));
        }
        return 0;
    }

    /**
     * {@code io_poll_task_func} for POLL_ADD, on the ring's task. It owns the request (its count of wakeups is
     * not zero) and never gives that up once the request is over, so no later wakeup queues task work for it.
     */
    private static int taskFunc(Readiness readiness, Req req, IssueContext ctx, PollReq p) {
        if (p.done) {
            return OpDef.SKIP_COMPLETE;
        }
        int ret = checkEvents(readiness, ctx, req, p);
        if (ret == NO_ACTION) {
            return OpDef.SKIP_COMPLETE;
        }
        if (ret == OpDef.SKIP_COMPLETE) {
            // IOU_POLL_REISSUE: a one-shot woken with nothing to report arms again (io_req_task_submit)
            p.unwatch();
            ctx.ringLocal(Inflight.class, Inflight::new).remove(req);
            return armPollHandler(readiness, req, ctx, p);
        }
        finish(ctx, req, p);
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /**
     * {@code io_poll_check_events}: the events to complete with (mangled), -ECANCELED, {@link #NO_ACTION} (a
     * multishot posted its CQE, or a spurious wakeup), or {@link OpDef#SKIP_COMPLETE} for a one-shot to arm again.
     */
    private static int checkEvents(Readiness readiness, IssueContext ctx, Req req, PollReq p) {
        int v;
        do {
            v = p.refs.get();
            // io_poll_check_events: cancelled, or the task work runs after its task's exit (io_should_terminate_tw)
            if (p.cancelled || p.exits.exited(req.task())) {
                return -ECANCELED;
            }
            // io_poll_check_events: several wakeups -> their masks are lost; look at the file again
            int res = v == 1 ? p.wakeMask & p.events : 0;
            if (res == 0) {
                res = p.poll() & p.events;
                if (res == 0) {
                    if (p.oneshot()) {
                        return OpDef.SKIP_COMPLETE;
                    }
                    continue;
                }
            }
            int mask = res & POLL_BITS;
            if (p.oneshot()) {
                return mask;
            }
            // multishot: a CQE with F_MORE; no room in the CQ ends the poll with these events
            // (IOU_POLL_REMOVE_POLL_USE_RES)
            if (!ctx.postCqe(req, mask, IORING_CQE_F_MORE)) {
                return mask;
            }
        } while (p.refs.addAndGet(-v) != 0);
        return NO_ACTION;
    }

    /** {@code io_poll_remove_entries} and {@code hash_del}: the request no longer waits. */
    private static void finish(IssueContext ctx, Req req, PollReq p) {
        p.done = true;
        p.unwatch();
        p.release();
        ctx.ringLocal(Live.class, Live::new).remove(p);
        ctx.ringLocal(Inflight.class, Inflight::new).remove(req);
    }

    /** A ring's waiting polls: their watches and file references go with the ring ({@code io_poll_remove_all}). */
    static final class Live implements AutoCloseable {
        private final Set<PollReq> polls = ConcurrentHashMap.newKeySet();

        void add(PollReq p) {
            polls.add(p);
        }

        void remove(PollReq p) {
            polls.remove(p);
        }

        @Override
        public void close() {
            for (PollReq p : polls) {
                p.done = true;
                p.unwatch();
                p.release();
            }
            polls.clear();
        }
    }

    /** {@code struct io_poll_update}. */
    record Update(long oldUserData, long newUserData, boolean updateEvents, boolean updateUserData, int events) {
    }

    /** {@code io_poll_remove_prep}. */
    static int removePrep(Req req, IssueContext ctx) {
        // io_poll_remove_prep: buf_index or splice_fd_in set -> -EINVAL
        if (req.bufIndex() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int flags = req.len();
        // io_poll_remove_prep: flags other than the update ones and MULTI -> -EINVAL
        if ((flags & ~(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA | IORING_POLL_ADD_MULTI)) != 0) {
            return -EINVAL;
        }
        // io_poll_remove_prep: MULTI alone is meaningless without an update -> -EINVAL
        if (flags == IORING_POLL_ADD_MULTI) {
            return -EINVAL;
        }
        boolean updateEvents = (flags & IORING_POLL_UPDATE_EVENTS) != 0;
        boolean updateUserData = (flags & IORING_POLL_UPDATE_USER_DATA) != 0;
        // io_poll_remove_prep: a new user_data without IORING_POLL_UPDATE_USER_DATA -> -EINVAL
        if (!updateUserData && req.off() != 0) {
            return -EINVAL;
        }
        int events = 0;
        if (updateEvents) {
            events = parseEvents(req.opFlags(), flags);
        } else if (req.opFlags() != 0) {
            // io_poll_remove_prep: events without IORING_POLL_UPDATE_EVENTS -> -EINVAL
            return -EINVAL;
        }
        req.opState(new Update(req.addr(), req.off(), updateEvents, updateUserData, events));
        return 0;
    }

    /** {@code io_poll_remove}: find the POLL_ADD by user_data, disarm it, then update and re-arm or cancel it. */
    static int remove(Readiness readiness, Req req, IssueContext ctx) {
        Update upd = (Update) req.opState();
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        // io_poll_find(poll_only): a POLL_ADD with that user_data, the newest first (a hash bucket's order)
        List<Inflight.Entry> found = inflight.find(Inflight.Kind.POLL,
                e -> e.req().opcode() == IORING_OP_POLL_ADD && e.req().userData() == upd.oldUserData());
        if (found.isEmpty()) {
            return -ENOENT;
        }
        Req preq = found.getLast().req();
        PollReq p = (PollReq) preq.opState();
        // io_poll_disarm: a poll whose task work is pending is not ours to take -> -EALREADY
        if (!p.refs.compareAndSet(0, 1)) {
            return -EALREADY;
        }
        p.unwatch();
        inflight.remove(preq);
        int res = -ECANCELED;
        if (upd.updateEvents() || upd.updateUserData()) {
            if (upd.updateEvents()) {
                // io_poll_remove: only the event bits change; the behaviour bits stay
                p.events = (p.events & ~0xffff) | (upd.events() & 0xffff) | IO_POLL_UNMASK;
            }
            if (upd.updateUserData()) {
                ctx.setUserData(preq, upd.newUserData());
            }
            int ret2 = armPollHandler(readiness, preq, ctx, p);
            if (ret2 == OpDef.SKIP_COMPLETE) {
                // updated: the poll waits on
                ctx.setRes(req, 0, 0);
                return OpDef.COMPLETE;
            }
            // completed as part of the update: with the events armPollHandler set; an error cancels it
            res = ret2 == OpDef.COMPLETE ? OpDef.COMPLETE : -ECANCELED;
        }
        finish(ctx, preq, p);
        // io_poll_remove: the poll completes through task work, failed when its result is an error
        int preqRes = res;
        ctx.taskWork(preq, (r, c) -> preqRes);
        ctx.setRes(req, 0, 0);
        return OpDef.COMPLETE;
    }

}
