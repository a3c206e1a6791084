package dev.ringspec.emulator;

import dev.ringspec.model.IssueContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The deterministic mode's pending io-wq work of the ring {@code ctx} ({@link WorkerPool}): {@code body} runs it and
 * hands its completion to a delivery; {@code hash} is its {@link IoWqHash} (null for work that is not hashed).
 */
final class IoWqWork {
    final IssueContext ctx;
    final java.util.function.Consumer<Delivery> body;
    final IoWqHashChains.Key hash;
    /** How many more enters find it still running ({@link IoWqChoices#IOWQ_STILL_RUNNING}). */
    int entersLeft;
    /**
     * How many more calls, empty ones too, find it still running
     * ({@link IoWqChoices#IOWQ_RACES_DEFER_TASKRUN_WAIT}, {@link IoWqChoices#IOWQ_FINISHES_BETWEEN_CALLS}).
     */
    int callsLeft;
    /**
     * Whether the task work its call queues (a poll it wakes) comes before its completion
     * ({@link IoWqChoices#IOWQ_WAKES_BEFORE_IT_POSTS}).
     */
    boolean wakesFirst;
    /** Whether its call would wait for the outside world now ({@link EmuOp.Blocking#ready}); null: never. */
    final java.util.function.BooleanSupplier waits;
    /** Its state (PENDING, RUNNING, DONE) where it has a blocking form, else null. */
    final AtomicInteger state;
    /** When it was queued: items made later have greater serials ({@link #serials}). */
    final long serial = SERIALS.incrementAndGet();

    private static final java.util.concurrent.atomic.AtomicLong SERIALS = new java.util.concurrent.atomic.AtomicLong();

    /** The serial of the item made last: every item made after this call has a greater one. */
    static long serials() {
        return SERIALS.get();
    }

    IoWqWork(IssueContext ctx, java.util.function.Consumer<Delivery> body, IoWqHashChains.Key hash, int entersLeft,
            int callsLeft) {
        this(ctx, body, hash, entersLeft, callsLeft, null, null);
    }

    IoWqWork(IssueContext ctx, java.util.function.Consumer<Delivery> body, IoWqHashChains.Key hash, int entersLeft,
            int callsLeft, java.util.function.BooleanSupplier waits, AtomicInteger state) {
        this.ctx = ctx;
        this.body = body;
        this.hash = hash;
        this.entersLeft = entersLeft;
        this.callsLeft = callsLeft;
        this.waits = waits;
        this.state = state;
    }
}
