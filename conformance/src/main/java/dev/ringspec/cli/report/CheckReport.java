package dev.ringspec.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.LockstepRunner;
import java.time.Instant;
import java.util.List;

/**
 * What one {@code ringspec check} found, gathered for the reports ({@link Reports}): one {@link Kernel} per kernel
 * checked (one, or the matrix's), the command's exit status, and the catalogue the findings were matched against.
 * The check computes all of it anyway; the reports only lay it out.
 *
 * @param command the command line as typed ({@code check --out DIR ...})
 * @param started when the check started
 * @param seconds how long it took, wall clock
 * @param status the command's exit status (the worst kernel's, see {@code ringspec --help})
 * @param outcome the status in words ("ok", "divergence", "bad replay", ...)
 * @param kernels one per kernel, in the order checked
 * @param catalogue the divergence catalogue the findings were classified with
 */
public record CheckReport(String command, Instant started, double seconds, int status, String outcome,
        List<Kernel> kernels, DivergenceCatalogue catalogue) {

    /** The JSON report's {@code schema}; raised when a field changes meaning or goes away (adding one does not). */
    public static final String SCHEMA = "ringspec-check-report/1";
    /** Where the catalogue lives in the source tree: the reports link its entries there. */
    public static final String CATALOGUE_FILE = "conformance/src/main/resources/divergence-catalogue.json";

    public CheckReport {
        kernels = List.copyOf(kernels);
    }

    /**
     * One kernel's check.
     *
     * @param kernel the spec as named ({@code native}, {@code debian:7.2})
     * @param status its exit status
     * @param outcome its status in words ("ok", "divergence", "unavailable", ...)
     * @param reason one sentence when it could not be checked, else null
     * @param release the kernel release, or null
     * @param profile the model profile chosen from its capabilities, or null
     * @param bootSeconds a guest's boot time, null for this machine's kernel
     * @param capsTable the capability report beside the latest uapi, as {@code ringspec caps} prints it (null when
     *     the kernel could not be probed)
     * @param caps the same report as {@code ringspec caps --json} writes it
     * @param lockstep the lockstep check, or null when it did not run
     * @param bpfStatus the exit status of the classic-BPF check that follows the native check, or null
     */
    public record Kernel(String kernel, int status, String outcome, String reason, String release, String profile,
            Double bootSeconds, String capsTable, JsonNode caps, Lockstep lockstep, Integer bpfStatus) {

        /** A kernel that could not be checked. */
        public static Kernel failed(String kernel, int status, String outcome, String reason) {
            return new Kernel(kernel, status, outcome, reason, null, null, null, null, null, null, null);
        }
    }

    /**
     * A lockstep check of one kernel: the first part with the replays, then, with keep-going, the rest of the budget.
     *
     * @param reference the reference's name ({@code model, profile 7.1})
     * @param subject the subject's name ({@code kernel})
     * @param kernelSide which side is the kernel
     * @param seed the first run's seed
     * @param stepsPerRun steps per generated run
     * @param plannedRuns the budget of generated runs, or -1 in deep mode
     * @param parts what each part did
     * @param budget the deep mode's budget as given ({@code 30m}, {@code 500000steps}), or null
     */
    public record Lockstep(String reference, String subject, LockstepRunner.Role kernelSide, long seed,
            int stepsPerRun, int plannedRuns, List<LockstepCheck.Summary> parts, String budget) {

        public Lockstep {
            parts = List.copyOf(parts);
        }
    }
}
