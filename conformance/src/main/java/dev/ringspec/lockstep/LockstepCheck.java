package dev.ringspec.lockstep;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.RingObservation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
     * @param replayDirectory where replays are read from (null: none), and saved to unless {@code findingsDirectory}
     *     is named
     * @param shrinkBudget time cap of one shrink
     * @param saveReplays whether new divergences are saved
     * @param kernelSide which side is the running kernel (for the C reproducer's expected values)
     * @param findingsDirectory where new divergences are saved, when not in {@code replayDirectory} (the replays
     *     that ship with ringspec are never written to)
     */
    public record Config(long seed, int steps, int runs, Path replayDirectory, Duration shrinkBudget,
            boolean saveReplays, LockstepRunner.Role kernelSide, Path findingsDirectory) {

        public Config(long seed, int steps, int runs, Path replayDirectory, Duration shrinkBudget,
                boolean saveReplays, LockstepRunner.Role kernelSide) {
            this(seed, steps, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide, null);
        }

        public static Config defaults() {
            return new Config(1, 200, 200, null, Duration.ofSeconds(10), true, LockstepRunner.Role.SUBJECT);
        }

        public Config withFindingsDirectory(Path d) {
            return new Config(seed, steps, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide, d);
        }

        /** Where a new divergence is saved, or null when nothing is. */
        Path saveDirectory() {
            return !saveReplays ? null : findingsDirectory != null ? findingsDirectory : replayDirectory;
        }

        public Config withSeed(long s) {
            return new Config(s, steps, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide, findingsDirectory);
        }

        public Config withRuns(int r) {
            return new Config(seed, steps, r, replayDirectory, shrinkBudget, saveReplays, kernelSide, findingsDirectory);
        }

        public Config withSteps(int s) {
            return new Config(seed, s, runs, replayDirectory, shrinkBudget, saveReplays, kernelSide, findingsDirectory);
        }

        public Config withReplayDirectory(Path d) {
            return new Config(seed, steps, runs, d, shrinkBudget, saveReplays, kernelSide, findingsDirectory);
        }

        public Config withShrinkBudget(Duration d) {
            return new Config(seed, steps, runs, replayDirectory, d, saveReplays, kernelSide, findingsDirectory);
        }

        public Config withSaveReplays(boolean save) {
            return new Config(seed, steps, runs, replayDirectory, shrinkBudget, save, kernelSide, findingsDirectory);
        }

        public Config withKernelSide(LockstepRunner.Role side) {
            return new Config(seed, steps, runs, replayDirectory, shrinkBudget, saveReplays, side, findingsDirectory);
        }
    }

    /** A divergence found, from a replay or from a generated run. */
    public record Finding(long seed, boolean fromReplay, Path replayFile, List<Step> steps, Divergence divergence,
            Optional<DivergenceCatalogue.Entry> catalogued, Shrinker.Result shrink, String cReproducer,
            String junitBody, boolean stable) {

        /** How the steps were shrunk, as the terminal says it, or null when they were not. */
        public String shrinkSummary() {
            return shrink == null ? null : String.format("shrunk to %d steps in %d ms (%d candidate runs%s%s)",
                    steps.size(), shrink.nanos() / 1_000_000, shrink.candidates(),
                    shrink.candidatesOutOfTime() > 0 ? ", " + shrink.candidatesOutOfTime()
                            + " out of time, counted as not reproducing" : "",
                    shrink.timedOut() ? ", time budget spent" : "");
        }

        Finding savedAs(Path file) {
            return new Finding(seed, fromReplay, file, steps, divergence, catalogued, shrink, cReproducer, junitBody,
                    stable);
        }
    }

    /** How many times a generated divergence is re-run from scratch before it is trusted and shrunk. */
    static final int CONFIRMATIONS = 3;

    /**
     * What the check did.
     *
     * @param replays replays run
     * @param runs generated runs
     * @param badReplays one sentence per replay file that is no replay or could not be run (skipped)
     * @param stopped whether the check was stopped before its budget was spent (an interrupt)
     * @param replayFiles the file names of the replays run, in order (for the reports' one test case each)
     */
    public record Summary(int replays, int runs, long steps, long nanos, Coverage coverage, List<Finding> findings,
            InvariantWatch.Totals invariants, List<String> badReplays, boolean stopped, List<String> replayFiles) {

        public Summary {
            findings = List.copyOf(findings);
            badReplays = List.copyOf(badReplays);
            replayFiles = List.copyOf(replayFiles);
        }

        public Summary(int replays, int runs, long steps, long nanos, Coverage coverage, List<Finding> findings,
                InvariantWatch.Totals invariants, List<String> badReplays, boolean stopped) {
            this(replays, runs, steps, nanos, coverage, findings, invariants, badReplays, stopped, List.of());
        }

        public Summary(int replays, int runs, long steps, long nanos, Coverage coverage, List<Finding> findings,
                InvariantWatch.Totals invariants) {
            this(replays, runs, steps, nanos, coverage, findings, invariants, List.of(), false);
        }

        public double stepsPerSecond() {
            return nanos == 0 ? 0 : steps * 1e9 / nanos;
        }

        /** New divergences, from replays and from generated runs. */
        public List<Finding> newDivergences() {
            return findings.stream().filter(f -> f.catalogued().isEmpty()).toList();
        }

        public List<Finding> unstableDivergences() {
            return findings.stream().filter(f -> !f.stable()).toList();
        }

        /** Catalogue hits of the generated runs (a replay showing its catalogued difference is not a new hit). */
        public List<Finding> cataloguedDivergences() {
            return findings.stream().filter(f -> f.catalogued().isPresent() && !f.fromReplay()).toList();
        }

        /** Replays that still show a catalogued difference. */
        public List<Finding> cataloguedReplays() {
            return findings.stream().filter(f -> f.catalogued().isPresent() && f.fromReplay()).toList();
        }
    }

    /** Told after each replay and each generated run what the check has done so far, with the runs it plans. */
    public interface Progress {
        void update(Summary soFar, int plannedRuns);
    }

    private final Backend reference;
    private final Backend subject;
    private final Backend referee;
    private final DivergenceCatalogue catalogue;
    private final Config config;
    private List<GeneratedOpcode> opcodes = List.of();
    private Progress progress = (soFar, planned) -> { };
    private BooleanSupplier stop = () -> false;

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

    /**
     * Tells {@code listener} how far the check is after each replay and run, and ends the check early, with what
     * it did so far, once {@code stopWhen} answers true (checked before each replay and run).
     */
    public LockstepCheck withProgress(Progress listener, BooleanSupplier stopWhen) {
        this.progress = listener;
        this.stop = stopWhen;
        return this;
    }

    /** The options of an emulator that runs with real I/O when a kernel judges it ({@code check --real-io}). */
    public static final String REAL_IO_OPTIONS = "seed=1";

    /**
     * A deterministic emulator ({@value #REAL_IO_OPTIONS}) judged by a kernel runs with real I/O
     * ({@link LockstepRunner#withWorld}); every other pair (the default check among them) runs as before.
     */
    private LockstepRunner worldRuns(LockstepRunner runner) {
        return reference.kind() == Backend.Kind.EMULATOR && reference.name().endsWith("?" + REAL_IO_OPTIONS)
                && subject.kind() == Backend.Kind.KERNEL ? runner.withWorld() : runner;
    }

    public Summary run(PrintWriter out) {
        Coverage coverage = new Coverage();
        List<Finding> findings = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        Consumer<String> badReplay = problem -> {
            bad.add(problem);
            out.println("bad replay: " + problem);
            out.flush();
        };
        ReplayStore store = config.replayDirectory() == null ? null : new ReplayStore(config.replayDirectory());
        long steps = 0;
        int runs = 0;
        int replayed = 0;
        List<String> replayFiles = new ArrayList<>();
        long start = System.nanoTime();
        List<ReplayStore.Entry> replays = store == null ? List.of() : store.load(badReplay);
        InvariantWatch.Totals invariants = new InvariantWatch.Totals();
        boolean stopped = false;
        try (LockstepRunner runner = worldRuns(new LockstepRunner(reference, subject, catalogue, referee)
                .withOpcodes(opcodes))) {
            for (ReplayStore.Entry replay : replays) {
                if (stop.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                String name = replay.file().getFileName().toString();
                LockstepRunner.Outcome o;
                try {
                    o = runner.run(replay.replayCase().steps(), coverage);
                } catch (RuntimeException e) {
                    // a step the harness cannot perform as written: the file's fault, not the kernel's
                    runner.invariants().takeRun();
                    badReplay.accept(replay.file() + " could not be replayed (" + rootCause(e) + "); skipped");
                    continue;
                }
                replayed++;
                replayFiles.add(name);
                steps += o.steps().size();
                invariants.add(replay.replayCase().seed(), true, runner.invariants().takeRun(), catalogue,
                        config.kernelSide());
                carriedOver(findings, replay.replayCase().seed(), true, replay.file(), o);
                if (o.diverged()) {
                    Finding f = finding(runner, replay.replayCase().seed(), true, replay.file(), o.steps(),
                            o.divergence(), null, confirmations(runner, o) == CONFIRMATIONS);
                    findings.add(f);
                    if (f.catalogued().isPresent()) {
                        out.println("replay " + name + ": catalogued " + f.catalogued().get().id() + " at step "
                                + f.divergence().step() + ", still on this kernel");
                    } else {
                        report(out, runner, f);
                    }
                } else if (!o.carriedOver().isEmpty()) {
                    for (LockstepRunner.CarriedOver c : o.carriedOver()) {
                        out.println("replay " + name + ": catalogued difference " + c.entry().id() + " at step "
                                + c.divergence().step() + ", carried over; the rest agrees");
                    }
                } else {
                    out.println("replay " + name + ": no divergence now (recorded "
                            + replay.replayCase().signature() + " on " + replay.replayCase().kernelRelease() + ")");
                }
                out.flush();
                progress.update(snapshot(replayed, runs, steps, start, coverage, findings, invariants, bad, false, replayFiles),
                        config.runs());
            }
            for (int r = 0; r < config.runs() && !stopped; r++) {
                if (stop.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                long seed = config.seed() + r;
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), config.steps(), coverage);
                steps += o.steps().size();
                runs++;
                invariants.add(seed, false, runner.invariants().takeRun(), catalogue, config.kernelSide());
                carriedOver(findings, seed, false, null, o);
                boolean goOn = !o.diverged() || generated(out, runner, seed, o, findings);
                progress.update(snapshot(replayed, runs, steps, start, coverage, findings, invariants, bad, false, replayFiles),
                        config.runs());
                if (!goOn) {
                    break;
                }
            }
        }
        invariants.print(out, reference.name(), subject.name());
        return snapshot(replayed, runs, steps, start, coverage, findings, invariants, bad, stopped, replayFiles);
    }

    private static Summary snapshot(int replays, int runs, long steps, long start, Coverage coverage,
            List<Finding> findings, InvariantWatch.Totals invariants, List<String> bad, boolean stopped,
            List<String> replayFiles) {
        return new Summary(replays, runs, steps, System.nanoTime() - start, coverage, findings, invariants, bad,
                stopped, replayFiles);
    }

    /**
     * A generated run diverged: confirms it, then counts a catalogued one, keeps an unstable one, or shrinks, prints
     * and saves a new one. Answers whether the budget goes on (not after a new, reproducible divergence).
     */
    private boolean generated(PrintWriter out, LockstepRunner runner, long seed, LockstepRunner.Outcome o,
            List<Finding> findings) {
        int confirmed = confirmations(runner, o);
        if (confirmed < CONFIRMATIONS) {
            // The same steps do not always diverge: timing in the kernel or a harness bug. Reported, not shrunk (a
            // shrink would chase noise), kept for study under unstable/ where it is not replayed first; the budget
            // goes on. A catalogued one is only counted.
            Optional<DivergenceCatalogue.Entry> knownUnstable = catalogue.match(o.divergence());
            if (knownUnstable.isPresent()) {
                findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), knownUnstable, null, null, null,
                        false));
                return true;
            }
            if (findings.stream().anyMatch(u -> !u.stable() && u.catalogued().isEmpty())) {
                // One unstable case is reported and kept in full; later ones are counted and named.
                findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), Optional.empty(), null, null,
                        null, false));
                out.printf("UNSTABLE again (seed %d): %s at step %d%n", seed, o.divergence().signature(),
                        o.divergence().step());
                return true;
            }
            Finding f = finding(runner, seed, false, null, o.steps(), o.divergence(), null, false);
            out.printf("%nUNSTABLE: the divergence below reproduced in %d of %d re-runs of the same steps%n", confirmed,
                    CONFIRMATIONS);
            report(out, runner, f);
            Path dir = config.saveDirectory();
            findings.add(save(out, runner, seed, f, dir == null ? null : dir.resolve("unstable")));
            return true;
        }
        Optional<DivergenceCatalogue.Entry> known = catalogue.match(o.divergence());
        if (known.isPresent()) {
            // A known kernel difference: counted and named, not shrunk again, and the budget goes on (the run itself
            // ends at the difference: what follows it is not comparable).
            findings.add(new Finding(seed, false, null, o.steps(), o.divergence(), known, null, null, null, true));
            return true;
        }
        Shrinker.Result shrunk = new Shrinker(runner, config.shrinkBudget()).shrink(o.steps(), o.divergence());
        Finding f = finding(runner, seed, false, null, shrunk.steps(), shrunk.divergence(), shrunk, true);
        if (f.catalogued().isPresent()) {
            // Known once shrunk (the long run's value also held other differences): counted, and the budget goes on.
            findings.add(f);
            out.printf("seed %d: catalogued %s once shrunk to %d steps%n", seed, f.catalogued().get().id(),
                    f.steps().size());
            return true;
        }
        // printed first, then saved: a directory that cannot be written loses nothing
        report(out, runner, f);
        findings.add(save(out, runner, seed, f, config.saveDirectory()));
        return false;
    }

    /** Saves a printed finding in {@code dir} (none when null) and says where, or in one sentence why not. */
    private Finding save(PrintWriter out, LockstepRunner runner, long seed, Finding f, Path dir) {
        if (dir == null) {
            return f;
        }
        String what = f.stable() ? "replay" : "unstable case";
        try {
            Path file = new ReplayStore(dir).save(replayCase(runner, seed, f), f.cReproducer(), f.junitBody());
            out.println("  " + what + " saved: " + file.toAbsolutePath() + " (with .c.txt and .junit.txt "
                    + "reproducers)");
            return f.savedAs(file);
        } catch (IOException | RuntimeException e) {
            out.println("  the " + what + " could not be saved in " + dir.toAbsolutePath() + " (" + rootCause(e)
                    + "); its steps and reproducers are printed above only");
            return f;
        } finally {
            out.flush();
        }
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
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
            out.println("  " + f.shrinkSummary());
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
        out.flush();
    }

    /** The summary block of {@code ringspec check}: the totals, the coverage table, then the divergences. */
    public static void printSummary(PrintWriter out, Summary s) {
        out.println();
        printTotals(out, s);
        out.println("coverage:");
        out.print(s.coverage().table());
        printDivergences(out, s);
        out.flush();
    }

    /** The summary without the coverage table (an interrupted check's, when its own summary could not be had). */
    public static void printBrief(PrintWriter out, Summary s) {
        printTotals(out, s);
        printDivergences(out, s);
        out.flush();
    }

    private static void printTotals(PrintWriter out, Summary s) {
        out.printf("replays: %d%s; runs: %d; steps: %d; %.1f s; %.0f steps/s%s%n", s.replays(),
                s.badReplays().isEmpty() ? "" : " (" + s.badReplays().size() + " bad replay file(s) skipped)",
                s.runs(), s.steps(), s.nanos() / 1e9, s.stepsPerSecond(), s.stopped() ? "; stopped early" : "");
    }

    private static void printDivergences(PrintWriter out, Summary s) {
        List<Finding> generatedNew = s.newDivergences().stream().filter(f -> !f.fromReplay()).toList();
        List<Finding> replayNew = s.newDivergences().stream().filter(Finding::fromReplay).toList();
        long unstable = s.unstableDivergences().stream().filter(f -> f.catalogued().isEmpty()).count();
        out.printf("divergences in generated runs: %d new (%d of them unstable: not reproduced on every re-run), %d "
                + "catalogued%n", generatedNew.size(), unstable, s.cataloguedDivergences().size());
        Map<String, List<Finding>> known = new TreeMap<>();
        for (Finding f : s.cataloguedDivergences()) {
            known.computeIfAbsent(f.catalogued().orElseThrow().id(), id -> new ArrayList<>()).add(f);
        }
        int width = known.keySet().stream().mapToInt(String::length).max().orElse(0);
        known.forEach((id, hits) -> out.printf("  known kernel difference %-" + width + "s  %4d run(s), first at seed "
                + "%d%n", id, hits.stream().map(Finding::seed).distinct().count(),
                hits.stream().mapToLong(Finding::seed).min().orElseThrow()));
        for (Finding f : generatedNew) {
            Divergence d = f.divergence();
            out.printf("  %s seed %d: %s at step %d%s%n", f.stable() ? "new" : "unstable", f.seed(), d.signature(),
                    d.step(), f.replayFile() == null ? "" : ", saved as " + f.replayFile().toAbsolutePath());
        }
        Map<String, Long> replayHits = new TreeMap<>();
        for (Finding f : s.cataloguedReplays()) {
            replayHits.merge(f.catalogued().orElseThrow().id(), 1L, Long::sum);
        }
        long showing = s.cataloguedReplays().stream().map(Finding::replayFile).distinct().count();
        out.printf("replays: %d of %d still show a catalogued difference, %d a new one%n", showing, s.replays(),
                replayNew.stream().map(Finding::replayFile).distinct().count());
        replayHits.forEach((id, n) -> out.printf("  %s in %d replay(s)%n", id, n));
        for (Finding f : replayNew) {
            out.printf("  new in replay %s: %s at step %d%n", f.replayFile().getFileName(), f.divergence().signature(),
                    f.divergence().step());
        }
        for (String problem : s.badReplays()) {
            out.println("bad replay: " + problem);
        }
    }
}
