package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;

import dev.ringspec.emulator.FaultPlan.Point;
import dev.ringspec.emulator.FaultPlan.Rate;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.Ring;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A {@link FaultPlan} at work: decides at each chance whether its fault happens (the plan's seed makes the same
 * program meet the same faults), and keeps a log of every fault injected, for the report. Opcodes ask through
 * {@link EmulatorServices#faults()}: {@code shorten(Point.SHORT_READ, length)} before a transfer.
 */
public final class Faults {
    private final FaultPlan plan;
    private final SplittableRandom random;
    private final Map<Point, long[]> chances = new EnumMap<>(Point.class);
    private final List<String> log = new ArrayList<>();

    Faults(FaultPlan plan) {
        this.plan = plan;
        this.random = new SplittableRandom(plan.seed());
        for (Point p : Point.values()) {
            chances.put(p, new long[1]);
        }
    }

    /** Whether the plan injects anything at all (the fast path asks this first). */
    public boolean any() {
        return !plan.isEmpty();
    }

    /** Whether {@code point}'s fault happens at this chance; counts the chance and logs a fault. */
    public synchronized boolean happens(Point point, String what) {
        Rate rate = plan.rates().get(point);
        if (rate == null) {
            return false;
        }
        long chance = ++chances.get(point)[0];
        boolean yes = rate.at().isEmpty() ? random.nextDouble() < rate.probability() : rate.at().contains(chance);
        if (yes) {
            log.add(point.key() + " #" + chance + ": " + what);
        }
        return yes;
    }

    /**
     * A transfer of {@code length} bytes, shortened when {@code point} ({@link Point#SHORT_READ} or
     * {@link Point#SHORT_WRITE}) happens: to a seeded length from 1 to {@code length - 1}.
     */
    public int shorten(Point point, int length) {
        if (length < 2 || !happens(point, length + " bytes")) {
            return length;
        }
        synchronized (this) {
            int shorter = 1 + random.nextInt(length - 1);
            log.set(log.size() - 1, log.getLast() + " -> " + shorter);
            return shorter;
        }
    }

    /**
     * How much later a completion reaches its ring, if at all (0): 1 to 10 ms (DELAY_COMPLETION), or up to 2 ms
     * (REORDER_COMPLETIONS, so completions ready together arrive shuffled); on a virtual clock when it has moved that
     * far.
     */
    long completionDelayNanos(long userData) {
        if (happens(Point.DELAY_COMPLETION, "user_data " + userData)) {
            return 1_000_000L + nextInt(9_000_000);
        }
        return happens(Point.REORDER_COMPLETIONS, "user_data " + userData) ? 1 + nextInt(2_000_000) : 0;
    }

    /** A seeded number from 0 to {@code bound - 1} (which SQEs a partial submission takes, an order). */
    synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** Every fault injected so far, in order. */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    /**
     * io_uring_enter of {@code model} with this plan's enter faults: -EAGAIN before anything is consumed
     * ({@link Point#ENTER_EAGAIN}), fewer submitted than asked and no wait ({@link Point#PARTIAL_SUBMIT}), a wait
     * ended by a signal ({@link Point#ENTER_EINTR}); otherwise the call as asked.
     */
    int enter(ModelIoUring model, Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg,
            long argSizeBytes) {
        // io_submit_sqes: no request could be allocated for the first SQE -> -EAGAIN, nothing consumed
        if (toSubmit > 0 && happens(Point.ENTER_EAGAIN, "enter of " + toSubmit)) {
            return -EAGAIN;
        }
        // io_uring_enter: fewer submitted than asked ends the call without waiting
        if (toSubmit > 1 && happens(Point.PARTIAL_SUBMIT, "enter of " + toSubmit)) {
            return model.enter(ring, 1 + nextInt(toSubmit - 1), 0, flags & ~IORING_ENTER_GETEVENTS,
                    arg, argSizeBytes);
        }
        // a signal during the wait: -EINTR, unless something was submitted (then that count)
        if ((flags & IORING_ENTER_GETEVENTS) != 0 && happens(Point.ENTER_EINTR, "a wait")) {
            int submitted = toSubmit == 0 ? 0
                    : model.enter(ring, toSubmit, 0, flags & ~IORING_ENTER_GETEVENTS, arg, argSizeBytes);
            return submitted != 0 ? submitted : -EINTR;
        }
        return model.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
    }
}
