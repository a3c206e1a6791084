package dev.ringspec.emulator.ops;

import dev.ringspec.emulator.Timers;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Req;
import java.util.ArrayList;
import java.util.List;

/**
 * A ring's timeouts ({@code struct io_ring_ctx}'s {@code timeout_list}, {@code ltimeout_list}, {@code cq_timeouts},
 * {@code cq_last_tm_flush}, {@code off_timeout_used}), guarded by this object's monitor as the kernel guards them
 * with {@code ctx->timeout_lock}: the ring's task and the timer thread both take it. One per ring
 * ({@code ctx.ringLocal(TimeoutList.class, ...)}); closing the ring stops every timer and posts nothing.
 */
final class TimeoutList implements AutoCloseable {

    /**
     * One timeout request ({@code struct io_timeout} with its {@code struct io_timeout_data}): TIMEOUT's state, and
     * LINK_TIMEOUT's, which the model's link machinery drives through {@link Timeout.Linked}.
     */
    static class Data {
        final Req req;
        final int flags;
        /** {@code timeout->off}: CQEs to wait for, 0 for none (also the repeat count of a multishot one). */
        int off;
        int targetSeq;
        int repeats;
        /** {@code data->time}: relative nanoseconds, or an absolute time on the chosen clock. */
        long timeNanos;
        /** {@code data->mode}: HRTIMER_MODE_ABS. */
        boolean abs;
        Timers.Timer timer;
        boolean listed;

        Data(Req req, int flags) {
            this.req = req;
            this.flags = flags;
        }

        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    final List<Data> timeouts = new ArrayList<>();
    final List<Data> linkTimeouts = new ArrayList<>();
    /** {@code ctx->cq_last_tm_flush}. */
    int lastFlush;
    /** {@code ctx->off_timeout_used}: a count-based timeout was prepared; commits flush timeouts from then on. */
    volatile boolean offTimeoutUsed;
    private boolean hooked;

    /** Registers {@code flush} as the ring's commit hook once ({@code io_commit_cqring_flush}). */
    synchronized void hookOnce(IssueContext ctx, Runnable flush) {
        if (!hooked) {
            hooked = true;
            ctx.onCommit(IssueContext.CommitFlush.TIMEOUTS, flush);
        }
    }

    /** {@code list_add_tail(&timeout->list, &ctx->timeout_list)}. */
    void addTail(Data d) {
        timeouts.add(d);
        d.listed = true;
    }

    void add(int index, Data d) {
        timeouts.add(index, d);
        d.listed = true;
    }

    void unlist(Data d) {
        if (d.listed) {
            timeouts.remove(d);
            d.listed = false;
        }
    }

    /** The first listed timeout whose user_data is {@code userData} ({@code io_cancel_req_match}), or null. */
    Data find(long userData) {
        for (Data d : timeouts) {
            if (d.req.userData() == userData) {
                return d;
            }
        }
        return null;
    }

    Data findLinked(long userData) {
        for (Data d : linkTimeouts) {
            if (d.req.userData() == userData) {
                return d;
            }
        }
        return null;
    }

    @Override
    public synchronized void close() {
        for (Data d : timeouts) {
            if (d.timer != null) {
                d.timer.cancel();
            }
        }
        for (Data d : linkTimeouts) {
            if (d.timer != null) {
                d.timer.cancel();
            }
        }
        timeouts.clear();
        linkTimeouts.clear();
    }
}
