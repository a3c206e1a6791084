package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ringspec check}: the main job, checking this kernel against the model. Until the lockstep engine lands
 * it runs the capability report and says so.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check this kernel against the model (for now: the capability report; the lockstep run "
                + "comes with the reference model).")
final class CheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        IoUringAvailability availability = IoUringAvailability.probe();
        if (!availability.available()) {
            spec.commandLine().getErr().println("ringspec: " + availability.reason());
            return IoUringAvailability.EXIT_UNAVAILABLE;
        }
        out.println("ringspec check: the lockstep run against the reference model is not built yet; "
                + "this is the capability report of this kernel.");
        out.println();
        KernelCapabilities caps = CapabilityProbe.probe(new NativeIoUring());
        out.print(CapsReport.of(caps).table());
        out.flush();
        return 0;
    }
}
