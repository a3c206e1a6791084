package dev.ringspec.cli;

import dev.ringspec.lockstep.LockstepCheck;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The matrix of {@code ringspec check --kernel A,B,...}: one row per kernel, one column per area, and the exit
 * status of the worst kernel ({@link ExitStatus#worst}).
 *
 * @param kernels one row per kernel, in the order named
 */
record MatrixReport(List<Row> kernels) {

    /**
     * One kernel's results.
     *
     * @param kernel the spec as named ({@code debian:7.2}, {@code native})
     * @param status its exit status ({@link ExitStatus})
     * @param outcome "ok", "divergence", "usage", "guest failed" or "unavailable"
     * @param reason one sentence when the kernel could not be checked, else null
     * @param release the kernel release, or null
     * @param profile the model profile chosen from its capabilities, or null
     * @param bootSeconds from QEMU's start to the agent's hello; null for the native kernel
     * @param features the named features present
     * @param scenarios not run from the command line (see the README: {@code -Dringspec.backends=guest:...})
     * @param runs generated runs done
     * @param steps checked steps (replays included)
     * @param stepsPerSecond checked steps per second
     * @param divergentRuns runs with a new divergence (with keep-going, every one; else at most one)
     * @param catalogueHits catalogued divergences by entry id: runs that hit each
     */
    record Row(String kernel, int status, String outcome, String reason, String release, String profile,
            Double bootSeconds, List<String> features, String scenarios, Integer runs, Long steps,
            Long stepsPerSecond, Integer divergentRuns, Map<String, Long> catalogueHits) {

        static Row failed(String kernel, int status, String reason) {
            return new Row(kernel, status, outcome(status), reason, null, null, null, null, null, null, null, null,
                    null, null);
        }

        static Row checked(String kernel, int status, String release, String profile, List<String> features,
                List<LockstepCheck.Summary> parts) {
            int runs = parts.stream().mapToInt(LockstepCheck.Summary::runs).sum();
            long steps = parts.stream().mapToLong(LockstepCheck.Summary::steps).sum();
            long nanos = parts.stream().mapToLong(LockstepCheck.Summary::nanos).sum();
            int divergent = parts.stream().mapToInt(p -> (int) p.newDivergences().stream()
                    .filter(f -> !f.fromReplay()).map(LockstepCheck.Finding::seed).distinct().count()).sum();
            Map<String, Long> hits = new TreeMap<>();
            for (LockstepCheck.Summary p : parts) {
                Map<String, java.util.Set<String>> byId = new TreeMap<>();
                for (LockstepCheck.Finding f : p.cataloguedDivergences()) {
                    byId.computeIfAbsent(f.catalogued().orElseThrow().id(), id -> new java.util.HashSet<>())
                            .add(f.fromReplay() + ":" + f.seed());
                }
                byId.forEach((id, seeds) -> hits.merge(id, (long) seeds.size(), Long::sum));
            }
            return new Row(kernel, status, outcome(status), null, release, profile, null, List.copyOf(features),
                    "not run here", runs, steps, nanos == 0 ? 0 : Math.round(steps * 1e9 / nanos), divergent, hits);
        }

        Row withRelease(String r) {
            return new Row(kernel, status, outcome, reason, r, profile, bootSeconds, features, scenarios, runs, steps,
                    stepsPerSecond, divergentRuns, catalogueHits);
        }

        Row withBoot(Double seconds) {
            return new Row(kernel, status, outcome, reason, release, profile, seconds, features, scenarios, runs,
                    steps, stepsPerSecond, divergentRuns, catalogueHits);
        }

        /** This row with the worse of its status and {@code other} (a splat found after its lockstep part). */
        Row worsenedBy(int other) {
            int worst = ExitStatus.worst(status, other);
            return new Row(kernel, worst, outcome(worst), reason, release, profile, bootSeconds, features, scenarios,
                    runs, steps, stepsPerSecond, divergentRuns, catalogueHits);
        }

        Row withReason(String r) {
            return new Row(kernel, status, outcome, r, release, profile, bootSeconds, features, scenarios, runs,
                    steps, stepsPerSecond, divergentRuns, catalogueHits);
        }

        static String outcome(int status) {
            return switch (status) {
                case ExitStatus.OK -> "ok";
                case ExitStatus.DIVERGENCE -> "divergence";
                case ExitStatus.USAGE -> "usage";
                case ExitStatus.UNAVAILABLE -> "unavailable";
                case ExitStatus.BAD_INPUT -> "bad replay";
                case ExitStatus.SPLAT -> "splat";
                case ExitStatus.INTERRUPTED -> "interrupted";
                default -> "guest failed";
            };
        }
    }

    /** The worst kernel's exit status; 0 for none. */
    int status() {
        int worst = ExitStatus.OK;
        for (Row row : kernels) {
            worst = ExitStatus.worst(worst, row.status());
        }
        return worst;
    }

    /** The matrix as a table: kernels down, areas across, then the reasons and the catalogue hits. */
    String table() {
        StringBuilder b = new StringBuilder();
        String format = "%-12s %-12s %-26s %-8s %6s %8s %6s %8s %8s %9s %9s%n";
        b.append(String.format(format, "kernel", "outcome", "release", "profile", "boot s", "features", "runs",
                "steps", "steps/s", "new div.", "cat. hits"));
        for (Row r : kernels) {
            b.append(String.format(format, r.kernel(), r.outcome(), dash(r.release()), dash(r.profile()),
                    r.bootSeconds() == null ? "-" : String.format("%.1f", r.bootSeconds()),
                    r.features() == null ? "-" : String.valueOf(r.features().size()), dash(r.runs()),
                    dash(r.steps()), dash(r.stepsPerSecond()), dash(r.divergentRuns()),
                    r.catalogueHits() == null ? "-"
                            : String.valueOf(r.catalogueHits().values().stream().mapToLong(Long::longValue).sum())));
        }
        b.append('\n');
        for (Row r : kernels) {
            if (r.reason() != null) {
                b.append(r.kernel()).append(": ").append(r.reason()).append('\n');
            }
            if (r.features() != null) {
                b.append(r.kernel()).append(" features: ")
                        .append(r.features().isEmpty() ? "none" : String.join(", ", r.features())).append('\n');
            }
            if (r.catalogueHits() != null && !r.catalogueHits().isEmpty()) {
                b.append(r.kernel()).append(" catalogue hits (runs): ").append(r.catalogueHits()).append('\n');
            }
        }
        b.append("scenarios: not run by the command line; run the scenario suite on a guest with "
                + "-Dringspec.backends=guest:debian:7.2 (README, Tests)\n");
        b.append(String.format("exit status %d (the worst kernel's; see ringspec --help)%n", status()));
        return b.toString();
    }

    private static String dash(Object value) {
        return value == null ? "-" : value.toString();
    }
}
