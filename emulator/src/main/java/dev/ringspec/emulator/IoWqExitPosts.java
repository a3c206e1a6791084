package dev.ringspec.emulator;

import static dev.ringspec.emulator.IoWqChoices.IOWQ_NOT_TAKEN_YET;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_POSTS_AFTER_EXIT;

import dev.ringspec.emulator.ops.EventFd;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.IssueContext;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deterministic mode's io-wq workers that a ring's exit interrupted in their calls, on their way to their posts
 * ({@link IoWqChoices#IOWQ_POSTS_AFTER_EXIT}). The ring is gone for the application, so what such a post leaves
 * that it can see is the signal of the ring's ASYNC eventfd ({@link EventFd#workerSignalAtExit}); each waits here
 * for the looks at io-wq work the chooser says it is still running at, and is made at the one after.
 */
final class IoWqExitPosts {
    private static final class Waiting {
        private final EventFd.ExitSignal signal;
        private int looksLeft;

        private Waiting(EventFd.ExitSignal signal, int looksLeft) {
            this.signal = signal;
            this.looksLeft = looksLeft;
        }
    }

    private final List<Waiting> waiting = new ArrayList<>();
    /** How many workers the exit of each ring being closed interrupted so far: their places in its CQ ring. */
    private final Map<IssueContext, Integer> interrupted = new IdentityHashMap<>();
    /**
     * A ring's mark that its exit has begun ({@code io_ring_exit_work}): told before the exit's cancellations reach
     * its waiting requests ({@link IssueContext.FreedAfterExit}), so that a cancellation knows it is the exit's.
     */
    static final class Exit implements IssueContext.FreedAfterExit {
        private volatile boolean started;

        @Override
        public void exitStarts() {
            started = true;
        }

        @Override
        public void close() {
        }
    }

    /** Ring {@code ctx} has io-wq work: its exit is to be known ({@link Exit}). */
    static void watchExit(IssueContext ctx) {
        ctx.ringLocal(Exit.class, Exit::new);
    }

    private static boolean exiting(IssueContext ctx) {
        Exit e = ctx.ringLocal(Exit.class, () -> null);
        return e != null && e.started;
    }

    /**
     * Whether the exit of ring {@code ctx} finds a worker on {@code work}, an item the emulator holds as still
     * running ({@link IoWqChoices#IOWQ_STILL_RUNNING}, {@link IoWqChoices#IOWQ_FINISHES_BETWEEN_CALLS},
     * {@link IoWqChoices#IOWQ_RACES_DEFER_TASKRUN_WAIT}) that has not started here: {@code c} says, at
     * {@link IoWqChoices#IOWQ_NOT_TAKEN_YET}, whether a worker took it (0, the default) or it is still on io-wq's list,
     * which the exit cancels ({@code io_acct_cancel_pending_work}). A worker's call goes on, signalled but not ended
     * where it does not wait interruptibly (an FSYNC's {@code vfs_fsync_range}), and it posts from the worker after
     * the close ({@link #interrupted}). Not the exit, or no such item: false.
     */
    synchronized boolean heldAtExit(IssueContext ctx, IoWqWork work, Chooser c) {
        if (c == null || work == null || !exiting(ctx) || work.entersLeft == 0 && work.callsLeft == 0
                || c.choose(IOWQ_NOT_TAKEN_YET, ctx.ringFd()) != 0) {
            return false;
        }
        interrupted(ctx, c);
        return true;
    }

    /**
     * The exit of ring {@code ctx} interrupted a worker in its call ({@code io_wq_worker_cancel}): where its post
     * signals, {@code c} says at which look it comes. Not an exit (an ASYNC_CANCEL's signal): nothing.
     */
    synchronized void interrupted(IssueContext ctx, Chooser c) {
        int nth = interrupted.getOrDefault(ctx, 0);
        EventFd.ExitSignal signal = EventFd.workerSignalAtExit(ctx, nth);
        if (signal == null) {
            return;
        }
        interrupted.put(ctx, nth + 1);
        waiting.add(new Waiting(signal, c == null ? IOWQ_POSTS_AFTER_EXIT.defaultOutcome()
                : c.choose(IOWQ_POSTS_AFTER_EXIT, ctx.ringFd())));
    }

    /** The ring {@code ctx} is closed: its exit's count starts again for a ring made later at the same place. */
    synchronized void closed(IssueContext ctx) {
        interrupted.remove(ctx);
    }

    /**
     * A look at io-wq work: at the start of an enter ({@code atEnter}) a worker still running stays, one look fewer;
     * elsewhere (a wait) and once its looks are spent it posts. Answers how many posted.
     */
    int look(boolean atEnter) {
        List<EventFd.ExitSignal> due = new ArrayList<>();
        synchronized (this) {
            for (var it = waiting.iterator(); it.hasNext();) {
                Waiting w = it.next();
                if (atEnter && w.looksLeft > 0) {
                    w.looksLeft--;
                } else {
                    due.add(w.signal);
                    it.remove();
                }
            }
        }
        due.forEach(EventFd.ExitSignal::post);
        return due.size();
    }

    /** The emulator ends: the signals not made yet are dropped. */
    synchronized void close() {
        waiting.forEach(w -> w.signal.discard());
        waiting.clear();
    }
}
