package dev.ringspec.invariants;

import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every {@link RingInvariant} after every step of a run on one ring, and keeps what they need from the steps
 * before: the kernel's own SQ head, the requests it has taken and not yet answered, and what it published last.
 * One checker follows one side of a run; {@link #counts()} says how often each invariant was checked and broken.
 *
 * <p>Usage: {@link #step} after each step with what the step did and the observation taken after it (its pending
 * SQEs read from the kernel's SQ head, which the caller knows when the application has moved the ring's
 * {@code sq.head}). A fresh checker starts with no ring: the first step is a setup.
 */
public final class InvariantChecker {
    private static final RingInvariant[] INVARIANTS = RingInvariant.values();
    /** Per invariant (by ordinal): how many steps it applied to, and how many broke it. */
    private final long[] checks = new long[INVARIANTS.length];
    private final long[] violations = new long[INVARIANTS.length];
    private final History history = new History();
    private RingObservation previous = RingObservation.none(0);
    private int stepIndex;

    /** How often an invariant applied to a step, and how often it did not hold. */
    public record Count(long checks, long violations) {
    }

    /** What the invariants remember of the run. */
    static final class History {
        boolean kernelHeadKnown;
        int kernelHead;
        int overflowAtSetup;
        boolean lastPublishedWasSkip;
        /**
         * The furthest CQ head the application has published: every slot before it has been released to the kernel
         * once, and moving the head back does not take it back (the kernel may have counted it free already).
         */
        int releasedCqHead;
        /** The application moved the CQ head back, or beyond the tail: the kernel's view of free space is its own. */
        boolean cqHeadMisbehaved;
        /**
         * Set when a step's consumed SQEs, or CQEs it posted, could not be seen: the request bookkeeping is then
         * incomplete until the ring is quiescent again.
         */
        boolean requestsIncomplete;
        /**
         * The requests taken and not yet answered, by user_data, each list in submission order: a CQE is matched
         * among those with its user_data only (one lookup, where a list of every request would be scanned on each
         * step of a ring that never becomes quiescent, such as a DEFER_TASKRUN ring without TASKRUN_FLAG).
         */
        private final Map<Long, List<Request>> unanswered = new HashMap<>();
        private int unansweredCount;
        /** The requests that must post and have not, in submission order. */
        final Set<Request> owed = new LinkedHashSet<>();
        /**
         * The user_data values two unanswered requests have shared since the ring was last quiescent: a CQE with one
         * of them may be either request's, so which of them has posted is a guess.
         */
        private final Set<Long> shared = new HashSet<>();

        void add(Request r) {
            List<Request> same = unanswered.computeIfAbsent(r.sqe.userData(), k -> new ArrayList<>(2));
            same.add(r);
            if (same.size() > 1) {
                shared.add(r.sqe.userData());
            }
            unansweredCount++;
            if (!r.maySkip) {
                owed.add(r);
            }
        }

        /** The requests not yet answered with this user_data, in submission order (empty if none). */
        List<Request> unanswered(long userData) {
            List<Request> l = unanswered.get(userData);
            return l == null ? List.of() : l;
        }

        void posted(Request r) {
            r.posted = true;
            List<Request> l = unanswered.get(r.sqe.userData());
            l.remove(r);
            if (l.isEmpty()) {
                unanswered.remove(r.sqe.userData());
            }
            unansweredCount--;
            owed.remove(r);
        }

        /** Whether which request a CQE with this user_data answered may be a guess ({@link #shared}). */
        boolean shared(long userData) {
            return shared.contains(userData);
        }

        boolean anyUnanswered() {
            return unansweredCount > 0;
        }

        void clearRequests() {
            unanswered.clear();
            unansweredCount = 0;
            owed.clear();
            shared.clear();
        }
    }

    /** Checks the step just done; returns the invariants it broke (empty if none). */
    public List<Violation> step(RingStep step, RingObservation after) {
        return step(stepIndex, step, after);
    }

    /** Checks the step just done, numbered {@code index} in the caller's run (refused steps included). */
    public List<Violation> step(int index, RingStep step, RingObservation after) {
        stepIndex = index + 1;
        if (step instanceof RingStep.Setup) {
            history.clearRequests();
            history.kernelHeadKnown = after.exists();
            history.kernelHead = after.sqHead();
            history.overflowAtSetup = after.cqOverflow();
            history.lastPublishedWasSkip = false;
            history.requestsIncomplete = false;
            history.releasedCqHead = after.cqHead();
            history.cqHeadMisbehaved = false;
        }
        StepCheck c = new StepCheck(index, previous, step, after, history);
        c.attribute();
        if (c.consumedSome && c.consumed == null || c.overwroteUnread) {
            history.requestsIncomplete = true;
        }
        for (RingInvariant invariant : INVARIANTS) {
            c.begin(invariant);
            invariant.check(c);
            if (c.wasChecked()) {
                checks[invariant.ordinal()]++;
                if (c.hasFailed()) {
                    violations[invariant.ordinal()]++;
                }
            }
        }
        remember(c);
        previous = after;
        return c.violations().isEmpty() ? List.of() : List.copyOf(c.violations());
    }

    private void remember(StepCheck c) {
        if (c.live && !c.step.isSyscall() && (c.after.cqHead() - c.before.cqHead() < 0
                || c.after.cqDistance() > c.after.cqEntries())) {
            history.cqHeadMisbehaved = true;
        }
        if (c.after.exists() && c.after.cqHead() - history.releasedCqHead > 0) {
            history.releasedCqHead = c.after.cqHead();
        }
        if (c.kernelWroteHead) {
            history.kernelHead = c.after.sqHead();
        }
        if (!c.published.cqes().isEmpty()) {
            history.lastPublishedWasSkip = c.published.cqes().getLast().isSkip();
        } else if (c.overwroteUnread) {
            history.lastPublishedWasSkip = false;
        }
        if (c.quiescent()) {
            // every completion due has been published (or counted as dropped): nothing is owed any more
            history.clearRequests();
            history.requestsIncomplete = false;
        }
    }

    /**
     * Replaces the observation the next step is compared with, after something outside the steps changed the
     * ring (the lockstep engine carrying a catalogued kernel difference over into the model's flags).
     */
    public void resync(RingObservation now) {
        previous = now;
    }

    /** For each invariant: how many steps it applied to, and how many broke it. */
    public Map<RingInvariant, Count> counts() {
        Map<RingInvariant, Count> counts = new EnumMap<>(RingInvariant.class);
        for (RingInvariant invariant : INVARIANTS) {
            counts.put(invariant, new Count(checks[invariant.ordinal()], violations[invariant.ordinal()]));
        }
        return Map.copyOf(counts);
    }

    /** Adds another checker's counts to a total (for a summary over many runs). */
    public static Map<RingInvariant, Count> sum(Map<RingInvariant, Count> a, Map<RingInvariant, Count> b) {
        Map<RingInvariant, Count> total = new EnumMap<>(RingInvariant.class);
        for (RingInvariant invariant : RingInvariant.values()) {
            Count x = a.getOrDefault(invariant, new Count(0, 0));
            Count y = b.getOrDefault(invariant, new Count(0, 0));
            total.put(invariant, new Count(x.checks() + y.checks(), x.violations() + y.violations()));
        }
        return total;
    }
}
