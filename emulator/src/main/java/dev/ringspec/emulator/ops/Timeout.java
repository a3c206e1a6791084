package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_LINK_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ABS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_BOOTTIME;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_CLOCK_MASK;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ETIME_SUCCESS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_IMMEDIATE_ARG;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_REALTIME;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_UPDATE_MASK;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.emulator.VirtualClock;
import dev.ringspec.emulator.ops.TimeoutList.Data;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.LinkedTimeout;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * io_uring/timeout.c: IORING_OP_TIMEOUT (relative or absolute on CLOCK_MONOTONIC, BOOTTIME or REALTIME; count-based
 * with {@code off}; multishot with a repeat count; ETIME_SUCCESS), IORING_OP_TIMEOUT_REMOVE with its updates of
 * timeouts and linked timeouts, and IORING_OP_LINK_TIMEOUT, whose chain side is the model's ({@link LinkedTimeout}).
 * Timers run on the emulator's clock ({@link EmulatorServices#timers}), so on a {@link VirtualClock} a timeout fires
 * exactly when the test advances the clock past it. A timeout waits in the ring's {@link Inflight} as
 * {@link Inflight.Kind#TIMEOUT}, where ASYNC_CANCEL finds it; a linked timeout does not (as in the kernel, only
 * {@code timeout_list} is searched by cancellation).
 *
 * <p>Where the kernels differ (read in 6.1.192, 6.12.117, 7.1.8, 7.2.13, 7.3-rc7; 6.18 measured on 6.18.44): see
 * {@link #multishotFlag}, {@link #immediateArg} and {@link #sequenceFixes}.
 */
public final class Timeout {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** {@code KTIME_SEC_MAX}: {@code timespec64_to_ktime} saturates seconds from here on. */
    private static final long KTIME_SEC_MAX = Long.MAX_VALUE / NANOS_PER_SECOND;
    /** Where the SQE's {@code addr3} and {@code __pad2[0]} sit. */
    private static final int ADDR3_OFFSET = 48;
    private static final int PAD2_OFFSET = 56;

    private final EmulatorServices services;

    private Timeout(EmulatorServices services) {
        this.services = services;
    }

    /** The opcodes of io_uring/timeout.c. */
    public static List<EmuOp> ops(EmulatorServices services) {
        Timeout t = new Timeout(services);
        return List.of(
                // a forced-async TIMEOUT starts its timer on io-wq's worker (io_wq_submit_work -> io_timeout), when
                // the worker runs: its deadline and its target sequence count from then
                new EmuOp(new OpDef(IORING_OP_TIMEOUT, "TIMEOUT", 0, (req, ctx) -> t.timeoutPrep(req, ctx, false),
                        t::timeout), new EmuOp.WorkersTry(t::timeout)),
                EmuOp.of(new OpDef(IORING_OP_TIMEOUT_REMOVE, "TIMEOUT_REMOVE", 0, t::timeoutRemovePrep,
                        t::timeoutRemove)),
                EmuOp.of(new OpDef(IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT", 0,
                        (req, ctx) -> t.timeoutPrep(req, ctx, true), Timeout::noIssue)));
    }

    /** IORING_TIMEOUT_MULTISHOT exists (6.4 on; 6.1.192's prep refuses it). */
    static boolean multishotFlag(KernelProfile p) {
        return version(p) >= 604;
    }

    /**
     * IORING_TIMEOUT_IMMEDIATE_ARG exists ({@code io_parse_user_time}: the time is {@code addr} itself, in
     * nanoseconds): read in 7.1.8 on; refused by 6.18.44 (measured), 6.19 and 7.0 not read.
     */
    static boolean immediateArg(KernelProfile p) {
        return version(p) >= 701;
    }

    /**
     * The stable fixes of 6.12.117, absent from 7.1.8 to 7.3-rc7's sources and from 6.18.44 (measured: a cancelled
     * timeout's CQE counts as an event there, {@code aRemovedTimeoutsCancellationCqeCountsAsAnEvent}):
     * {@code io_timeout_extract} counts a cancelled timeout in {@code cq_timeouts}; {@code io_flush_timeouts} and
     * {@code io_timeout} never count back behind {@code cq_last_tm_flush}; {@code io_timeout_update} keeps a
     * multishot timeout's repeats and refuses an absolute time for it (-EINVAL); a positive {@code io_try_cancel}
     * result of a linked timeout is 0. (6.1.192 has the first clamp only; not modelled.)
     */
    static boolean sequenceFixes(KernelProfile p) {
        return version(p) == 612;
    }

    /** {@code major * 100 + minor} of the profile's release. */
    private static int version(KernelProfile p) {
        String[] parts = p.version().split("\\.");
        return Integer.parseInt(parts[0]) * 100 + Integer.parseInt(parts[1]);
    }

    private static TimeoutList list(IssueContext ctx) {
        return ctx.ringLocal(TimeoutList.class, TimeoutList::new);
    }

    private static Inflight inflight(IssueContext ctx) {
        return ctx.ringLocal(Inflight.class, Inflight::new);
    }

    /** {@code io_no_issue}: a LINK_TIMEOUT is never issued (it leaves its chain first). */
    private static int noIssue(Req req, IssueContext ctx) {
        throw new IllegalStateException("a LINK_TIMEOUT is never issued: " + req);
    }

    // ---- prep -------------------------------------------------------------------------------------------------

    /** {@code __io_timeout_prep}: the checks in the kernel's order. */
    private int timeoutPrep(Req req, IssueContext ctx, boolean isTimeoutLink) {
        KernelProfile p = ctx.profile();
        // __io_timeout_prep: addr3 or __pad2[0] -> -EINVAL
        if (ctx.sqeLong(ADDR3_OFFSET) != 0 || ctx.sqeLong(PAD2_OFFSET) != 0) {
            return -EINVAL;
        }
        // __io_timeout_prep: buf_index, len other than 1, splice_fd_in -> -EINVAL
        if (req.bufIndex() != 0 || req.len() != 1 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int off = (int) req.off();
        // __io_timeout_prep: a linked timeout counts no CQEs -> -EINVAL
        if (off != 0 && isTimeoutLink) {
            return -EINVAL;
        }
        int flags = req.opFlags();
        int valid = IORING_TIMEOUT_ABS | IORING_TIMEOUT_CLOCK_MASK | IORING_TIMEOUT_ETIME_SUCCESS
                | (multishotFlag(p) ? IORING_TIMEOUT_MULTISHOT : 0) | (immediateArg(p) ? IORING_TIMEOUT_IMMEDIATE_ARG : 0);
        // __io_timeout_prep: unknown flags -> -EINVAL
        if ((flags & ~valid) != 0) {
            return -EINVAL;
        }
        // __io_timeout_prep: more than one clock -> -EINVAL
        if (Integer.bitCount(flags & IORING_TIMEOUT_CLOCK_MASK) > 1) {
            return -EINVAL;
        }
        // __io_timeout_prep: a multishot timeout is relative -> -EINVAL
        if ((flags & (IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS))
                == (IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS)) {
            return -EINVAL;
        }
        TimeoutList list = list(ctx);
        Data data = isTimeoutLink ? new Linked(req, flags, ctx) : new Data(req, flags);
        data.off = off;
        if (off != 0 && !list.offTimeoutUsed) {
            list.offTimeoutUsed = true;
            list.hookOnce(ctx, () -> flushTimeouts(ctx));
        }
        // __io_timeout_prep: a multishot timeout with a count repeats that often
        data.repeats = (flags & IORING_TIMEOUT_MULTISHOT) != 0 ? off : 0;
        long time = parseUserTime(ctx, req.addr(), flags);
        if (time < 0) {
            return (int) time;
        }
        data.timeNanos = time;
        data.abs = (flags & IORING_TIMEOUT_ABS) != 0;
        req.opState(data);
        if (isTimeoutLink) {
            Req last = ctx.linkLast();
            // __io_timeout_prep: a linked timeout needs a request before it, and not another linked timeout
            if (last == null || last.opcode() == IORING_OP_LINK_TIMEOUT) {
                return -EINVAL;
            }
            ((Linked) data).head = last;
            ctx.armLinkedTimeout(last, req);
        }
        return 0;
    }

    /**
     * {@code io_parse_user_time}: nanoseconds (0 or more), or -EFAULT for an unreadable timespec, -EINVAL for a
     * negative one.
     */
    private static long parseUserTime(IssueContext ctx, long arg, int flags) {
        if ((flags & IORING_TIMEOUT_IMMEDIATE_ARG) != 0) {
            return arg < 0 ? -EINVAL : arg;
        }
        MemorySegment ts = ctx.userMemory(arg, 16);
        if (ts == null) {
            return -EFAULT;
        }
        long sec = ts.get(JAVA_LONG_UNALIGNED, 0);
        long nsec = ts.get(JAVA_LONG_UNALIGNED, 8);
        if (sec < 0 || nsec < 0) {
            return -EINVAL;
        }
        // timespec64_to_ktime: saturates at KTIME_MAX
        if (sec >= KTIME_SEC_MAX) {
            return Long.MAX_VALUE;
        }
        long ns = sec * NANOS_PER_SECOND + nsec;
        return ns < 0 ? Long.MAX_VALUE : ns;
    }

    /** {@code io_timeout_remove_prep}. */
    private int timeoutRemovePrep(Req req, IssueContext ctx) {
        // io_timeout_remove_prep: a fixed file -> -EINVAL
        if ((req.flags() & IOSQE_FIXED_FILE) != 0) {
            return -EINVAL;
        }
        // io_timeout_remove_prep: addr3 or __pad2[0] -> -EINVAL
        if (ctx.sqeLong(ADDR3_OFFSET) != 0 || ctx.sqeLong(PAD2_OFFSET) != 0) {
            return -EINVAL;
        }
        // io_timeout_remove_prep: buf_index, len, splice_fd_in -> -EINVAL
        if (req.bufIndex() != 0 || req.len() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int flags = req.opFlags();
        Remove r = new Remove(flags);
        if ((flags & IORING_TIMEOUT_UPDATE_MASK) != 0) {
            // io_timeout_remove_prep: more than one clock -> -EINVAL
            if (Integer.bitCount(flags & IORING_TIMEOUT_CLOCK_MASK) > 1) {
                return -EINVAL;
            }
            int valid = IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS
                    | (immediateArg(ctx.profile()) ? IORING_TIMEOUT_IMMEDIATE_ARG : 0);
            // io_timeout_remove_prep: flags beyond the update's (a clock among them) -> -EINVAL
            if ((flags & ~valid) != 0) {
                return -EINVAL;
            }
            long time = parseUserTime(ctx, req.off(), flags);
            if (time < 0) {
                return (int) time;
            }
            r.timeNanos = time;
        } else if (flags != 0) {
            // io_timeout_remove_prep: a removal takes no flags -> -EINVAL
            return -EINVAL;
        }
        req.opState(r);
        return 0;
    }

    /** What TIMEOUT_REMOVE's prep read ({@code struct io_timeout_rem}). */
    private static final class Remove {
        final int flags;
        long timeNanos;

        Remove(int flags) {
            this.flags = flags;
        }
    }

    // ---- TIMEOUT ----------------------------------------------------------------------------------------------

    /** {@code io_is_timeout_noseq}: a pure timeout, or a multishot one (whose {@code off} is its repeat count). */
    private static boolean noseq(Data d) {
        return d.off == 0 || d.has(IORING_TIMEOUT_MULTISHOT);
    }

    /** {@code io_timeout}: into the ring's list (sorted by target for a count-based one), and the timer starts. */
    private int timeout(Req req, IssueContext ctx) {
        Data data = (Data) req.opState();
        TimeoutList list = list(ctx);
        inflight(ctx).add(new Inflight.Entry(req, Inflight.Kind.TIMEOUT, -1, false,
                () -> timeoutCancel(ctx, data.req.userData(), false)));
        synchronized (list) {
            if (noseq(data)) {
                list.addTail(data);
            } else {
                insertBySequence(ctx, list, data);
            }
            start(ctx, list, data, data.timeNanos, data.abs);
        }
        return OpDef.SKIP_COMPLETE;
    }

    /** {@code io_timeout}, a count-based timeout: its target, and the insertion sort of {@code timeout_list}. */
    private static void insertBySequence(IssueContext ctx, TimeoutList list, Data data) {
        int tail = ctx.cachedCqTail() - ctx.cqTimeouts();
        int base;
        if (sequenceFixes(ctx.profile())) {
            // io_timeout (6.12.117): the last flush moves only while no count-based timeout waits, and the
            // sequence never counts from behind it
            Data first = list.timeouts.isEmpty() ? null : list.timeouts.getFirst();
            if (first == null || noseq(first)) {
                list.lastFlush = tail;
            }
            base = list.lastFlush;
            if (tail - base < 0) {
                tail = base;
            }
        } else {
            list.lastFlush = tail;
            base = tail;
        }
        data.targetSeq = tail + data.off;
        int at = 0;
        for (int i = list.timeouts.size() - 1; i >= 0; i--) {
            Data next = list.timeouts.get(i);
            if (noseq(next)) {
                continue;
            }
            if (Integer.compareUnsigned(data.targetSeq - base, next.targetSeq - base) >= 0) {
                at = i + 1;
                break;
            }
        }
        list.add(at, data);
    }

    /** {@code hrtimer_start} on the emulator's clock; the timer calls {@code io_timeout_fn}. */
    private void start(IssueContext ctx, TimeoutList list, Data d, long timeNanos, boolean abs) {
        long deadline = deadline(d.flags, timeNanos, abs);
        d.timer = services.timers().at(deadline, () -> timeoutFn(ctx, list, d));
    }

    /** The emulator clock's time at which a timer of {@code timeNanos} started now expires. */
    private long deadline(int flags, long timeNanos, boolean abs) {
        long now = services.clock().nanoTime();
        if (!abs) {
            long at = now + timeNanos;
            return at < now ? Long.MAX_VALUE : at;
        }
        if (services.clock() instanceof VirtualClock) {
            // a virtual clock is every clock: absolute times are on it
            return timeNanos;
        }
        int clockId = (flags & IORING_TIMEOUT_BOOTTIME) != 0 ? Linux.CLOCK_BOOTTIME
                : (flags & IORING_TIMEOUT_REALTIME) != 0 ? Linux.CLOCK_REALTIME : Linux.CLOCK_MONOTONIC;
        long left = timeNanos - Linux.clockGettimeNanos(clockId);
        long at = now + left;
        return left > 0 && at < now ? Long.MAX_VALUE : at;
    }

    /**
     * {@code io_timeout_fn}, on the timer thread: out of the list, counted, then completed as task work. The count is
     * published once the completion is on the ring's list (or by the completion, should it run first), never before:
     * the kernel's hrtimer callback does both in one go with interrupts off, while this thread can be preempted
     * between them (or its delivery delayed), and a wait that saw the count move before the work was queued ended
     * with neither the CQE nor the work that posts it (a hosted 200 us TIMEOUT's enter came back with an empty CQ).
     * Queued first, the work runs in that wait's loop or on its return to user space ({@code leave}).
     */
    private void timeoutFn(IssueContext ctx, TimeoutList list, Data d) {
        synchronized (list) {
            list.unlist(d);
        }
        AtomicBoolean counted = new AtomicBoolean();
        services.deliver(ctx, d.req, (r, c) -> {
            countOnce(c, list, counted);
            return timeoutComplete(c, list, d);
        }, () -> countOnce(ctx, list, counted));
    }

    /** {@code cq_timeouts} counts a firing once, whoever comes first: the timer thread or the completion. */
    private static void countOnce(IssueContext ctx, TimeoutList list, AtomicBoolean counted) {
        synchronized (list) {
            if (counted.compareAndSet(false, true)) {
                ctx.countCqTimeout();
            }
        }
    }

    /** {@code io_timeout_complete}: a multishot timeout posts -ETIME with F_MORE and starts again; else -ETIME. */
    private int timeoutComplete(IssueContext ctx, TimeoutList list, Data d) {
        // io_timeout_fn: -ETIME is a failure unless IORING_TIMEOUT_ETIME_SUCCESS
        if (!d.has(IORING_TIMEOUT_ETIME_SUCCESS)) {
            ctx.reqSetFail(d.req);
        }
        if (!timeoutFinish(d) && ctx.postCqe(d.req, -ETIME, IORING_CQE_F_MORE)) {
            synchronized (list) {
                list.addTail(d);
                start(ctx, list, d, d.timeNanos, d.abs);
            }
            return OpDef.SKIP_COMPLETE;
        }
        inflight(ctx).remove(d.req);
        ctx.setRes(d.req, -ETIME, 0);
        return OpDef.COMPLETE;
    }

    /** {@code io_timeout_finish}: whether this expiry is the request's last. */
    private static boolean timeoutFinish(Data d) {
        if (!d.has(IORING_TIMEOUT_MULTISHOT)) {
            return true;
        }
        return d.off != 0 && (d.repeats == 0 || --d.repeats == 0);
    }

    /**
     * {@code io_flush_timeouts}, after each commit of the CQ tail once a count-based timeout was prepared: those
     * whose count of CQEs (timeouts' own not counted) is reached complete with 0, in target order.
     */
    private void flushTimeouts(IssueContext ctx) {
        TimeoutList list = list(ctx);
        List<Data> killed = new ArrayList<>();
        synchronized (list) {
            int seq = ctx.cachedCqTail() - ctx.cqTimeouts();
            // io_flush_timeouts (6.12.117): a fired timeout counted before its CQE leaves seq behind the last flush
            if (sequenceFixes(ctx.profile()) && seq - list.lastFlush < 0) {
                seq = list.lastFlush;
            }
            for (Data d : List.copyOf(list.timeouts)) {
                if (noseq(d)) {
                    break;
                }
                int needed = d.targetSeq - list.lastFlush;
                int got = seq - list.lastFlush;
                if (Integer.compareUnsigned(got, needed) < 0) {
                    break;
                }
                // io_kill_timeout: only a timer that has not started firing
                if (d.timer.cancel()) {
                    ctx.countCqTimeout();
                    list.unlist(d);
                    killed.add(d);
                }
            }
            list.lastFlush = seq;
        }
        for (Data d : killed) {
            // io_flush_killed_timeouts: io_req_queue_tw_complete(req, 0)
            ctx.taskWork(d.req, (r, c) -> {
                inflight(c).remove(r);
                c.setRes(r, 0, 0);
                return OpDef.COMPLETE;
            });
        }
    }

    /**
     * {@code io_timeout_extract}: the listed timeout with {@code userData}, its timer stopped and out of the list;
     * null with {@code result[0]} -ENOENT (none) or -EALREADY (its timer is firing).
     */
    private static Data extract(IssueContext ctx, TimeoutList list, long userData, int[] result) {
        Data d = list.find(userData);
        if (d == null) {
            result[0] = -ENOENT;
            return null;
        }
        if (!d.timer.cancel()) {
            result[0] = -EALREADY;
            return null;
        }
        list.unlist(d);
        // io_timeout_extract (6.12.117): a cancelled timeout's CQE is a timeout's, not an event
        if (sequenceFixes(ctx.profile())) {
            ctx.countCqTimeout();
        }
        result[0] = 0;
        return d;
    }

    /**
     * {@code io_timeout_cancel}: 0 (the timeout then fails with -ECANCELED through task work, queued as from the
     * ring's task or, for an {@link Inflight.Canceler}, from any thread), or -errno.
     */
    private static int timeoutCancel(IssueContext ctx, long userData, boolean onRingTask) {
        TimeoutList list = list(ctx);
        int[] result = new int[1];
        Data d;
        synchronized (list) {
            d = extract(ctx, list, userData, result);
        }
        if (d != null) {
            // io_req_task_queue_fail(req, -ECANCELED)
            OpDef.Issue fail = (r, c) -> {
                inflight(c).remove(r);
                return -ECANCELED;
            };
            if (onRingTask) {
                ctx.taskWork(d.req, fail);
            } else {
                ctx.taskWorkFromOtherThread(d.req, fail);
            }
        }
        return result[0];
    }

    // ---- TIMEOUT_REMOVE ---------------------------------------------------------------------------------------

    /** {@code io_timeout_remove}: remove (-ECANCELED for the timeout) or update a timeout or a linked one. */
    private int timeoutRemove(Req req, IssueContext ctx) {
        Remove r = (Remove) req.opState();
        int ret;
        if ((r.flags & IORING_TIMEOUT_UPDATE) == 0) {
            ret = timeoutCancel(ctx, req.addr(), true);
        } else {
            boolean abs = (r.flags & IORING_TIMEOUT_ABS) != 0;
            TimeoutList list = list(ctx);
            synchronized (list) {
                ret = (r.flags & IORING_LINK_TIMEOUT_UPDATE) != 0
                        ? linkedTimeoutUpdate(ctx, list, req.addr(), r.timeNanos, abs)
                        : timeoutUpdate(ctx, list, req.addr(), r.timeNanos, abs);
            }
        }
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** {@code io_timeout_update}: the timeout starts again with the new time, as a pure timeout. */
    private int timeoutUpdate(IssueContext ctx, TimeoutList list, long userData, long timeNanos, boolean abs) {
        boolean fixes = sequenceFixes(ctx.profile());
        if (fixes) {
            Data found = list.find(userData);
            if (found == null) {
                return -ENOENT;
            }
            // io_timeout_update (6.12.117): a multishot timeout stays relative -> -EINVAL
            if (found.has(IORING_TIMEOUT_MULTISHOT) && abs) {
                return -EINVAL;
            }
        }
        int[] result = new int[1];
        Data d = extract(ctx, list, userData, result);
        if (d == null) {
            return result[0];
        }
        // io_timeout_update: noseq from now on (6.12.117: a multishot one keeps its repeat count)
        if (!fixes || !d.has(IORING_TIMEOUT_MULTISHOT)) {
            d.off = 0;
        }
        d.timeNanos = timeNanos;
        list.addTail(d);
        start(ctx, list, d, timeNanos, abs);
        return 0;
    }

    /** {@code io_linked_timeout_update}: a linked timeout's timer starts again with the new time. */
    private int linkedTimeoutUpdate(IssueContext ctx, TimeoutList list, long userData, long timeNanos, boolean abs) {
        Data found = list.findLinked(userData);
        if (found == null) {
            return -ENOENT;
        }
        Linked d = (Linked) found;
        if (!d.timer.cancel()) {
            return -EALREADY;
        }
        long deadline = deadline(d.flags, timeNanos, abs);
        d.timer = services.timers().at(deadline, () -> linkTimeoutFn(ctx, list, d));
        return 0;
    }

    // ---- LINK_TIMEOUT -----------------------------------------------------------------------------------------

    /** A LINK_TIMEOUT: its {@code timeout->head} and {@code timeout->prev}; the model drives it. */
    private final class Linked extends Data implements LinkedTimeout {
        /** {@code timeout->head}: the request it guards, until either side claims the timeout. */
        Req head;
        /** {@code timeout->prev}: the request the fired timer claimed, for the task work to cancel. */
        Req prev;
        /** The request completed after the timer claimed the timeout: the task work must not touch it. */
        boolean prevGone;
        private final IssueContext ring;

        Linked(Req req, int flags, IssueContext ring) {
            super(req, flags);
            this.ring = ring;
        }

        @Override
        public void queue(Req timeout, IssueContext ctx) {
            TimeoutList list = list(ctx);
            synchronized (list) {
                // io_queue_linked_timeout: unless the request already completed
                if (head != null) {
                    long deadline = deadline(flags, timeNanos, abs);
                    timer = services.timers().at(deadline, () -> linkTimeoutFn(ctx, list, this));
                    list.linkTimeouts.add(this);
                }
            }
        }

        @Override
        public boolean disarm() {
            return disarmLinked(list(ring), this);
        }
    }

    private static boolean disarmLinked(TimeoutList list, Linked d) {
        synchronized (list) {
            // __io_disarm_linked_timeout: the timer already claimed it and completes it
            if (d.head == null) {
                d.prevGone = true;
                return false;
            }
            d.head = null;
            if (d.timer != null && d.timer.cancel()) {
                list.linkTimeouts.remove(d);
                return true;
            }
            return false;
        }
    }

    /** {@code io_link_timeout_fn}, on the timer thread: claim the guarded request, then task work. */
    private void linkTimeoutFn(IssueContext ctx, TimeoutList list, Linked d) {
        synchronized (list) {
            d.prev = d.head;
            d.head = null;
            list.linkTimeouts.remove(d);
        }
        services.deliver(ctx, d.req, (r, c) -> linkTimeoutTask(c, list, d));
    }

    /**
     * {@code io_req_task_link_timeout}: out of the chain, the guarded request cancelled ({@code io_try_cancel}),
     * and the timeout's own CQE: -ETIME when the cancel succeeded or nothing was left to cancel, else its error.
     */
    private static int linkTimeoutTask(IssueContext ctx, TimeoutList list, Linked d) {
        Req prev;
        boolean gone;
        synchronized (list) {
            prev = d.prev;
            gone = d.prevGone;
            d.prev = null;
        }
        int res = -ETIME;
        if (prev != null && gone) {
            // the request completed after the timer claimed the timeout: io_try_cancel finds nothing
            res = -ENOENT;
        } else if (prev != null) {
            ctx.spliceLinkedTimeout(prev, d.req);
            int ret = tryCancel(ctx, prev.userData());
            if (ret > 0 && sequenceFixes(ctx.profile())) {
                ret = 0;
            }
            res = ret == 0 ? -ETIME : ret;
        }
        ctx.setRes(d.req, res, 0);
        return OpDef.COMPLETE;
    }

    /**
     * {@code io_try_cancel} by user_data, in its order: io-wq (0 ends the search; -EALREADY goes on), polls (the
     * newest first), then timeouts; -ENOENT when nothing matched.
     */
    static int tryCancel(IssueContext ctx, long userData) {
        Inflight inflight = inflight(ctx);
        List<Inflight.Entry> work = inflight.find(Inflight.Kind.IO_WQ, e -> e.req().userData() == userData);
        if (!work.isEmpty() && work.getFirst().canceler().cancel() == 0) {
            return 0;
        }
        List<Inflight.Entry> polls = inflight.find(Inflight.Kind.POLL, e -> e.req().userData() == userData);
        if (!polls.isEmpty()) {
            // io_poll_cancel -> io_poll_find: the first in the user_data's bucket, the newest armed
            // (io_poll_req_insert adds at the head), which need not be the request the timeout guarded
            int ret = polls.getLast().canceler().cancel();
            if (ret != -ENOENT) {
                return ret;
            }
        }
        return timeoutCancel(ctx, userData, true);
    }
}
