package dev.ringspec.emulator;

import static dev.ringspec.emulator.IoWqChoices.IOWQ_COMPLETION_ORDER;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH;

import dev.ringspec.model.Chooser;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The deterministic mode's io-wq workers that post their own CQEs ({@code io_req_complete_post}, on a ring without
 * DEFER_TASKRUN or IOPOLL) while the ring's task is busy: before the task's next flush of its batch
 * ({@link IoWqChoices#IOWQ_POSTS_BEFORE_FLUSH}), or before the next item of its run of task work
 * ({@link IoWqChoices#IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK}). Each runs the pending work of {@link WorkerPool} it
 * takes and posts with what the ring hands it, ahead of the task's batch.
 */
final class IoWqOwnPosts {
    private final WorkerPool pool;

    IoWqOwnPosts(WorkerPool pool) {
        this.pool = pool;
    }

    /** Where a ring's current run of task work stands, for {@link #beforeTaskWork}: an {@link IoWqWork#serials}. */
    private static final class TaskWorkRun {
        private long queuedSince;
    }

    /** {@link dev.ringspec.model.IoWq#beforeFlush}, {@code c} deciding. */
    void beforeFlush(IssueContext ctx, Chooser c, BiConsumer<Req, OpDef.Issue> post) {
        if (pool.readyOf(ctx).isEmpty()) {
            return;
        }
        int before = c.choose(IOWQ_POSTS_BEFORE_FLUSH, ctx.ringFd());
        for (int n = 0; n < before; n++) {
            // the workers that finish first post first, in any order (IOWQ_COMPLETION_ORDER, as in runPending); a
            // hashed item's successor may be taken once it is done
            List<IoWqWork> ready = pool.readyOf(ctx);
            if (ready.isEmpty()) {
                break;
            }
            IoWqWork w = ready.get(ready.size() < 2 ? 0 : switch (c.choose(IOWQ_COMPLETION_ORDER, -1)) {
                case 0 -> 0;
                case 1 -> ready.size() - 1;
                default -> 1;
            });
            pool.take(w);
            w.body.accept((x, req, func) -> post.accept(req, func));
        }
    }

    /**
     * {@link dev.ringspec.model.IoWq#beforeTaskWork}, {@code c} deciding: the work the item before this one queued
     * ({@code io_req_task_submit -> io_queue_iowq}), each asked about once. A worker took it at once and may finish
     * before the task's loop reaches this item.
     */
    void beforeTaskWork(IssueContext ctx, int item, Chooser c, BiConsumer<Req, OpDef.Issue> post) {
        TaskWorkRun run = ctx.ringLocal(TaskWorkRun.class, TaskWorkRun::new);
        long since = run.queuedSince;
        run.queuedSince = IoWqWork.serials();
        if (item == 0) {
            return;
        }
        for (IoWqWork w : pool.readyOf(ctx)) {
            if (w.serial > since && c.choose(IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK, ctx.ringFd()) == 1) {
                pool.take(w);
                w.body.accept((x, req, func) -> post.accept(req, func));
            }
        }
    }
}
