package dev.ringspec.cli;

import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.sqefuzz.SqeFuzz;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringspec fuzz}: the SQE fuzz, the emulator against this kernel ({@link SqeFuzz}). */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = {"Random and mutated SQEs (every opcode number, random flags and fields, pointers into "
                + "nowhere) submitted to the emulator (at this kernel's profile) and to this kernel side by side; the "
                + "res and flags of every CQE compared where the emulator implements the opcode or refuses the SQE "
                + "before prep. Descriptors and pointers are pinned to a world the fuzz owns (a pipe, /dev/null, a "
                + "read-only file, a reserved 1 GiB of address space), so the kernel's real I/O cannot touch the JVM.",
            "Exit 1 if any CQE differs."})
final class FuzzCommand implements Callable<Integer> {
    @Option(names = "--sqes", description = "How many SQEs (default: ${DEFAULT-VALUE}).")
    private long sqes = 100_000;

    @Option(names = "--seed", description = "The seed (default: ${DEFAULT-VALUE}).")
    private long seed = 1;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (sqes < 0) {
            err.println("ringspec: --sqes must be at least 0");
            return ExitStatus.USAGE;
        }
        IoUringAvailability availability = IoUringAvailability.probe();
        if (!availability.available()) {
            err.println("ringspec: " + availability.reason());
            return ExitStatus.UNAVAILABLE;
        }
        long start = System.nanoTime();
        try (Interruption watch = Interruption.watch(out); SqeFuzz fuzz = new SqeFuzz(seed)) {
            ProgressView view = ProgressView.open("fuzz", "SQEs", sqes, out, Duration.ofSeconds(10));
            SqeFuzz.Report report;
            try {
                report = fuzz.withProgress((done, divergences) -> {
                    watch.fallback(w -> w.printf("fuzz (seed %d): %,d of %,d SQEs, %,d divergences so far%n", seed,
                            done, sqes, divergences));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    view.show(done, () -> String.format("progress: %,d of %,d SQEs (%d%%), %.0f s, %,.0f/s; %,d "
                            + "divergences", done, sqes, done * 100 / Math.max(1, sqes), seconds, done / seconds,
                            divergences), () -> divergences + " divergences");
                    return !watch.requested();
                }).run(sqes);
            } finally {
                view.close();
            }
            if (watch.requested()) {
                out.println("interrupted: the summary of what ran");
            }
            out.println("fuzz (seed " + seed + "): " + report.summary());
            report.firstDivergences().forEach(d -> out.println("  DIFFERS " + d));
            out.flush();
            if (watch.requested()) {
                watch.summarised();
                return ExitStatus.INTERRUPTED;
            }
            return report.divergences() == 0 ? ExitStatus.OK : ExitStatus.DIVERGENCE;
        }
    }
}
