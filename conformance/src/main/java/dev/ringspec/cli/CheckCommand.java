package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.cli.report.CheckReport;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Backend;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringspec check}: the capability report of this kernel, then the lockstep run: saved replays first, then
 * generated runs, each step checked on the reference and on this kernel. With several kernels
 * ({@code --kernel debian:6.1,native,debian:7.2}), each is checked in turn, one guest booted at a time and stopped
 * after, and one table ({@link MatrixReport}) ends the output.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check this kernel against the reference in lockstep: replays first, then generated runs.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--seed", description = "Seed of the first run; run r uses seed + r (default: ${DEFAULT-VALUE}).")
    private long seed = 1;

    @Option(names = "--steps", description = "Steps per run (default: ${DEFAULT-VALUE}).")
    private int steps = 200;

    @Option(names = "--runs", description = "Generated runs: the budget (default: ${DEFAULT-VALUE}).")
    private int runs = 1000;

    @Option(names = "--replay-dir", paramLabel = "DIR", description = "Replay the cases in DIR instead of the ones "
            + "that ship with ringspec (and the cBPF cases in DIR's sibling bpf-replays, the layout of --out); a "
            + "directory that does not exist is a usage error.")
    private Path replayDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where new findings are saved (DIR/replays, "
            + "DIR/bpf-replays, with their C and JUnit reproducers), created when needed (default: "
            + "$XDG_STATE_HOME/ringspec, else $HOME/.local/state/ringspec).")
    private Path outDir;

    @Option(names = "--shrink-seconds", description = "Time cap of one shrink (default: ${DEFAULT-VALUE}).")
    private int shrinkSeconds = 10;

    @Option(names = "--progress-seconds", description = "Print a progress line this often during the generated "
            + "runs; 0 after every run (default: ${DEFAULT-VALUE}).")
    private int progressSeconds = 10;

    @Option(names = "--kernel", paramLabel = "SPEC[,SPEC...]", split = ",", description = "Check a kernel booted in "
            + "QEMU instead: debian:6.1, debian:6.12, debian:7.2, debian:7.3 (the newest matching package), a "
            + "bzImage path, or native (this kernel). Several, separated by commas, make a matrix: each checked in "
            + "turn, one table at the end, the exit status the worst kernel's.")
    private List<String> kernels = new ArrayList<>();

    @Option(names = "--keep-going", description = "After a new divergence, go on with the next seed instead of "
            + "stopping, and count the divergent runs; only the first is shrunk and saved (the default with "
            + "several kernels).")
    private boolean keepGoing;

    @Option(names = "--json", description = "With several kernels: print the matrix as JSON on standard output, "
            + "and each kernel's details on standard error.")
    private boolean json;

    @Option(names = "--backend", paramLabel = "NAME", description = "The subject of the check: native (this "
            + "kernel, the default) or the emulator: emulator, at the profile chosen for this kernel by its "
            + "capabilities, or emulator-VERSION (6.1, 6.12, 6.18, 6.19, 7.0, 7.1, 7.2, 7.3). The emulator is checked "
            + "against the model with its profile; the catalogue's kernel bugs do not apply to it (it follows the "
            + "model's intent), so every difference is new.")
    private String backend = "native";

    @Option(names = "--referee", paramLabel = "WHO", description = "With --backend emulator: who judges it. model "
            + "(the default): the model with the emulator's profile. kernel: this kernel; the emulator (at this "
            + "kernel's profile) runs each step first, refereeing it by the model's rules as the model does in the "
            + "default check (steps whose outcome the kernel leaves to timing end the run, counted; differences a "
            + "model choice point allows, such as an overflow flush that reschedules, are accepted and named), then "
            + "the kernel runs it; every difference is classified by the whole catalogue, as the kernel's own.")
    private String refereeName = "model";

    @Option(names = "--real-io", description = "With --backend emulator --referee kernel: the runs do real I/O, each "
            + "side in an outside world of its own (pipes, sockets, loopback TCP, files, a clock), and the emulator "
            + "runs deterministically, taking the kernel's outcome at its choice points.")
    private boolean realIo;

    @Option(names = "--budget", paramLabel = "TIME|Nsteps", converter = Budget.Converter.class, description = "Deep "
            + "mode, for nightly CI: generated runs go on, past new divergences, until TIME (90s, 30m, 2h) or N "
            + "checked steps (500000steps) are spent on each kernel, instead of --runs; the reports say how many "
            + "sequences and steps ran and which rules and coverage labels were never reached.")
    private Budget budget;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private Interruption interruption;
    private CheckReports reports;

    /** The kernel log's splats during the check of the kernel now checked (nothing where no kernel runs). */
    private KernelSplats splats = KernelSplats.noKernel();

    /** The classic-BPF check's status, after this kernel's check (not in a matrix). */
    private int bpfStatus = ExitStatus.OK;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (steps < 1) {
            err.println("ringspec: --steps must be at least 1");
            return ExitStatus.USAGE;
        }
        Optional<String> badPlace = Places.badReplayDirectory(replayDir).or(() -> Places.badOut(outDir));
        if (badPlace.isPresent()) {
            err.println("ringspec: " + badPlace.get());
            return ExitStatus.USAGE;
        }
        for (String kernel : kernels) {
            Optional<String> bad = kernel.equals("native") ? Optional.empty() : GuestKernels.badSpec(kernel);
            if (bad.isPresent()) {
                err.println("ringspec: " + bad.get());
                return ExitStatus.USAGE;
            }
        }
        if (kernels.size() != kernels.stream().distinct().count()) {
            err.println("ringspec: a kernel is named twice in --kernel " + String.join(",", kernels));
            return ExitStatus.USAGE;
        }
        if (backend.equals("native") && !refereeName.equals("model")) {
            err.println("ringspec: --referee " + refereeName + " needs --backend emulator");
            return ExitStatus.USAGE;
        }
        PrintWriter out = spec.commandLine().getOut();
        reports = new CheckReports(spec.commandLine().getParseResult().originalArgs());
        try (Interruption watch = Interruption.watch(json ? err : out)) {
            interruption = watch;
            try {
                if (!backend.equals("native")) {
                    int status = EmulatorCheck.check(this::checkEmulator, backend, refereeName, realIo, kernels,
                            out, err);
                    if (reports.hasRows()) {
                        reports.write(out, Places.out(outDir), status);
                    }
                    return interrupted(status);
                }
                int status = checkAll(out, err);
                reports.write(json ? err : out, Places.out(outDir), status);
                return status;
            } finally {
                if (interruption.requested()) {
                    // the partial summary, the splats and the reports are out: the interrupt's hook may end the JVM
                    interruption.summarised();
                }
            }
        }
    }

    private int checkAll(PrintWriter out, PrintWriter err) {
        if (kernels.size() > 1) {
            return interrupted(matrix());
        }
        String kernel = kernels.isEmpty() ? "native" : kernels.getFirst();
        MatrixReport.Row row = checkOne(kernel, out, err, keepGoing, true);
        reports.row(row);
        return interrupted(ExitStatus.worst(row.status(), bpfStatus));
    }

    /**
     * This kernel's classic BPF (socket filters) against the model, a short bpf-check after the lockstep part,
     * watched for splats as the lockstep part is; skipped after an interrupt.
     */
    private void classicBpf(PrintWriter out) {
        if (interruption.requested()) {
            return;
        }
        splats.poll("the summary");
        bpfStatus = BpfCheckCommand.withinCheck(seed, bpfReplays(), Places.out(outDir).resolve(Places.BPF_REPLAYS),
                out);
        reports.bpf(bpfStatus);
    }

    /** {@code status}, or {@link ExitStatus#INTERRUPTED} once an interrupt stopped the check. */
    private int interrupted(int status) {
        return interruption.requested() ? ExitStatus.INTERRUPTED : status;
    }

    /** The cBPF replays: beside --replay-dir, or those that ship with ringspec. */
    private Path bpfReplays() {
        if (replayDir != null) {
            return replayDir.toAbsolutePath().resolveSibling(Places.BPF_REPLAYS);
        }
        return dev.ringspec.bpfcheck.BpfReplays.shipped().map(dev.ringspec.bpfcheck.BpfReplays::directory)
                .orElse(null);
    }

    private int matrix() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter details = json ? err : out;
        List<MatrixReport.Row> rows = new ArrayList<>();
        for (String kernel : kernels) {
            if (interruption.requested()) {
                break;
            }
            details.printf("%n=== %s ===%n", kernel);
            details.flush();
            StringWriter why = new StringWriter();
            PrintWriter whyOut = new PrintWriter(new TeeWriter(why, err), true);
            MatrixReport.Row row = checkOne(kernel, details, whyOut, true, false);
            whyOut.flush();
            if (row.reason() == null && !why.toString().isBlank()) {
                row = row.withReason(why.toString().lines().findFirst().orElse("").replaceFirst("^ringspec: ", ""));
            }
            rows.add(row);
            reports.row(row);
        }
        MatrixReport report = new MatrixReport(rows);
        if (json) {
            try {
                out.println(CapsCommand.mapper().writeValueAsString(report));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println();
            out.print(report.table());
        }
        out.flush();
        return report.status();
    }

    /**
     * Checks one kernel ({@code native} or a guest spec), printing the details, then (with {@code bpf}, natively)
     * its classic BPF; its matrix row, splats counted.
     */
    private MatrixReport.Row checkOne(String kernel, PrintWriter out, PrintWriter err, boolean goOn, boolean bpf) {
        if (kernel.equals("native")) {
            IoUringAvailability availability = IoUringAvailability.probe();
            if (!availability.available()) {
                err.println("ringspec: " + availability.reason());
                err.flush();
                return MatrixReport.Row.failed(kernel, ExitStatus.UNAVAILABLE, availability.reason());
            }
            KernelCapabilities caps = CapabilityProbe.probe(new NativeIoUring());
            if (caps.partlyBlocked()) {
                // every step that registers would differ by the filter's EPERM: that is no finding about the kernel
                String reason = "io_uring is partly blocked here, so this kernel cannot be checked: "
                        + CapsReport.of(caps).blockedSentence() + " (ringspec caps shows what could be tried)";
                err.println("ringspec: " + reason);
                err.flush();
                return MatrixReport.Row.failed(kernel, ExitStatus.UNAVAILABLE, reason);
            }
            splats = KernelSplats.nativeLog();
            MatrixReport.Row row = check(kernel, out, caps, ReferenceBackends.kernel(), "this kernel", goOn)
                    .withRelease(Posix.kernelRelease()).withBoot(null);
            if (bpf) {
                classicBpf(out);
            }
            return row.worsenedBy(splats.report(out, bpf && !interruption.requested() ? "the classic-BPF check"
                    : "the summary"));
        }
        MatrixReport.Row[] row = new MatrixReport.Row[1];
        int status;
        try {
            status = GuestKernels.withGuest(kernel, err, (guest, memory) -> {
                out.printf("%s booted in %.1f s (%s)%n", guest.image().describe(),
                        guest.bootTime().toMillis() / 1e3, guest.accelerator());
                KernelCapabilities caps = GuestKernels.probe(guest, memory, kernel, err);
                if (caps == null) {
                    return ExitStatus.UNAVAILABLE;
                }
                splats = KernelSplats.guestLog(guest.session(), kernel);
                row[0] = check(kernel, out, caps, Backend.kernel("kernel " + kernel, guest::backend),
                        "kernel " + kernel, goOn).withRelease(guest.session().release())
                        .withBoot(guest.bootTime().toMillis() / 1e3).worsenedBy(splats.report(out, "the summary"));
                return row[0].status();
            });
        } catch (Exception e) {
            err.println("ringspec: the check of " + kernel + " failed: " + e);
            err.flush();
            status = ExitStatus.GUEST_FAILED;
        }
        if (row[0] == null || row[0].status() != status) {
            return MatrixReport.Row.failed(kernel, status, null);
        }
        return row[0];
    }

    private MatrixReport.Row check(String kernel, PrintWriter out, KernelCapabilities caps, Backend subject,
            String subjectName, boolean goOn) {
        out.print(CapsReport.of(caps).table());
        out.println();
        return check(kernel, out, caps, ReferenceBackends.reference(caps), subject, subjectName,
                DivergenceCatalogue.load(), goOn);
    }

    /**
     * The emulator's check ({@link EmulatorCheck}): this kernel's log is watched where this kernel is the referee;
     * against the model no kernel runs, and nothing is said of splats.
     */
    private MatrixReport.Row checkEmulator(String kernel, PrintWriter out, KernelCapabilities caps, Backend reference,
            Backend subject, String subjectName, DivergenceCatalogue catalogue, boolean goOn) {
        boolean kernelRuns = reference.kind() == Backend.Kind.KERNEL || subject.kind() == Backend.Kind.KERNEL;
        splats = kernelRuns ? KernelSplats.nativeLog() : KernelSplats.noKernel();
        MatrixReport.Row row = check(kernel, out, caps, reference, subject, subjectName, catalogue, goOn)
                .worsenedBy(splats.report(out, "the summary"));
        reports.row(row);
        return row;
    }

    /**
     * The lockstep part of a check: {@code reference} against {@code subject}, classified by {@code catalogue};
     * {@code caps} are the checked kernel's (its matrix row). The subject is the side a catalogue entry blames.
     */
    MatrixReport.Row check(String kernel, PrintWriter out, KernelCapabilities caps, Backend reference,
            Backend subject, String subjectName, DivergenceCatalogue catalogue, boolean goOn) {
        Optional<ReplayStore> replays = replayDir != null ? Optional.of(new ReplayStore(replayDir.toAbsolutePath()))
                : ReplayStore.shipped();
        // the saved replays are the kernel's against the model; other pairs run them but save nothing
        boolean saves = reference.kind() == Backend.Kind.MODEL && subject.kind() == Backend.Kind.KERNEL;
        Path findings = Places.out(outDir).resolve(Places.REPLAYS);
        out.printf("lockstep: %s against %s; seed %d, %s of %d steps; replays from %s; new findings go to %s%n",
                reference.name(), subjectName, seed, budget == null ? runs + " runs" : "runs", steps, replayDir != null ? replayDir.toAbsolutePath()
                        : replays.isPresent() ? "those shipped with ringspec" : "nowhere (this build ships none)",
                saves ? findings : "nowhere (only a kernel checked against the model saves its findings)");
        out.flush();
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withSeed(seed).withSteps(steps).withRuns(runs)
                .withReplayDirectory(replays.map(ReplayStore::directory).orElse(null))
                .withFindingsDirectory(findings).withShrinkBudget(Duration.ofSeconds(shrinkSeconds))
                .withSaveReplays(saves)
                .withRuns(budget == null ? runs : Integer.MAX_VALUE);
        List<LockstepCheck.Summary> parts = new ArrayList<>();
        // with a budget, every part's steps count against it: the parts before this one's, and this one's so far
        long start = System.nanoTime();
        if (budget != null) {
            goOn = true;
            out.println("deep mode: generated runs until " + budget.text() + " are spent");
        }
        CheckProgress shown = new CheckProgress(kernel, runs, budget, start, out, Duration.ofSeconds(progressSeconds),
                interruption);
        int left;
        try {
            LockstepCheck.Progress progress = splats.watching(shown, seed);
            BooleanSupplier stop = budget == null ? interruption::requested
                    : () -> interruption.requested() || budget.spent(start, shown.steps());
            LockstepCheck.Summary summary = new LockstepCheck(reference, subject, catalogue, config)
                    .withProgress(progress, stop).run(out);
            parts.add(summary);
            shown.partDone(summary);
            if (summary.stopped() && interruption.requested()) {
                out.println("interrupted: the summary of what ran");
            }
            LockstepCheck.printSummary(out, summary);
            // LockstepCheck stops at the first new divergence; to go on, the rest of the budget runs as further
            // checks from the next seed, without replays, saving nothing and shrinking for at most a second.
            long nextSeed = seed + summary.runs();
            left = config.runs() - summary.runs();
            while (goOn && left > 0 && !summary.newDivergences().isEmpty() && !stop.getAsBoolean()) {
                LockstepCheck.Config rest = config.withSeed(nextSeed).withRuns(left).withReplayDirectory(null)
                        .withSaveReplays(false).withShrinkBudget(Duration.ofSeconds(Math.min(1, shrinkSeconds)));
                summary = new LockstepCheck(reference, subject, catalogue, rest)
                        .withProgress(progress, stop)
                        .run(new PrintWriter(OutputStream.nullOutputStream()));
                parts.add(summary);
                shown.partDone(summary);
                nextSeed += summary.runs();
                left -= summary.runs();
            }
        } finally {
            shown.close();
        }
        if (parts.size() > 1) {
            long divergent = parts.stream().mapToLong(p -> p.newDivergences().size()).sum();
            out.printf("keep-going: %d generated runs in all, %d of them with a new divergence (only the first is "
                    + "shown, shrunk and saved)%n", config.runs() - left, divergent);
            out.flush();
        }
        reports.checked(kernel, caps, new CheckReport.Lockstep(reference.name(), subjectName, config.kernelSide(),
                seed, steps, budget == null ? runs : -1, parts, budget == null ? null : budget.text()));
        // A divergence that does not come back when its exact steps are re-run (the kernel's timing, seen on
        // CQE_MIXED rings with overflow about once in 60,000 runs) is printed and saved under unstable/ but does
        // not fail the check; a reproducible new divergence does.
        boolean stableNew = parts.stream().flatMap(p -> p.newDivergences().stream())
                .anyMatch(LockstepCheck.Finding::stable);
        // A stated invariant the kernel breaks where no catalogue entry explains it is a new finding too.
        stableNew |= parts.stream().anyMatch(p -> !p.invariants().newOnKernel(config.kernelSide()).isEmpty());
        boolean badInput = parts.stream().anyMatch(p -> !p.badReplays().isEmpty());
        KernelProfile profile = KernelProfile.forCapabilities(caps);
        List<String> features = Arrays.stream(Feature.values()).filter(caps::has).map(Feature::name).toList();
        int status = stableNew ? ExitStatus.DIVERGENCE : badInput ? ExitStatus.BAD_INPUT : ExitStatus.OK;
        return MatrixReport.Row.checked(kernel, status, caps.release(), profile.version(), features, parts);
    }

    /** Writes to a buffer and to a second writer. */
    private static final class TeeWriter extends java.io.Writer {
        private final java.io.Writer a;
        private final java.io.Writer b;

        TeeWriter(java.io.Writer a, java.io.Writer b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws java.io.IOException {
            a.write(cbuf, off, len);
            b.write(cbuf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }

        @Override
        public void close() throws java.io.IOException {
            flush();
        }
    }
}
