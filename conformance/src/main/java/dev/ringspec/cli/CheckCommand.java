package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringspec check}: the capability report of this kernel, then the lockstep run: saved replays first, then
 * generated runs, each step checked on the reference and on this kernel.
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

    @Option(names = "--replay-dir", description = "Replays to run first, and where new ones are saved "
            + "(default: ${DEFAULT-VALUE}).")
    private Path replayDir = ReplayStore.DEFAULT_DIRECTORY;

    @Option(names = "--shrink-seconds", description = "Time cap of one shrink (default: ${DEFAULT-VALUE}).")
    private int shrinkSeconds = 10;

    @Option(names = "--kernel", paramLabel = "SPEC", description = "Check a kernel booted in QEMU instead: "
            + "debian:6.1, debian:6.12, debian:7.2, debian:7.3 (the newest matching package), or a bzImage path.")
    private String kernel;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (steps < 1 || runs < 0) {
            spec.commandLine().getErr().println("ringspec: --steps must be at least 1 and --runs at least 0");
            return 2;
        }
        if (kernel != null && !kernel.equals("native")) {
            return GuestKernels.withGuest(kernel, spec.commandLine().getErr(), (guest, memory) -> {
                out.printf("%s booted in %.1f s (%s)%n", guest.image().describe(), guest.bootTime().toMillis() / 1e3,
                        guest.accelerator());
                KernelCapabilities caps = CapabilityProbe.probe(guest.backend(memory), memory);
                return check(out, caps, Backend.kernel("kernel " + kernel, guest::backend), "kernel " + kernel);
            });
        }
        IoUringAvailability availability = IoUringAvailability.probe();
        if (!availability.available()) {
            spec.commandLine().getErr().println("ringspec: " + availability.reason());
            return IoUringAvailability.EXIT_UNAVAILABLE;
        }
        KernelCapabilities caps = CapabilityProbe.probe(new NativeIoUring());
        return check(out, caps, ReferenceBackends.kernel(), "this kernel");
    }

    private int check(PrintWriter out, KernelCapabilities caps, Backend subject, String subjectName) {
        out.print(CapsReport.of(caps).table());
        out.println();
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withSeed(seed).withSteps(steps).withRuns(runs)
                .withReplayDirectory(replayDir).withShrinkBudget(Duration.ofSeconds(shrinkSeconds));
        LockstepCheck check = new LockstepCheck(ReferenceBackends.reference(caps), subject,
                DivergenceCatalogue.load(), config);
        out.printf("lockstep: %s against %s; seed %d, %d runs of %d steps, replays from %s%n",
                ReferenceBackends.reference(caps).name(), subjectName, seed, runs, steps, replayDir);
        out.flush();
        LockstepCheck.Summary summary = check.run(out);
        LockstepCheck.printSummary(out, summary);
        // A divergence that does not come back when its exact steps are re-run (the kernel's timing, seen on
        // CQE_MIXED rings with overflow about once in 60,000 runs) is printed and saved under unstable/ but does
        // not fail the check; a reproducible new divergence does.
        // A stated invariant the kernel breaks where no catalogue entry explains it is a new finding too.
        boolean newOnKernel = !summary.invariants().newOnKernel(config.kernelSide()).isEmpty();
        return summary.newDivergences().stream().anyMatch(LockstepCheck.Finding::stable) || newOnKernel ? 1 : 0;
    }
}
