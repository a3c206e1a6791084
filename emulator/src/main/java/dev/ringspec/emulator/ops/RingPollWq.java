package dev.ringspec.emulator.ops;

import dev.ringspec.model.IssueContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * A ring's {@code ctx->poll_wq}: the polls of the ring's own descriptor ({@code io_uring_poll}), which an emulated
 * ring's memfd cannot give (a memfd is always readable, and epoll refuses it). Each is woken with the ring's
 * {@link IssueContext#ringPollMask} after every commit of its CQ tail ({@code io_commit_cqring_flush}:
 * {@code io_poll_wq_wake}) and every local task work added to a DEFER_TASKRUN ring, and looks again as a file poll
 * does. One per ring ({@code ring.ringLocal(RingPollWq.class, RingPollWq::new)}), its hooks set once.
 */
final class RingPollWq {
    private final Set<IntConsumer> waiters = ConcurrentHashMap.newKeySet();
    private IssueContext ring;

    /** Wakes {@code onEvents} with the ring's poll mask at each commit until the returned handle runs. */
    Runnable watch(IssueContext target, IntConsumer onEvents) {
        synchronized (this) {
            if (ring == null) {
                ring = target;
                target.onCommit(IssueContext.CommitFlush.POLL_WQ, this::wakeAll);
                target.onLocalWorkAdd(this::wakeAll);
            }
        }
        waiters.add(onEvents);
        return () -> waiters.remove(onEvents);
    }

    private void wakeAll() {
        if (waiters.isEmpty()) {
            return;
        }
        int mask = ring.ringPollMask();
        for (IntConsumer w : waiters) {
            w.accept(mask);
        }
    }
}
