package dev.ringspec.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.cli.report.CheckReport;
import dev.ringspec.cli.report.Reports;
import dev.ringspec.lockstep.DivergenceCatalogue;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link CheckCommand} keeps for its reports while it runs: each kernel's capabilities and lockstep parts, as
 * the check computed them, and each kernel's row; at the end it writes the four reports ({@link Reports}).
 */
final class CheckReports {
    private final Instant started = Instant.now();
    private final long startNanos = System.nanoTime();
    private final String command;
    private final Map<String, Checked> checked = new HashMap<>();
    private final List<MatrixReport.Row> rows = new ArrayList<>();
    private Integer bpfStatus;

    private record Checked(String capsTable, JsonNode caps, CheckReport.Lockstep lockstep) {
    }

    CheckReports(List<String> args) {
        this.command = String.join(" ", args);
    }

    /** {@code kernel}'s capabilities and lockstep check, as the check ran them. */
    void checked(String kernel, KernelCapabilities caps, CheckReport.Lockstep lockstep) {
        CapsReport report = CapsReport.of(caps);
        checked.put(kernel, new Checked(report.table(), CapsCommand.mapper().valueToTree(report), lockstep));
    }

    /** A kernel's row, checked or not, in the order checked. */
    void row(MatrixReport.Row row) {
        rows.add(row);
    }

    /** Whether any kernel (or emulator) was checked or tried. */
    boolean hasRows() {
        return !rows.isEmpty();
    }

    /** The status of the classic-BPF check that follows the native kernel's. */
    void bpf(int status) {
        bpfStatus = status;
    }

    /** Writes the reports into {@code dir} and says where, or in one sentence why they could not be written. */
    void write(PrintWriter out, Path dir, int status) {
        List<CheckReport.Kernel> kernels = new ArrayList<>();
        for (MatrixReport.Row r : rows) {
            Checked c = checked.get(r.kernel());
            kernels.add(c == null ? CheckReport.Kernel.failed(r.kernel(), r.status(), r.outcome(), r.reason())
                    : new CheckReport.Kernel(r.kernel(), r.status(), r.outcome(), r.reason(), r.release(),
                            r.profile(), r.bootSeconds(), c.capsTable(), c.caps(), c.lockstep(),
                            r.kernel().equals("native") ? bpfStatus : null));
        }
        CheckReport report = new CheckReport(command, started,
                Duration.ofNanos(System.nanoTime() - startNanos).toMillis() / 1e3, status,
                MatrixReport.Row.outcome(status), kernels, DivergenceCatalogue.load());
        try {
            List<Path> files = Reports.write(dir, report);
            out.println("reports: " + String.join(", ", files.stream().map(Path::toString).toList()));
        } catch (IOException | RuntimeException e) {
            out.println("ringspec: the reports could not be written in " + dir + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        out.flush();
    }
}
