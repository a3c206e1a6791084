package dev.ringspec.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringspec caps}: what this kernel's io_uring supports, beside the latest uapi. */
@Command(name = "caps", mixinStandardHelpOptions = true,
        description = "Report what this kernel's io_uring supports, beside the latest uapi (Linux 7.1).")
final class CapsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the report as JSON.")
    private boolean json;

    @Option(names = "--kernel", paramLabel = "SPEC", description = "Report on a kernel booted in QEMU instead: "
            + "debian:6.1, debian:6.12, debian:7.2, debian:7.3 (the newest matching package), or a bzImage path.")
    private String kernel;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (kernel != null && !kernel.equals("native")) {
            return GuestKernels.withGuest(kernel, spec.commandLine().getErr(), (guest, memory) -> {
                KernelCapabilities caps = GuestKernels.probe(guest, memory, kernel, spec.commandLine().getErr());
                if (caps == null) {
                    return ExitStatus.UNAVAILABLE;
                }
                CapsReport report = CapsReport.of(caps);
                out.print(json ? mapper().writeValueAsString(report) + "\n" : report.table());
                out.flush();
                return 0;
            });
        }
        IoUringAvailability availability = IoUringAvailability.probe();
        if (!availability.available()) {
            if (json) {
                out.println(mapper().writeValueAsString(CapsReport.unavailable(availability)));
            } else {
                spec.commandLine().getErr().println("ringspec: " + availability.reason());
            }
            out.flush();
            return IoUringAvailability.EXIT_UNAVAILABLE;
        }
        KernelCapabilities caps = CapabilityProbe.probe(new NativeIoUring());
        CapsReport report = CapsReport.of(caps);
        if (json) {
            out.println(mapper().writeValueAsString(report));
        } else {
            out.print(report.table());
        }
        out.flush();
        return 0;
    }

    static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);
    }
}
