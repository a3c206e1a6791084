package dev.ringspec.cli;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.bpfcheck.BpfCase;
import dev.ringspec.bpfcheck.BpfCheck;
import dev.ringspec.bpfcheck.BpfMutantCheck;
import dev.ringspec.bpfcheck.BpfOracle;
import dev.ringspec.bpfcheck.BpfReplays;
import dev.ringspec.bpfcheck.ProgramGenerator;
import dev.ringspec.bpfcheck.SocketFilterModel;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.nativerunner.SocketFilterKernel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringspec bpf-check}: the classic-BPF model against this kernel's socket filters. Saved replays first, then
 * generated programs, each checked by both checkers and, where accepted, run on both interpreters with the kernel's
 * result observed exactly; with {@code --mutants}, every model mutant must then be caught and shrunk.
 */
@Command(name = "bpf-check", mixinStandardHelpOptions = true,
        description = "Check the classic-BPF model against this kernel's socket filters: generated programs, valid "
                + "and invalid, on both checkers and both interpreters.")
final class BpfCheckCommand implements Callable<Integer> {
    @Option(names = "--seed", description = "Seed of the run (default: ${DEFAULT-VALUE}).")
    private long seed = 1;

    @Option(names = "--programs", description = "Generated programs (default: ${DEFAULT-VALUE}).")
    private long programs = 100_000;

    @Option(names = "--replay", paramLabel = "CASE_SEED", description = "Check only the case of this seed (as a "
            + "difference prints it) and print it with the model's and the kernel's answers.")
    private Long replay;

    @Option(names = "--mutants", description = "Then check that every model mutant is caught and shrunk to at most "
            + BpfMutantCheck.MAX_SHRUNK_INSTRUCTIONS + " instructions.")
    private boolean mutants;

    @Option(names = "--mutant-programs", description = "Generated programs each mutant may take (default: "
            + "${DEFAULT-VALUE}).")
    private long mutantPrograms = 200_000;

    @Option(names = "--replay-dir", paramLabel = "DIR", description = "Replay the cases in DIR instead of the ones "
            + "that ship with ringspec; a directory that does not exist is a usage error.")
    private Path replayDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where new differences are saved (DIR/bpf-replays, "
            + "with their C reproducers), created when needed (default: $XDG_STATE_HOME/ringspec, else "
            + "$HOME/.local/state/ringspec).")
    private Path outDir;

    @Option(names = "--shrink-seconds", description = "Time cap of one shrink (default: ${DEFAULT-VALUE}).")
    private int shrinkSeconds = 10;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (mutantPrograms < 1) {
            err.println("ringspec: --mutant-programs must be at least 1");
            return ExitStatus.USAGE;
        }
        java.util.Optional<String> badPlace = Places.badReplayDirectory(replayDir).or(() -> Places.badOut(outDir));
        if (badPlace.isPresent()) {
            err.println("ringspec: " + badPlace.get());
            return ExitStatus.USAGE;
        }
        Path replays = replayDir != null ? replayDir.toAbsolutePath()
                : BpfReplays.shipped().map(BpfReplays::directory).orElse(null);
        Path findings = Places.out(outDir).resolve(Places.BPF_REPLAYS);
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        if (!availability.available()) {
            err.println("ringspec: socket filters cannot be used here: " + availability.reason());
            return ExitStatus.UNAVAILABLE;
        }
        try (SocketFilterKernel kernel = SocketFilterKernel.open()) {
            BpfOracle oracle = new BpfOracle(kernel, SocketFilterModel.of(Set.of()));
            if (replay != null) {
                return replayOne(oracle, ProgramGenerator.generate(replay), out);
            }
            out.printf("bpf-check: the classic-BPF model against this kernel's socket filters (%s); seed %d, %,d "
                    + "programs; replays from %s; new differences go to %s%n", Posix.kernelRelease(), seed, programs,
                    replayDir != null ? replays : replays != null ? "those shipped with ringspec" : "nowhere (this "
                            + "build ships none)", findings);
            out.flush();
            BpfCheck.Config config = BpfCheck.Config.of(seed, programs).withReplays(replays, false)
                    .withFindings(findings).withShrinkBudget(Duration.ofSeconds(shrinkSeconds));
            BpfCheck.Summary summary = new BpfCheck(oracle, config).run(out);
            BpfCheck.printSummary(out, summary);
            int status = status(summary);
            if (mutants) {
                List<BpfMutantCheck.MutantResult> results = new BpfMutantCheck(SocketFilterModel::of, kernel, seed,
                        mutantPrograms).run(Arrays.asList(BpfMutant.values()), out);
                long passed = results.stream().filter(BpfMutantCheck.MutantResult::passed).count();
                out.printf("mutants: %d of %d caught and shrunk to at most %d instructions, or not for socket "
                        + "filters%n", passed, results.size(), BpfMutantCheck.MAX_SHRUNK_INSTRUCTIONS);
                status = passed == results.size() ? status : ExitStatus.DIVERGENCE;
            }
            out.flush();
            return status;
        }
    }

    /** The cBPF programs {@code ringspec check} runs on this kernel: about a second on an idle machine. */
    static final int PROGRAMS_WITHIN_CHECK = 2_000;

    /**
     * The short cBPF run that ends {@code ringspec check} on this kernel: replays, then
     * {@value #PROGRAMS_WITHIN_CHECK} generated programs, one summary line (and any difference, shrunk, saved in
     * {@code findings}); 0, 1 for a difference, 65 for a bad replay file, or 0 with the reason where socket filters
     * cannot be used (the io_uring check decides 77).
     */
    static int withinCheck(long seed, Path replays, Path findings, PrintWriter out) {
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        if (!availability.available()) {
            out.println("cBPF: not checked, socket filters cannot be used here: " + availability.reason());
            out.flush();
            return ExitStatus.OK;
        }
        try (SocketFilterKernel kernel = SocketFilterKernel.open()) {
            BpfCheck.Config config = BpfCheck.Config.of(seed, PROGRAMS_WITHIN_CHECK)
                    .withReplays(replays, false).withFindings(findings);
            BpfCheck.Summary s = new BpfCheck(new BpfOracle(kernel, SocketFilterModel.of(Set.of())), config).run(out);
            out.printf("cBPF: %,d programs against this kernel's socket filters in %.1f s: accepted %,d, rejected %,d, "
                    + "outside the model %,d, differences %,d (ringspec bpf-check for more)%n", s.programs(),
                    s.nanos() / 1e9, s.accepted(), s.rejected(), s.outside(), s.differing());
            out.flush();
            return status(s);
        }
    }

    /** 1 for a difference, else 65 for a replay file that is none, else 0. */
    private static int status(BpfCheck.Summary s) {
        return s.differing() > 0 ? ExitStatus.DIVERGENCE : !s.badReplays().isEmpty() ? ExitStatus.BAD_INPUT
                : ExitStatus.OK;
    }

    private static int replayOne(BpfOracle oracle, BpfCase c, PrintWriter out) {
        out.printf("case seed %d:%n%s%n", c.seed(), c.describe());
        BpfOracle.Verdict verdict = oracle.check(c);
        out.println("model: " + oracle.model().check(c.program()));
        out.println("verdict: " + verdict);
        if (verdict instanceof BpfOracle.Verdict.Differed) {
            out.printf("C reproducer:%n%s%n", BpfCheck.reproducer(oracle.model(), c, "case seed " + c.seed()));
        }
        out.flush();
        return verdict instanceof BpfOracle.Verdict.Differed ? ExitStatus.DIVERGENCE : ExitStatus.OK;
    }
}
