package dev.ringspec.lockstep;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.RingObservation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One lockstep check: replay every saved case first, then generate {@code runs} sequences of {@code steps} steps
 * from consecutive seeds; shrink and report the first new divergence of the random phase, save it as a replay and
 * write its reproducers; classify every divergence against the catalogue.
 */
public final class LockstepCheck {

    /**
     * @param seed the first run's seed (run {@code r} uses {@code seed + r}, so {@code --seed S --runs 1} reproduces
     *     run S)
     * @param steps steps per run
     * @param runs how many generated runs
     * @param replayDirectory where replays are read from and saved to
     * @param shrinkBudget time cap of one shrink
     * @param saveReplays whether new divergences are saved
     * @param kernelSide which side is the running kernel (for the C reproducer's expected values)
     */
    public record Config(long seed, int steps, int runs, Path replayDirectory, Duration shrinkBudget,
            boolean saveReplays, LockstepRunner.Role kernelSide) {

        public static Config defaults() {
            return new Config(1, 200, 200, ReplayStore.DEFAULT_DIRECTORY, Duration.ofSeconds(10), true,
                    LockstepRunner.Role.SUBJECT);
        }

        public Config withSeed(long s) {
            return new Config(s, steps, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide);
        }

        public Config withRuns(int r) {
            return new Config(seed, steps, r, replayDirectory, shrinkBudget, saveReplays, kernelSide);
        }

        public Config withSteps(int s) {
            return new Config(seed, s, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide);
        }

        public Config withReplayDirectory(Path d) {
            return new Config(seed, steps, runs, d, shrinkBudget, saveReplays, kernelSide);
        }

        public Config withShrinkBudget(Duration d) {
            return new Config(seed, steps, runs, replayDirectory, d, saveReplays, kernelSide);
        }

        public Config withSaveReplays(boolean save) {
            return new Config(seed, steps, runs, replayDirectory, shrinkBudget, save, kernelSide);
        }

        public Config withKernelSide(LockstepRunner.Role side) {
            return new Config(seed, steps, runs, replayDirectory, shrinkBudget, saveReplays, side);
        }
    }

    /** A divergence found, from a replay or from a generated run. */
    public record Finding(long seed, boolean fromReplay, Path replayFile, List<Step> steps, Divergence divergence,
            Optional<DivergenceCatalogue.Entry> catalogued, Shrinker.Result shrink, String cReproducer,
            String junitBody, boolean stable) {
    }

    /** How many times a generated divergence is re-run from scratch before it is trusted and shrunk. */
    static final int CONFIRMATIONS = 3;

    /** What the check did. */
    public record Summary(int replays, int runs, long steps, long nanos, Coverage coverage, List<Finding> findings,
            InvariantWatch.Totals invariants) {

        public double stepsPerSecond() {
            return nanos == 0 ? 0 : steps * 1e9 / nanos;
        }

        public List<Finding> newDivergences() {
            return findings.stream().filter(f -> f.catalogued().isEmpty()).toList();
        }

        public List<Finding> unstableDivergences() {
            return findings.stream().filter(f -> !f.stable()).toList();
        }

        public List<Finding> cataloguedDivergences() {
            return findings.stream().filter(f -> f.catalogued().isPresent()).toList();
        }
    }

    private final Backend reference;
    private final Backend subject;
    private final Backend referee;
    private final DivergenceCatalogue catalogue;
    private final Config config;
    private List<GeneratedOpcode> opcodes = List.of();

    public LockstepCheck(Backend reference, Backend subject, DivergenceCatalogue catalogue, Config config) {
        this(reference, subject, catalogue, config, null);
    }

    /** A check whose steps {@code referee} referees (see {@link LockstepRunner}); null for the default. */
    public LockstepCheck(Backend reference, Backend subject, DivergenceCatalogue catalogue, Config config,
            Backend referee) {
        this.referee = referee;
        this.reference = reference;
        this.subject = subject;
        this.catalogue = catalogue;
        this.config = config;
    }

    /** Generated runs also write SQEs of these opcodes (see {@link LockstepRunner#withOpcodes}). */
    public LockstepCheck withOpcodes(List<GeneratedOpcode> extra) {
        this.opcodes = List.copyOf(extra);
        return this;
    }

    public Summary run(PrintWriter out) {
        Coverage coverage = new Coverage();
        List<Finding> findings = new ArrayList<>();
        ReplayStore store = config.replayDirectory() == null ? null : new ReplayStore(config.replayDirectory());
        long steps = 0;
        int runs = 0;
        long start = System.nanoTime();
        List<ReplayStore.Entry> replays = store == null ? List.of() : store.load();
        InvariantWatch.Totals invariants = new InvariantWatch.Totals();
        try (LockstepRunner runner = new LockstepRunner(reference, subject, catalogue, referee)
                .withOpcodes(opcodes)) {
            for (ReplayStore.Entry replay : replays) {
                LockstepRunner.Outcome o = runner.run(replay.replayCase().steps(), coverage);
                steps += o.steps().size();
                invariants.add(replay.replayCase().seed(), true, runner.invariants().takeRun(), catalogue,
                        config.kernelSide());
                carriedOver(findings, replay.replayCase().seed(), true, replay.file(), o);
                if (o.diverged()) {
                    Finding f = finding(runner, replay.replayCase().seed(), true, replay.file(), o.steps(),
                            o.divergence(), null, confirmations(runner, o) == CONFIRMATIONS);
                    findings.add(f);
                    report(out, runner, f);
                } else if (!o.carriedOver().isEmpty()) {
                    for (LockstepRunner.CarriedOver c : o.carriedOver()) {
                        out.println("replay " + replay.file().getFileName() + ": catalogued difference "
                                + c.entry().id() + " at step " + c.divergence().step() + ", carried over; the rest "
                                + "agrees");
                    }
                } else {
                    out.println("replay " + replay.file().getFileName() + ": no divergence now (recorded "
                            + replay.replayCase().signature() + " on " + replay.replayCase().kernelRelease() + ")");
                }
            }
            for (int r = 0; r < config.runs(); r++) {
                long seed = config.seed() + r;
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), config.steps(), coverage);
                steps += o.steps().size();
                runs++;
                invariants.add(seed, false, runner.invariants().takeRun(), catalogue, config.kernelSide());
                carriedOver(findings, seed, false, null, o);
                if (o.diverged()) {
                    int confirmed = confirmations(runner, o);
                    if (confirmed < CONFIRMATIONS) {
                        // The same steps do not always diverge: timing in the kernel or a harness bug. Reported,
                        // not shrunk (a shrink would chase noise), kept for study under unstable/ where it is
                        // not replayed first; the budget goes on. A catalogued one is only counted.
                        Optional<DivergenceCatalogue.Entry> knownUnstable = catalogue.match(o.divergence());
                        if (knownUnstable.isPresent()) {
                            findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), knownUnstable, null,
                                    null, null, false));
                            continue;
                        }
                        if (findings.stream().anyMatch(u -> !u.stable() && u.catalogued().isEmpty())) {
                            // One unstable case is reported and kept in full; later ones are counted and named.
                            findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), Optional.empty(),
                                    null, null, null, false));
                            out.printf("UNSTABLE again (seed %d): %s at step %d%n", seed,
                                    o.divergence().signature(), o.divergence().step());
                            continue;
                        }
                        Finding f = finding(runner, seed, false, null, o.steps(), o.divergence(), null, false);
                        if (config.saveReplays() && store != null) {
                            Path file = new ReplayStore(store.directory().resolve("unstable"))
                                    .save(replayCase(runner, seed, f), f.cReproducer(), f.junitBody());
                            f = new Finding(f.seed(), false, file, f.steps(), f.divergence(), f.catalogued(), null,
                                    f.cReproducer(), f.junitBody(), false);
                        }
                        findings.add(f);
                        out.printf("%nUNSTABLE: the divergence below reproduced in %d of %d re-runs of the same "
                                + "steps%n", confirmed, CONFIRMATIONS);
                        report(out, runner, f);
                        continue;
                    }
                    Optional<DivergenceCatalogue.Entry> known = catalogue.match(o.divergence());
                    if (known.isPresent()) {
                        // A known kernel difference: counted and named, not shrunk again, and the budget goes on
                        // (the run itself ends at the difference: what follows it is not comparable).
                        findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), known, null, null, null,
                                true));
                        continue;
                    }
                    Shrinker.Result shrunk = new Shrinker(runner, config.shrinkBudget()).shrink(o.steps(),
                            o.divergence());
                    Finding f = finding(runner, seed, false, null, shrunk.steps(), shrunk.divergence(), shrunk, true);
                    if (config.saveReplays() && store != null && f.catalogued().isEmpty()) {
                        Path file = store.save(replayCase(runner, seed, f), f.cReproducer(), f.junitBody());
                        f = new Finding(f.seed(), false, file, f.steps(), f.divergence(), f.catalogued(), shrunk,
                                f.cReproducer(), f.junitBody(), true);
                    }
                    findings.add(f);
                    report(out, runner, f);
                    if (f.catalogued().isPresent()) {
                        // Known once shrunk (the long run's value also held other differences): go on.
                        continue;
                    }
                    break;
                }
            }
        }
        invariants.print(out, reference.name(), subject.name());
        return new Summary(replays.size(), runs, steps, System.nanoTime() - start, coverage, findings, invariants);
    }

    /** Records each catalogued difference the run went on past, as a catalogue hit at the step it was seen. */
    private static void carriedOver(List<Finding> findings, long seed, boolean fromReplay, Path file,
            LockstepRunner.Outcome o) {
        for (LockstepRunner.CarriedOver c : o.carriedOver()) {
            findings.add(new Finding(seed, fromReplay, file, List.copyOf(o.steps().subList(0, c.divergence().step() + 1)),
                    c.divergence(), Optional.of(c.entry()), null, null, null, true));
        }
    }

    private ReplayCase replayCase(LockstepRunner runner, long seed, Finding f) {
        Divergence d = f.divergence();
        return new ReplayCase(seed, runner.referenceName(), runner.subjectName(),
                dev.ringspec.nativerunner.Posix.kernelRelease(), d.signature(), d.step(), d.referenceValue(),
                d.subjectValue(), f.steps());
    }

    private static int confirmations(LockstepRunner runner, LockstepRunner.Outcome o) {
        int confirmed = 0;
        for (int i = 0; i < CONFIRMATIONS; i++) {
            LockstepRunner.Outcome again = runner.run(o.steps(), null);
            if (again.diverged() && again.divergence().signature().equals(o.divergence().signature())
                    && again.divergence().step() == o.divergence().step()) {
                confirmed++;
            }
        }
        return confirmed;
    }

    private Finding finding(LockstepRunner runner, long seed, boolean fromReplay, Path file, List<Step> steps,
            Divergence d, Shrinker.Result shrunk, boolean stable) {
        List<String> trace = runner.trace(steps, config.kernelSide());
        boolean[] refused = new boolean[steps.size()];
        for (int i = 0; i < refused.length && i < trace.size(); i++) {
            refused[i] = TraceFormat.isRefused(trace.get(i));
        }
        String title = "seed " + seed + ", " + d.field() + " diverges at step " + d.step();
        String c = CReproducer.generate(title, steps, refused);
        String junit = JavaReproducer.testMethod("seed" + Long.toUnsignedString(seed) + d.field(), steps, d);
        return new Finding(seed, fromReplay, file, steps, d, catalogue.match(d), shrunk, c, junit, stable);
    }

    private void report(PrintWriter out, LockstepRunner runner, Finding f) {
        Divergence d = f.divergence();
        out.println();
        out.println((f.catalogued().isPresent() ? "CATALOGUED DIVERGENCE " + f.catalogued().get().id()
                : "NEW DIVERGENCE") + (f.fromReplay() ? " (replay " + f.replayFile().getFileName() + ")"
                        : " (seed " + f.seed() + ")"));
        out.println("  " + d.field() + " after step " + d.step() + ": " + runner.referenceName() + " says "
                + d.referenceValue() + "; " + runner.subjectName() + " says " + d.subjectValue());
        if (f.shrink() != null) {
            out.printf("  shrunk to %d steps in %d ms (%d candidate runs%s)%n", f.steps().size(),
                    f.shrink().nanos() / 1_000_000, f.shrink().candidates(),
                    f.shrink().timedOut() ? ", time budget spent" : "");
        }
        out.println("  steps:");
        for (int i = 0; i < f.steps().size(); i++) {
            out.printf("  %3d  %s%s%n", i, f.steps().get(i).describe(), i == d.step() ? "   <-- diverges" : "");
        }
        out.println("  ring state after step " + d.step() + ":");
        for (String line : RingObservation.sideBySide(runner.referenceName(), d.reference(), runner.subjectName(),
                d.subject()).split("\n")) {
            out.println("  " + line);
        }
        if (f.replayFile() != null && !f.fromReplay()) {
            out.println("  " + (f.stable() ? "replay" : "unstable case") + " saved: " + f.replayFile()
                    + " (with .c.txt and .junit.txt reproducers)");
        }
        out.flush();
    }

    /** The summary block of {@code ringspec check}. */
    public static void printSummary(PrintWriter out, Summary s) {
        out.println();
        out.printf("replays: %d; runs: %d; steps: %d; %.1f s; %.0f steps/s%n", s.replays(), s.runs(), s.steps(),
                s.nanos() / 1e9, s.stepsPerSecond());
        out.println("coverage:");
        out.print(s.coverage().table());
        out.printf("divergences: %d new, %d catalogued (%d of them unstable: not reproduced on every re-run)%n",
                s.newDivergences().size(), s.cataloguedDivergences().size(), s.unstableDivergences().size());
        Map<String, List<Finding>> known = new TreeMap<>();
        for (Finding f : s.cataloguedDivergences()) {
            known.computeIfAbsent(f.catalogued().orElseThrow().id(), id -> new ArrayList<>()).add(f);
        }
        known.forEach((id, hits) -> out.printf("  known kernel difference %-40s %4d run(s), first at seed %d%n", id,
                hits.stream().map(f -> f.fromReplay() + ":" + f.seed()).distinct().count(), hits.getFirst().seed()));
        out.flush();
    }
}
