package dev.ringspec.lockstep;

import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Proves the engine can catch what it is for: for each named mutant of the reference (a deliberate semantic
 * bug), the default budget against the kernel must find a divergence the catalogue does not explain, shrink it to
 * a handful of steps, and the shrunk steps must not diverge on the unmutated reference: the mutant, not a known
 * kernel difference, is what was caught.
 * Generic over the mutant type, so the model's {@code Mutant} enum plugs in as
 * {@code new MutationSelfCheck<>(mutants -> Backend.model(..., memory -> new ModelIoUring(profile, memory, mutants)), ...)}.
 *
 * @param <M> the mutant type
 */
public final class MutationSelfCheck<M> {
    /** The largest shrunk case a mutant may leave: more means the shrinker or the generator needs work. */
    public static final int MAX_SHRUNK_STEPS = 8;

    private final Function<Set<M>, Backend> mutantBackend;
    private final Backend kernel;
    private final LockstepCheck.Config config;

    public MutationSelfCheck(Function<Set<M>, Backend> mutantBackend, Backend kernel, LockstepCheck.Config config) {
        this.mutantBackend = mutantBackend;
        this.kernel = kernel;
        this.config = config.withReplayDirectory(null).withSaveReplays(false);
    }

    /**
     * One mutant's outcome.
     *
     * @param notApplicable why the kernel cannot show this mutant (it lacks the feature the mutant's rule belongs
     *     to), or {@code null} for a mutant that was run
     */
    public record MutantResult(String mutant, boolean detected, int shrunkSteps, long nanos, int runs,
            Divergence divergence, List<Step> steps, String notApplicable) {

        MutantResult(String mutant, boolean detected, int shrunkSteps, long nanos, int runs, Divergence divergence,
                List<Step> steps) {
            this(mutant, detected, shrunkSteps, nanos, runs, divergence, steps, null);
        }

        /** Caught and shrunk far enough, or not applicable to this kernel. */
        public boolean passed() {
            return notApplicable != null || detected && shrunkSteps <= MAX_SHRUNK_STEPS;
        }
    }

    public List<MutantResult> run(List<M> mutants, PrintWriter out) {
        return run(mutants, mutant -> null, out);
    }

    /**
     * Runs each mutant for which {@code notApplicable} answers {@code null}; the others are reported, with that
     * answer as the reason, and not run: nothing a kernel without the mutant's feature does can show them.
     */
    public List<MutantResult> run(List<M> mutants, Function<M, String> notApplicable, PrintWriter out) {
        List<MutantResult> results = new ArrayList<>();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        for (M mutant : mutants) {
            String reason = notApplicable.apply(mutant);
            if (reason != null) {
                results.add(new MutantResult(String.valueOf(mutant), false, -1, 0, 0, null, List.of(), reason));
                out.printf("mutant %-34s not applicable: %s%n", mutant, reason);
                out.flush();
                continue;
            }
            long start = System.nanoTime();
            // Search the budget's seeds in order; after a detection go on with the next seeds and keep the
            // smallest attributable case: a bug found on a small ring shrinks further than one found on a big ring.
            LockstepCheck.Finding best = null;
            LockstepCheck.Finding firstUnattributable = null;
            int runs = 0;
            long seed = config.seed();
            long lastSeed = config.seed() + config.runs();
            while (seed < lastSeed && (best == null || best.steps().size() > MAX_SHRUNK_STEPS)) {
                // The unmutated model referees: the steps refused are the specification's, not the mutant's.
                LockstepCheck check = new LockstepCheck(mutantBackend.apply(Set.of(mutant)), kernel, catalogue,
                        config.withSeed(seed).withRuns((int) (lastSeed - seed)), mutantBackend.apply(Set.of()));
                LockstepCheck.Summary s = check.run(new PrintWriter(PrintWriter.nullWriter()));
                runs += s.runs();
                if (s.newDivergences().isEmpty()) {
                    break;
                }
                LockstepCheck.Finding found = s.newDivergences().getFirst();
                if (divergesUnmutated(found.steps())) {
                    firstUnattributable = firstUnattributable == null ? found : firstUnattributable;
                } else if (best == null || found.steps().size() < best.steps().size()) {
                    best = found;
                }
                seed = found.seed() + 1;
            }
            long nanos = System.nanoTime() - start;
            MutantResult r = best == null
                    ? new MutantResult(String.valueOf(mutant), false, -1, nanos, runs,
                            firstUnattributable == null ? null : firstUnattributable.divergence(),
                            firstUnattributable == null ? List.of() : firstUnattributable.steps())
                    : new MutantResult(String.valueOf(mutant), true, best.steps().size(), nanos, runs,
                            best.divergence(), best.steps());
            results.add(r);
            out.printf("mutant %-34s %s in %5d ms after %3d runs%s%n", r.mutant(),
                    r.detected() ? "detected, shrunk to " + r.shrunkSteps() + " steps,"
                            : firstUnattributable != null ? "NOT ATTRIBUTABLE (the unmutated reference diverges too)"
                            : "NOT DETECTED",
                    nanos / 1_000_000, r.runs(), r.detected() ? " (" + r.divergence().signature() + ")" : "");
            out.flush();
        }
        return results;
    }

    /** Whether the steps diverge with no mutant at all: then the kernel, not the mutant, made the difference. */
    private boolean divergesUnmutated(List<Step> steps) {
        try (LockstepRunner runner = new LockstepRunner(mutantBackend.apply(Set.of()), kernel,
                DivergenceCatalogue.load())) {
            return runner.run(steps, new Coverage()).diverged();
        }
    }

    /** Fails with every mutant that escaped or did not shrink to {@link #MAX_SHRUNK_STEPS} steps. */
    public static void assertAllCaught(List<MutantResult> results) {
        List<String> failures = results.stream().filter(r -> !r.passed())
                .map(r -> r.mutant() + (r.detected() ? " shrunk only to " + r.shrunkSteps() + " steps" : " escaped"))
                .toList();
        if (!failures.isEmpty()) {
            throw new AssertionError("mutation self-check failed: " + failures);
        }
    }
}
