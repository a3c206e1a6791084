package dev.ringspec.bpfcheck;

import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.SockFilter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The cBPF oracle's run: saved replays first, then generated cases ({@link ProgramGenerator}), each checked on the
 * model and on this kernel ({@link BpfOracle}). The first difference of each kind is shrunk ({@link BpfShrinker}),
 * printed with its C reproducer ({@link BpfCReproducer}) and saved ({@link BpfReplays}); later ones are counted.
 */
public final class BpfCheck {
    /** A long run prints a progress line this often. */
    private static final long PROGRESS_EVERY = 100_000;

    private final BpfOracle oracle;
    private final Config config;

    public BpfCheck(BpfOracle oracle, Config config) {
        this.oracle = oracle;
        this.config = config;
    }

    /**
     * @param seed the run's seed; case i is {@link ProgramGenerator#generate} of {@link ProgramGenerator#caseSeed}
     * @param programs generated cases
     * @param shrinkBudget the time cap of one shrink
     * @param replays where replays are read and new ones saved, or null for none
     * @param saveReplays whether shrunk differences are saved
     */
    public record Config(long seed, long programs, Duration shrinkBudget, Path replays, boolean saveReplays,
            Path findings) {
        public static Config of(long seed, long programs) {
            return new Config(seed, programs, Duration.ofSeconds(10), null, false, null);
        }

        /** Replays read from {@code directory} first; with {@code save}, new differences are saved there too. */
        public Config withReplays(Path directory, boolean save) {
            return new Config(seed, programs, shrinkBudget, directory, save, save ? directory : null);
        }

        /** New differences saved in {@code directory} (null: none), whatever the replays are read from. */
        public Config withFindings(Path directory) {
            return new Config(seed, programs, shrinkBudget, replays, directory != null, directory);
        }

        public Config withShrinkBudget(Duration budget) {
            return new Config(seed, programs, budget, replays, saveReplays, findings);
        }
    }

    /** A shrunk difference: the case it was found in, the shrunk case, its difference, its C reproducer. */
    public record Finding(BpfCase original, BpfCase shrunk, BpfOracle.Difference difference, String cSource,
            Path saved) {
    }

    /**
     * What a run came to. {@code exact} runs pinned the model's value; {@code byLength} were observed by what the
     * receiver got only ({@link Instrumentation}).
     */
    public record Summary(long programs, long replays, long accepted, long rejected, long outside, long exact,
            long byLength, long differing, long nanos, List<Finding> findings, BpfCoverage coverage,
            List<String> badReplays) {
        public double programsPerSecond() {
            return nanos == 0 ? 0 : programs * 1e9 / nanos;
        }
    }

    public Summary run(PrintWriter out) {
        long start = System.nanoTime();
        Tally tally = new Tally();
        List<String> bad = new ArrayList<>();
        List<BpfCase> saved = config.replays() == null ? List.of()
                : new BpfReplays(config.replays()).load(problem -> {
                    bad.add(problem);
                    out.println("bad replay: " + problem);
                });
        for (BpfCase c : saved) {
            tally.record(c, oracle.check(c), out);
        }
        for (long i = 0; i < config.programs(); i++) {
            BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(config.seed(), i));
            tally.record(c, oracle.check(c), out);
            if ((i + 1) % PROGRESS_EVERY == 0 && config.programs() >= 2 * PROGRESS_EVERY) {
                out.printf("  %,d programs, %,d differences, %,.0f programs/s%n", i + 1, tally.differing,
                        (i + 1) * 1e9 / (System.nanoTime() - start));
                out.flush();
            }
        }
        return new Summary(config.programs(), saved.size(), tally.accepted, tally.rejected, tally.outside,
                tally.exact, tally.byLength, tally.differing, System.nanoTime() - start, List.copyOf(tally.findings),
                tally.coverage, bad);
    }

    /** The running counts; the first difference of each kind is shrunk and reported. */
    private final class Tally {
        long accepted;
        long rejected;
        long outside;
        long exact;
        long byLength;
        long differing;
        final List<BpfOracle.Kind> shrunkKinds = new ArrayList<>();
        final List<Finding> findings = new ArrayList<>();
        final BpfCoverage coverage = new BpfCoverage();

        void record(BpfCase c, BpfOracle.Verdict verdict, PrintWriter out) {
            switch (verdict) {
                case BpfOracle.Verdict.Agreed(CheckResult check, RunResult run, boolean isExact) -> {
                    if (run == null) {
                        rejected++;
                        coverage.rejected(check);
                    } else {
                        accepted++;
                        coverage.accepted(c, run);
                        if (isExact) {
                            exact++;
                        } else {
                            byLength++;
                        }
                    }
                }
                case BpfOracle.Verdict.Outside(String reason) -> {
                    outside++;
                    coverage.outside(reason);
                }
                case BpfOracle.Verdict.Differed(BpfOracle.Difference d) -> {
                    differing++;
                    if (!shrunkKinds.contains(d.kind())) {
                        shrunkKinds.add(d.kind());
                        // printed first, then saved: a directory that cannot be written loses nothing
                        Finding f = shrink(c, d);
                        printFinding(out, f);
                        findings.add(save(f, out));
                    }
                }
            }
        }
    }

    /** Shrinks {@code c}, which differs as {@code d}, and writes its reproducer (and its replay, if configured). */
    public Finding shrinkAndSave(BpfCase c, BpfOracle.Difference d) {
        return save(shrink(c, d), new PrintWriter(java.io.OutputStream.nullOutputStream()));
    }

    /** Saves a finding's replay where configured, saying where in one line, or in one sentence why it could not. */
    private Finding save(Finding f, PrintWriter out) {
        if (!config.saveReplays() || config.findings() == null) {
            return f;
        }
        String name = "bpf-" + f.difference().kind().name().toLowerCase() + "-" + Long.toHexString(f.original().seed());
        try {
            Path saved = new BpfReplays(config.findings()).save(name, f.shrunk(), f.difference().toString(),
                    f.cSource());
            out.println("  saved as " + saved.toAbsolutePath());
            return new Finding(f.original(), f.shrunk(), f.difference(), f.cSource(), saved);
        } catch (IOException | RuntimeException e) {
            out.println("  the cBPF replay could not be saved in " + config.findings().toAbsolutePath() + " (" + e
                    + "); it is printed above only");
            return f;
        } finally {
            out.flush();
        }
    }

    private Finding shrink(BpfCase c, BpfOracle.Difference d) {
        BpfShrinker.Result shrunk = new BpfShrinker(candidate -> oracle.differsAs(candidate, d.kind()),
                config.shrinkBudget()).shrink(c);
        BpfOracle.Difference difference = oracle.check(shrunk.shrunk()) instanceof BpfOracle.Verdict.Differed(
                BpfOracle.Difference again) ? again : d;
        String title = oracle.model().name() + ": " + difference.kind() + " (case seed " + c.seed() + ", shrunk from "
                + c.program().size() + " instructions)";
        String cSource = reproducer(oracle.model(), shrunk.shrunk(), title);
        return new Finding(c, shrunk.shrunk(), difference, cSource, null);
    }

    /** A C reproducer of {@code c} that prints the kernel's answers beside {@code model}'s. */
    public static String reproducer(BpfModel model, BpfCase c, String title) {
        List<SockFilter> program = c.program();
        CheckResult check = model.check(program);
        if (!check.accepted()) {
            return BpfCReproducer.generate(title, c, check.result(), null, 0, check.toString());
        }
        RunResult run = model.run(program, c.packet());
        if (!run.insideModel()) {
            return BpfCReproducer.generate(title, c, 0, null, 0, check + "; " + run);
        }
        Instrumentation.Instrumented i = Instrumentation.instrument(program, run, c.packetLength());
        return BpfCReproducer.generate(title, c, 0, i.program(), i.expectedReceive(), check + "; " + run
                + "; the instrumented program's datagram is " + i.describeExpected());
    }

    static void printFinding(PrintWriter out, Finding f) {
        out.printf("DIFFERENCE %s%n  found in case seed %d (%d instructions, %d-byte packet), shrunk to %d "
                + "instructions:%n%s%n", f.difference(), f.original().seed(), f.original().program().size(),
                f.original().packetLength(), f.shrunk().program().size(), f.shrunk().describe());
        out.printf("  replay: ringspec bpf-check --replay %d%n", f.original().seed());
        out.printf("  C reproducer:%n%s%n", f.cSource());
        out.flush();
    }

    public static void printSummary(PrintWriter out, Summary s) {
        out.printf("bpf-check: %,d generated programs (and %d replays) in %.1f s, %,.0f programs/s%n", s.programs(),
                s.replays(), s.nanos() / 1e9, s.programsPerSecond());
        out.printf("  accepted %,d (run observed exactly %,d, by length only %,d), rejected %,d, outside the model "
                + "%,d, differences %,d%n", s.accepted(), s.exact(), s.byLength(), s.rejected(), s.outside(),
                s.differing());
        s.coverage().print(out);
        out.flush();
    }
}
