package dev.ringspec.emulator;

import dev.ringspec.emulator.ops.Cancel;
import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * A task's requests cancelled because the task execs or exits ({@code io_uring_cancel_generic}, io_uring/io_uring.c),
 * for a supervisor that sees the exec and the exit ({@code ringspec host}): on each ring where the task has matching
 * requests waiting outside the ring, they are cancelled and waited for ({@link Cancel#cancelTask}), holding the ring's
 * lock as a register call does.
 *
 * <ul>
 * <li>An exec ({@code begin_new_exec}: {@code io_uring_task_cancel}, cancel_all) cancels every request of the task.
 * <li>An exit of a thread ({@code do_exit}: {@code io_uring_files_cancel}, cancel_all false; every thread's exit, not
 *     only a process's) cancels only the requests {@code io_match_task_safe} matches without cancel_all: a link that
 *     holds a request with REQ_F_INFLIGHT, which {@code io_file_get_normal} sets on a request whose (not registered)
 *     file is an io_uring instance ({@code io_req_track_inflight}), a poll of a ring's descriptor, say. The rest of
 *     the task's requests stay and complete as they would: a ring whose descriptor other tasks still hold (a parent
 *     after a fork) keeps them (liburing's io-cancel test_cancel_inflight_exit: the exited child's POLL_ADD of the
 *     ring's own descriptor and the TIMEOUT linked to it end -ECANCELED, its other TIMEOUT fires -ETIME a second
 *     later).
 * </ul>
 */
final class TaskCancel {
    private TaskCancel() {
    }

    /**
     * Cancels {@code task}'s waiting requests that {@code match} accepts on the rings {@code ringFds}, each ring's
     * wait bounded by {@code timeoutNanos} on {@code clock}; returns how many it cancelled.
     */
    static int cancel(Object task, Predicate<Inflight.Entry> match, List<Integer> ringFds,
            IntFunction<IssueContext> contextOf, IntFunction<ReentrantLock> lockOf, Clock clock, long timeoutNanos) {
        int cancelled = 0;
        for (int fd : ringFds) {
            IssueContext ctx = contextOf.apply(fd);
            Inflight inflight = ctx == null ? null : ctx.ringLocal(Inflight.class, Inflight::new);
            if (inflight == null
                    || inflight.all().stream().noneMatch(e -> task.equals(e.req().task()) && match.test(e))) {
                continue;
            }
            ReentrantLock lock = lockOf.apply(fd);
            if (lock != null) {
                lock.lock();
            }
            try {
                cancelled += Cancel.cancelTask(ctx, task, match, clock.nanoTime() + timeoutNanos);
            } finally {
                if (lock != null) {
                    lock.unlock();
                }
            }
        }
        return cancelled;
    }
}
