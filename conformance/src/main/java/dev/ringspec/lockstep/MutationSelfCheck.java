package dev.ringspec.lockstep;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Proves the engine can catch what it is for: for each named mutant of the reference (a deliberate semantic
 * bug), the default budget against the kernel must find a divergence and shrink it to a handful of steps.
 * Generic over the mutant type, so the model's {@code Mutant} enum plugs in as
 * {@code new MutationSelfCheck<>(mutants -> new Backend(..., memory -> new ModelIoUring(profile, memory, mutants)), ...)}.
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

    /** One mutant's outcome. */
    public record MutantResult(String mutant, boolean detected, int shrunkSteps, long nanos, int runs,
            Divergence divergence, List<Op> steps) {

        public boolean passed() {
            return detected && shrunkSteps <= MAX_SHRUNK_STEPS;
        }
    }

    public List<MutantResult> run(List<M> mutants, PrintWriter out) {
        List<MutantResult> results = new ArrayList<>();
        for (M mutant : mutants) {
            long start = System.nanoTime();
            LockstepCheck check = new LockstepCheck(mutantBackend.apply(Set.of(mutant)), kernel,
                    DivergenceCatalogue.empty(), config);
            LockstepCheck.Summary s = check.run(new PrintWriter(PrintWriter.nullWriter()));
            long nanos = System.nanoTime() - start;
            MutantResult r = s.findings().isEmpty()
                    ? new MutantResult(String.valueOf(mutant), false, -1, nanos, s.runs(), null, List.of())
                    : new MutantResult(String.valueOf(mutant), true, s.findings().getFirst().steps().size(), nanos,
                            s.runs(), s.findings().getFirst().divergence(), s.findings().getFirst().steps());
            results.add(r);
            out.printf("mutant %-28s %s in %5d ms after %3d runs%s%n", r.mutant(),
                    r.detected() ? "detected, shrunk to " + r.shrunkSteps() + " steps," : "NOT DETECTED",
                    nanos / 1_000_000, r.runs(), r.detected() ? " (" + r.divergence().signature() + ")" : "");
            out.flush();
        }
        return results;
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
