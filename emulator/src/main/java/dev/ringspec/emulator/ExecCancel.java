package dev.ringspec.emulator;

import dev.ringspec.emulator.ops.Cancel;
import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;

/**
 * {@code io_uring_task_cancel} at an {@code execve} ({@code begin_new_exec}), for a supervisor that sees the call
 * ({@code ringspec host}): on each ring where the task has requests waiting outside the ring, they are cancelled and
 * waited for ({@link Cancel#cancelTask}), holding the ring's lock as a register call does.
 */
final class ExecCancel {
    private ExecCancel() {
    }

    /**
     * Cancels {@code task}'s waiting requests on the rings {@code ringFds}, each ring's wait bounded by
     * {@code timeoutNanos} on {@code clock}; returns how many it cancelled.
     */
    static int cancel(Object task, List<Integer> ringFds, IntFunction<IssueContext> contextOf,
            IntFunction<ReentrantLock> lockOf, Clock clock, long timeoutNanos) {
        int cancelled = 0;
        for (int fd : ringFds) {
            IssueContext ctx = contextOf.apply(fd);
            Inflight inflight = ctx == null ? null : ctx.ringLocal(Inflight.class, Inflight::new);
            if (inflight == null || inflight.all().stream().noneMatch(e -> task.equals(e.req().task()))) {
                continue;
            }
            ReentrantLock lock = lockOf.apply(fd);
            if (lock != null) {
                lock.lock();
            }
            try {
                cancelled += Cancel.cancelTask(ctx, task, clock.nanoTime() + timeoutNanos);
            } finally {
                if (lock != null) {
                    lock.unlock();
                }
            }
        }
        return cancelled;
    }
}
