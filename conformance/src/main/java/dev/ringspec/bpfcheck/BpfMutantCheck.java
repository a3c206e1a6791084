package dev.ringspec.bpfcheck;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.nativerunner.SocketFilterKernel;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Proves the cBPF oracle catches what it is for, as the ring lockstep's mutation self-check does: for each
 * {@link BpfMutant} a socket filter can show, generated cases against this kernel must find a difference that the
 * unmutated model does not have, and shrink it to at most {@link #MAX_SHRUNK_INSTRUCTIONS} instructions. io_uring's
 * own checker rules ({@code IO_URING_*}), and a mutant no attach can tell apart ({@link #notApplicable}), are
 * reported as not applicable here.
 */
public final class BpfMutantCheck {
    /** The largest shrunk program a mutant may leave. */
    public static final int MAX_SHRUNK_INSTRUCTIONS = 8;

    private final Function<Set<BpfMutant>, BpfModel> models;
    private final SocketFilterKernel kernel;
    private final long seed;
    private final long maxPrograms;

    /**
     * @param models the model with a set of mutants (the empty set is the kernel's model)
     * @param maxPrograms the generated cases each mutant may take to be caught
     */
    public BpfMutantCheck(Function<Set<BpfMutant>, BpfModel> models, SocketFilterKernel kernel, long seed,
            long maxPrograms) {
        this.models = models;
        this.kernel = kernel;
        this.seed = seed;
        this.maxPrograms = maxPrograms;
    }

    /** One mutant's outcome; {@code notApplicable} says why it was not run, or is null. */
    public record MutantResult(BpfMutant mutant, boolean caught, int shrunkInstructions, long programs, long nanos,
            BpfCheck.Finding finding, String notApplicable) {
        /** Caught and shrunk far enough, or not for socket filters. */
        public boolean passed() {
            return notApplicable != null || caught && shrunkInstructions <= MAX_SHRUNK_INSTRUCTIONS;
        }
    }

    /**
     * Why a socket filter cannot show {@code mutant}, or null. {@code JUMP_PAST_END_ACCEPTED} breaks only
     * {@code bpf_check_classic}, and every classic attach converts next: {@code bpf_convert_filter}'s
     * {@code BPF_EMIT_JMP} refuses a target at or past the end with the same -EINVAL, so no kernel answer tells the
     * mutant from the model ({@code BpfMutantsKernelTest} checks that it stays so).
     */
    public static String notApplicable(BpfMutant mutant) {
        if (mutant.name().startsWith("IO_URING_")) {
            return "io_uring's own checker rule, not a socket filter's (the model's BPF_CBPF_* mutant turns it on and "
                    + "FilterGuestTest catches that against the 7.2 guest)";
        }
        if (mutant == BpfMutant.JUMP_PAST_END_ACCEPTED) {
            return "equivalent on every classic attach: bpf_convert_filter (BPF_EMIT_JMP, target >= len) refuses "
                    + "the same programs with the same -EINVAL";
        }
        return null;
    }

    public List<MutantResult> run(List<BpfMutant> mutants, PrintWriter out) {
        List<MutantResult> results = new ArrayList<>();
        BpfOracle reference = new BpfOracle(kernel, models.apply(Set.of()));
        for (BpfMutant mutant : mutants) {
            String reason = notApplicable(mutant);
            if (reason != null) {
                results.add(new MutantResult(mutant, false, -1, 0, 0, null, reason));
                out.printf("mutant %-34s not applicable: %s%n", mutant, reason);
                out.flush();
                continue;
            }
            long start = System.nanoTime();
            BpfOracle oracle = new BpfOracle(kernel, models.apply(Set.of(mutant)));
            BpfCheck check = new BpfCheck(oracle, BpfCheck.Config.of(seed, 0).withShrinkBudget(Duration.ofSeconds(5)));
            BpfCheck.Finding best = null;
            long i = 0;
            // Keep searching until a difference the unmutated model does not have shrinks far enough.
            while (i < maxPrograms && (best == null || best.shrunk().program().size() > MAX_SHRUNK_INSTRUCTIONS)) {
                BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(seed, i++));
                if (oracle.check(c) instanceof BpfOracle.Verdict.Differed(BpfOracle.Difference d)
                        && !(reference.check(c) instanceof BpfOracle.Verdict.Differed)) {
                    BpfCheck.Finding f = check.shrinkAndSave(c, d);
                    if (best == null || f.shrunk().program().size() < best.shrunk().program().size()) {
                        best = f;
                    }
                }
            }
            long nanos = System.nanoTime() - start;
            MutantResult r = new MutantResult(mutant, best != null, best == null ? -1 : best.shrunk().program().size(),
                    i, nanos, best, null);
            results.add(r);
            out.printf("mutant %-34s %s in %5d ms after %,d programs%n", mutant, r.caught()
                    ? "caught, shrunk to " + r.shrunkInstructions() + " instructions (" + best.difference().kind() + "),"
                    : "NOT CAUGHT", nanos / 1_000_000, i);
            out.flush();
        }
        return results;
    }

    /** Fails with every mutant that escaped or did not shrink far enough. */
    public static void assertAllCaught(List<MutantResult> results) {
        List<String> failures = results.stream().filter(r -> !r.passed())
                .map(r -> r.mutant() + (r.caught() ? " shrunk only to " + r.shrunkInstructions() + " instructions"
                        : " escaped"))
                .toList();
        if (!failures.isEmpty()) {
            throw new AssertionError("cBPF mutation self-check failed: " + failures);
        }
    }
}
