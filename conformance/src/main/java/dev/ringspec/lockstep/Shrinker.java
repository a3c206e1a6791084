package dev.ringspec.lockstep;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shrinks a diverging sequence to a small one that still diverges the same way (the same kind of step and the same
 * field, {@link Divergence#signature()}). Every candidate is run from scratch on both backends. Passes: delete
 * chunks (halves down to single steps), then simplify each step's arguments (smaller rings, fewer flags, smaller
 * counts, small user_data), until nothing changes or the time budget is spent. Candidates are tried in a fixed
 * order, so the result is deterministic for deterministic backends.
 *
 * <p>Each candidate runs within a time limit ({@link LockstepRunner#runWithin}): a candidate may wait for what it
 * no longer does (without the world's write that fed a read, a side's wait or read has nothing to end it). One that
 * runs out of time is stopped and counted as not reproducing ({@link Result#candidatesOutOfTime()}).
 */
final class Shrinker {
    /** Pairs of distant steps are tried for deletion only below this length (quadratic). */
    private static final int PAIR_LIMIT = 40;

    /**
     * How long one candidate may run by default: a run with real I/O settles up to 0.2 s a step and a kernel side's
     * wait takes up to 2 s ({@link LockstepRunner#SETTLE_MILLIS}, {@link Side#WAIT_BOUND_MILLIS}); a run of 200
     * steps took 2 s at most in 150 generated runs (load 10).
     */
    static final Duration CANDIDATE_LIMIT = Duration.ofSeconds(30);

    private final LockstepRunner runner;
    private final long budgetNanos;
    private final Duration candidateLimit;
    private int outOfTime;

    Shrinker(LockstepRunner runner, Duration budget) {
        this(runner, budget, CANDIDATE_LIMIT);
    }

    Shrinker(LockstepRunner runner, Duration budget, Duration candidateLimit) {
        this.runner = runner;
        this.budgetNanos = budget.toNanos();
        this.candidateLimit = candidateLimit;
    }

    /**
     * The shrunk case: its steps, its divergence, how many runs it took, how many of them ran out of time (each
     * counted as not reproducing), and whether the budget ran out.
     */
    record Result(List<Step> steps, Divergence divergence, int candidates, int candidatesOutOfTime, boolean timedOut,
            long nanos) {
    }

    /** Runs {@code candidate} within the candidate limit; one that runs out of time does not diverge. */
    private LockstepRunner.Outcome run(List<Step> candidate) {
        return runner.runWithin(candidate, candidateLimit).orElseGet(() -> {
            outOfTime++;
            return new LockstepRunner.Outcome(candidate, null, 0, List.of());
        });
    }

    Result shrink(List<Step> ops, Divergence original) {
        long start = System.nanoTime();
        outOfTime = 0;
        String signature = original.signature();
        List<Step> current = List.copyOf(ops.subList(0, original.step() + 1));
        Divergence divergence = original;
        int candidates = 0;
        boolean changed = true;
        while (changed && !expired(start)) {
            changed = false;
            // Pass 1: delete chunks, halves first, down to single steps.
            for (int size = Math.max(1, current.size() / 2); size >= 1 && !expired(start); size /= 2) {
                int i = 0;
                while (i < current.size() && !expired(start)) {
                    List<Step> candidate = new ArrayList<>(current.subList(0, i));
                    candidate.addAll(current.subList(Math.min(current.size(), i + size), current.size()));
                    candidates++;
                    LockstepRunner.Outcome o = candidate.isEmpty() ? null : run(candidate);
                    if (o != null && o.diverged() && o.divergence().signature().equals(signature)) {
                        current = o.steps();
                        divergence = o.divergence();
                        changed = true;
                    } else {
                        i += size;
                    }
                }
            }
            // Pass 1b: merge adjacent counter moves (publishTail +a, +b -> +(a+b)), then delete pairs of steps
            // that only matter together (a publish and the enter that consumes it).
            for (int i = 0; i + 1 < current.size() && !expired(start); i++) {
                Step merged = merge(current.get(i), current.get(i + 1));
                if (merged == null) {
                    continue;
                }
                List<Step> candidate = new ArrayList<>(current.subList(0, i));
                candidate.add(merged);
                candidate.addAll(current.subList(i + 2, current.size()));
                candidates++;
                LockstepRunner.Outcome o = run(candidate);
                if (o.diverged() && o.divergence().signature().equals(signature)) {
                    current = o.steps();
                    divergence = o.divergence();
                    changed = true;
                    i--;
                }
            }
            if (current.size() <= PAIR_LIMIT) {
                pairs:
                for (int i = 0; i < current.size(); i++) {
                    for (int j = i + 2; j < current.size(); j++) {
                        if (expired(start)) {
                            break pairs;
                        }
                        List<Step> candidate = new ArrayList<>(current);
                        candidate.remove(j);
                        candidate.remove(i);
                        candidates++;
                        LockstepRunner.Outcome o = candidate.isEmpty() ? null : run(candidate);
                        if (o != null && o.diverged() && o.divergence().signature().equals(signature)) {
                            current = o.steps();
                            divergence = o.divergence();
                            changed = true;
                            j = i + 1;
                        }
                    }
                }
            }
            // Pass 2: simplify each step's arguments.
            for (int i = 0; i < current.size() && !expired(start); i++) {
                boolean improved = true;
                while (improved && i < current.size() && !expired(start)) {
                    improved = false;
                    for (Step simpler : simplifications(current.get(i))) {
                        if (expired(start)) {
                            break;
                        }
                        List<Step> candidate = new ArrayList<>(current);
                        candidate.set(i, simpler);
                        candidates++;
                        LockstepRunner.Outcome o = run(candidate);
                        if (o.diverged() && o.divergence().signature().equals(signature)) {
                            current = o.steps();
                            divergence = o.divergence();
                            changed = true;
                            improved = true;
                            break;
                        }
                    }
                }
            }
            // Pass 3: renumber user_data to 1, 2, 3... in order of first appearance.
            List<Step> renumbered = renumberUserData(current);
            if (!renumbered.equals(current) && !expired(start)) {
                candidates++;
                LockstepRunner.Outcome o = run(renumbered);
                if (o.diverged() && o.divergence().signature().equals(signature)) {
                    current = o.steps();
                    divergence = o.divergence();
                }
            }
        }
        return new Result(current, divergence, candidates, outOfTime, expired(start), System.nanoTime() - start);
    }

    /** Two adjacent steps as one, or null: counter moves add up. */
    static Step merge(Step a, Step b) {
        return switch (a) {
            case Step.PublishTail(int x) when b instanceof Step.PublishTail(int y) -> new Step.PublishTail(x + y);
            case Step.MoveCqHead(int x) when b instanceof Step.MoveCqHead(int y) -> new Step.MoveCqHead(x + y);
            case Step.MoveSqHead(int x) when b instanceof Step.MoveSqHead(int y) -> new Step.MoveSqHead(x + y);
            case Step.ConsumeCqes(int x, boolean p) when b instanceof Step.ConsumeCqes(int y, boolean q) && p == q ->
                new Step.ConsumeCqes(x + y, p);
            default -> null;
        };
    }

    private boolean expired(long start) {
        return System.nanoTime() - start > budgetNanos;
    }

    static List<Step> renumberUserData(List<Step> steps) {
        Map<Long, Long> map = new HashMap<>();
        List<Step> out = new ArrayList<>(steps.size());
        for (Step step : steps) {
            // every step that writes an SQE has a userData component
            RecordComponent userData = userDataOf(step);
            if (userData != null) {
                long was = (Long) StepForms.value(step, userData);
                out.add(StepForms.with(step, "userData", map.computeIfAbsent(was, k -> (long) map.size() + 1)));
            } else {
                out.add(step);
            }
        }
        return out;
    }

    private static RecordComponent userDataOf(Step step) {
        for (RecordComponent c : StepForms.components(step)) {
            if (c.getName().equals("userData") && c.getType() == long.class) {
                return c;
            }
        }
        return null;
    }

    /**
     * Simpler variants of one step, simplest first: each component in turn made simpler (numbers closer to zero,
     * bit sets with one bit fewer, a file pattern of empty slots, booleans false); user_data is left to
     * {@link #renumberUserData}. A step on the other thread is first tried on the run thread.
     */
    static List<Step> simplifications(Step step) {
        List<Step> out = new ArrayList<>();
        if (step instanceof Step.OnOtherThread(Step inner)) {
            out.add(inner);
            for (Step simpler : simplifications(inner)) {
                out.add(new Step.OnOtherThread(simpler));
            }
            return out;
        }
        RecordComponent[] components = StepForms.components(step);
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            Object value = StepForms.value(step, c);
            if (c.getName().equals("userData")) {
                continue;
            }
            switch (value) {
                case Integer pattern when c.getName().equals("pattern") -> {
                    if (pattern != 0) {
                        out.add(StepForms.with(step, i, 0));
                    }
                }
                case Integer bits when StepForms.isBitSet(c) -> {
                    for (int fewer : fewerBits(bits)) {
                        out.add(StepForms.with(step, i, fewer));
                    }
                }
                case Integer n -> {
                    for (int smaller : smaller(n)) {
                        out.add(StepForms.with(step, i, smaller));
                    }
                }
                case Long n -> {
                    if (n != 0) {
                        out.add(StepForms.with(step, i, 0L));
                    }
                }
                case Boolean b -> {
                    if (b) {
                        out.add(StepForms.with(step, i, false));
                    }
                }
                case long[] program -> {
                    // one instruction fewer (the last, its return, kept), each in turn
                    for (int drop = 0; drop + 1 < program.length && drop < 16; drop++) {
                        long[] fewer = new long[program.length - 1];
                        System.arraycopy(program, 0, fewer, 0, drop);
                        System.arraycopy(program, drop + 1, fewer, drop, program.length - drop - 1);
                        out.add(StepForms.with(step, i, fewer));
                    }
                }
                default -> throw new IllegalStateException("cannot simplify " + c.getName() + " of " + step);
            }
        }
        return out;
    }

    /** Values closer to zero than {@code v}, closest to zero first. */
    static List<Integer> smaller(int v) {
        Set<Integer> out = new LinkedHashSet<>();
        if (v == 0) {
            return List.of();
        }
        out.add(0);
        if (v > 0) {
            out.add(1);
            out.add(v / 2);
            out.add(v - 1);
        } else if (v != Integer.MIN_VALUE) {
            out.add(-1);
            out.add(v / 2);
            out.add(v + 1);
        } else {
            out.add(-1);
        }
        out.remove(v);
        out.removeIf(x -> Math.abs((long) x) >= Math.abs((long) v));
        return List.copyOf(out);
    }

    /** {@code flags} with one set bit cleared, lowest bit first. */
    static List<Integer> fewerBits(int flags) {
        List<Integer> out = new ArrayList<>();
        for (int bit = 0; bit < 32; bit++) {
            if ((flags & (1 << bit)) != 0) {
                out.add(flags & ~(1 << bit));
            }
        }
        return out;
    }
}
