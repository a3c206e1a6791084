package dev.ringspec.cli.report;

import dev.ringspec.lockstep.Coverage;
import dev.ringspec.lockstep.Divergence;
import dev.ringspec.lockstep.InvariantWatch;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.Step;
import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One kernel's check as every report lays it out: the totals, one {@link Area} per part of the check, the coverage
 * summed over the parts, the catalogue hits, and each new divergence with what the terminal printed for it. Built
 * once from the check's own results; the four writers only format it.
 */
final class KernelView {
    /** The areas of a lockstep check, in the order they run. */
    static final String REPLAYS = "replays";
    static final String GENERATED = "generated runs";
    static final String INVARIANTS = "invariants";
    static final String BPF = "classic BPF";

    /**
     * One part of the check and its outcome.
     *
     * @param outcome "passed", "failed" (a new divergence), "error" (bad input) or "skipped" (did not run)
     * @param tests how many cases it ran (replays, generated runs, programs), -1 when unknown
     * @param summary one sentence
     * @param failures the new divergences that failed it (their anchors in {@link #findings})
     */
    record Area(String name, String outcome, int tests, String summary, List<NewFinding> failures) {
    }

    /**
     * A catalogued kernel difference the check met.
     *
     * @param runs generated runs that hit it
     * @param firstSeed the first such run's seed, or -1
     * @param replays replays that still show it
     */
    record Hit(String id, long runs, long firstSeed, long replays) {
    }

    /**
     * A divergence the catalogue does not explain, as the terminal printed it.
     *
     * @param anchor its id within a report ({@code new-1})
     * @param steps the shrunk steps, described
     * @param diff the two rings after the divergent step, side by side
     * @param cReproducer the C reproducer, or null (an unstable repeat is not reproduced again)
     * @param junitBody the JUnit test method, or null
     */
    record NewFinding(String anchor, String title, long seed, boolean fromReplay, String replayFile, boolean stable,
            String signature, String field, int step, String referenceValue, String subjectValue,
            List<String> steps, String shrink, String diff, String cReproducer, String junitBody) {
    }

    final CheckReport.Kernel kernel;
    final int replays;
    final int runs;
    final long steps;
    final double seconds;
    final boolean stopped;
    final List<String> replayFiles = new ArrayList<>();
    final List<String> badReplays = new ArrayList<>();
    final Map<String, Long> labels = new LinkedHashMap<>();
    final Map<String, Long> rules = new LinkedHashMap<>();
    final List<Hit> hits = new ArrayList<>();
    final List<NewFinding> findings = new ArrayList<>();
    final List<String> newInvariants = new ArrayList<>();
    final List<Area> areas = new ArrayList<>();

    KernelView(CheckReport.Kernel kernel, int index) {
        this.kernel = kernel;
        CheckReport.Lockstep l = kernel.lockstep();
        List<LockstepCheck.Summary> parts = l == null ? List.of() : l.parts();
        replays = parts.stream().mapToInt(LockstepCheck.Summary::replays).sum();
        runs = parts.stream().mapToInt(LockstepCheck.Summary::runs).sum();
        steps = parts.stream().mapToLong(LockstepCheck.Summary::steps).sum();
        seconds = parts.stream().mapToLong(LockstepCheck.Summary::nanos).sum() / 1e9;
        stopped = parts.stream().anyMatch(LockstepCheck.Summary::stopped);
        Coverage coverage = new Coverage();
        Map<String, long[]> byId = new TreeMap<>();
        for (LockstepCheck.Summary p : parts) {
            coverage.addAll(p.coverage());
            replayFiles.addAll(p.replayFiles());
            badReplays.addAll(p.badReplays());
            Map<String, java.util.Set<Long>> seeds = new TreeMap<>();
            for (LockstepCheck.Finding f : p.cataloguedDivergences()) {
                seeds.computeIfAbsent(f.catalogued().orElseThrow().id(), id -> new java.util.TreeSet<>()).add(f.seed());
            }
            seeds.forEach((id, s) -> {
                long[] h = byId.computeIfAbsent(id, k -> new long[] {0, Long.MAX_VALUE, 0});
                h[0] += s.size();
                h[1] = Math.min(h[1], s.iterator().next());
            });
            p.cataloguedReplays().stream().map(f -> f.catalogued().orElseThrow().id() + "\n" + f.replayFile())
                    .distinct().forEach(key -> byId.computeIfAbsent(key.split("\n")[0],
                            k -> new long[] {0, Long.MAX_VALUE, 0})[2]++);
            for (LockstepCheck.Finding f : p.newDivergences()) {
                findings.add(finding(f, l, "k" + index + "-new-" + (findings.size() + 1)));
            }
            for (InvariantWatch.Totals.Seen s : p.invariants().newOnKernel(l.kernelSide())) {
                newInvariants.add((s.fromReplay() ? "replay of seed " : "seed ") + s.seed() + ": "
                        + s.violation().violation() + " (at " + s.violation().step().describe() + ")");
            }
        }
        byId.forEach((id, h) -> hits.add(new Hit(id, h[0], h[1] == Long.MAX_VALUE ? -1 : h[1], h[2])));
        if (l != null) {
            labels.putAll(coverage.labels());
            rules.putAll(coverage.rules());
        }
        areas(l);
    }

    private void areas(CheckReport.Lockstep l) {
        if (l == null) {
            String why = kernel.reason() == null ? "the lockstep check did not run" : kernel.reason();
            for (String name : List.of(REPLAYS, GENERATED, INVARIANTS)) {
                areas.add(new Area(name, "skipped", -1, why, List.of()));
            }
        } else {
            List<NewFinding> inReplays = findings.stream().filter(NewFinding::fromReplay).toList();
            areas.add(new Area(REPLAYS, !inReplays.isEmpty() ? "failed" : !badReplays.isEmpty() ? "error" : "passed",
                    replays, replays + " replays run, " + inReplays.size() + " with a new divergence, "
                            + hits.stream().mapToLong(Hit::replays).sum() + " still showing a catalogued one, "
                            + badReplays.size() + " bad replay file(s) skipped", inReplays));
            List<NewFinding> generated = findings.stream().filter(f -> !f.fromReplay()).toList();
            boolean failed = generated.stream().anyMatch(NewFinding::stable);
            areas.add(new Area(GENERATED, failed ? "failed" : "passed", runs, (l.budget() != null
                    ? runs + " generated runs (deep mode, budget " + l.budget() + ")"
                    : runs + " of " + l.plannedRuns() + " generated runs") + " of " + l.stepsPerRun() + " steps from seed " + l.seed() + ", "
                    + generated.size() + " new divergence(s) (" + generated.stream().filter(f -> !f.stable()).count()
                    + " unstable), " + hits.stream().mapToLong(Hit::runs).sum() + " catalogued hit(s)"
                    + (stopped ? "; stopped early" : ""), generated));
            areas.add(new Area(INVARIANTS, newInvariants.isEmpty() ? "passed" : "failed", -1, newInvariants.isEmpty()
                    ? "no stated invariant broken on the kernel side that the catalogue does not explain"
                    : newInvariants.size() + " violation(s) on the kernel side no catalogue entry explains: "
                            + String.join("; ", newInvariants), List.of()));
        }
        Integer bpf = kernel.bpfStatus();
        areas.add(new Area(BPF, bpf == null ? "skipped" : bpf == 0 ? "passed" : "failed", -1, bpf == null
                ? "runs only after the check of this machine's kernel"
                : bpf == 0 ? "this kernel's socket filters agree with the cBPF model (or cannot be used here)"
                : "a difference from the cBPF model: the console shows it, bpf-replays/ keeps it", List.of()));
    }

    private static NewFinding finding(LockstepCheck.Finding f, CheckReport.Lockstep l, String anchor) {
        Divergence d = f.divergence();
        List<String> described = new ArrayList<>();
        for (int i = 0; i < f.steps().size(); i++) {
            Step s = f.steps().get(i);
            described.add(String.format("%3d  %s%s", i, s.describe(), i == d.step() ? "   <-- diverges" : ""));
        }
        String shrink = f.shrinkSummary();
        String diff = d.reference() == null || d.subject() == null ? null
                : RingObservation.sideBySide(l.reference(), d.reference(), l.subject(), d.subject());
        String file = f.replayFile() == null ? null : f.replayFile().toAbsolutePath().toString();
        String title = (f.stable() ? "" : "unstable: ") + d.signature() + " at step " + d.step()
                + (f.fromReplay() ? " (replay " + f.replayFile().getFileName() + ")" : " (seed " + f.seed() + ")");
        return new NewFinding(anchor, title, f.seed(), f.fromReplay(), file, f.stable(), d.signature(), d.field(),
                d.step(), d.referenceValue(), d.subjectValue(), described, shrink, diff, f.cReproducer(),
                f.junitBody());
    }

    /** Rules of the model no step made fire. */
    List<String> rulesNeverReached() {
        return rules.entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList();
    }

    /** Coverage labels no step reached. */
    List<String> labelsNeverReached() {
        return labels.entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList();
    }
}
