package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;

import dev.ringspec.invariants.InvariantChecker;
import dev.ringspec.invariants.RingInvariant;
import dev.ringspec.invariants.RingStep;
import dev.ringspec.invariants.Violation;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The stated invariants ({@link RingInvariant}) checked after every lockstep step on both sides, the kernel
 * included: one {@link InvariantChecker} per side and run. A violation is a finding of its own, whether or not the
 * sides agree; on the kernel's side it is matched against the divergence catalogue (an entry's {@code invariants}).
 * {@link #takeRun} hands a run's results to the caller, so shrinking and confirmation re-runs are not counted.
 */
public final class InvariantWatch {
    /** {@code -Dringspec.invariants=off} skips the checks (to measure what they cost). */
    static final boolean ENABLED = !"off".equals(System.getProperty("ringspec.invariants"));
    private InvariantChecker reference = new InvariantChecker();
    private InvariantChecker subject = new InvariantChecker();
    private final List<SideViolation> violations = new ArrayList<>();
    /** Each side's last observation, whose unchanged parts the next capture shares instead of copying again. */
    private final RingObservation.Capturer referenceCapture = new RingObservation.Capturer();
    private final RingObservation.Capturer subjectCapture = new RingObservation.Capturer();

    /**
     * A violation on one side of a run, with what the reference model knew of the kernel at that step
     * ({@link Divergence#referenceNotes()}), which a catalogue entry's matcher may ask for.
     */
    public record SideViolation(LockstepRunner.Role side, Violation violation, Step step, Set<String> referenceNotes) {
    }

    /** What one run's invariants said: counts per side and the violations. */
    public record RunResult(Map<RingInvariant, InvariantChecker.Count> reference,
            Map<RingInvariant, InvariantChecker.Count> subject, List<SideViolation> violations) {
    }

    void begin() {
        reference = new InvariantChecker();
        subject = new InvariantChecker();
        violations.clear();
        referenceCapture.reset();
        subjectCapture.reset();
    }

    /** Checks both sides after {@code op} (the inner step of an {@link Step.OnOtherThread}). */
    void afterStep(int index, Step op, Ring referenceRing, int referenceResult, int referenceHead, Ring subjectRing,
            int subjectResult, int subjectHead, Supplier<Set<String>> referenceNotes) {
        if (!ENABLED) {
            return;
        }
        RingStep step = ringStep(op);
        List<Violation> found = reference.step(index, step,
                referenceCapture.capture(referenceRing, referenceResult, referenceHead));
        for (int i = 0; i < found.size(); i++) {
            violations.add(new SideViolation(LockstepRunner.Role.REFERENCE, found.get(i), op, referenceNotes.get()));
        }
        found = subject.step(index, step, subjectCapture.capture(subjectRing, subjectResult, subjectHead));
        for (int i = 0; i < found.size(); i++) {
            violations.add(new SideViolation(LockstepRunner.Role.SUBJECT, found.get(i), op, referenceNotes.get()));
        }
    }

    /** After the engine carried a catalogued difference over into the reference's ring. */
    void resyncReference(Ring ring, int result, int head) {
        reference.resync(referenceCapture.capture(ring, result, head));
    }

    /** The run just done: its counts and violations. */
    public RunResult takeRun() {
        return new RunResult(reference.counts(), subject.counts(), List.copyOf(violations));
    }

    static RingStep ringStep(Step op) {
        return switch (op) {
            case Step.Setup s -> new RingStep.Setup();
            case Step.WriteSqe w -> new RingStep.ApplicationWrite(RingStep.Field.SQES);
            case Step.WriteSqe128 w -> new RingStep.ApplicationWrite(RingStep.Field.SQES);
            case Step.WriteArray a -> new RingStep.ApplicationWrite(RingStep.Field.SQ_ARRAY);
            case Step.PublishTail p -> new RingStep.ApplicationWrite(RingStep.Field.SQ_TAIL);
            case Step.Enter e -> new RingStep.Enter(e.toSubmit(), e.minComplete(), e.flags());
            case Step.ConsumeCqes c -> new RingStep.ApplicationWrite(RingStep.Field.CQ_HEAD);
            case Step.MoveCqHead m -> new RingStep.ApplicationWrite(RingStep.Field.CQ_HEAD);
            case Step.MoveSqHead m -> new RingStep.ApplicationWrite(RingStep.Field.SQ_HEAD);
            case Step.RegisterFiles r -> new RingStep.Register(IORING_REGISTER_FILES2);
            case Step.UpdateFiles u -> new RingStep.Register(IORING_REGISTER_FILES_UPDATE);
            case Step.UnregisterFiles u -> new RingStep.Register(IORING_UNREGISTER_FILES);
            case Step.RegisterBuffers b -> new RingStep.Register(IORING_REGISTER_BUFFERS);
            case Step.UnregisterBuffers u -> new RingStep.Register(IORING_UNREGISTER_BUFFERS);
            case Step.EnableRings e -> new RingStep.Register(IORING_REGISTER_ENABLE_RINGS);
            case Step.RegisterRestrictions r -> new RingStep.Register(IORING_REGISTER_RESTRICTIONS);
            case Step.Resize r -> new RingStep.Register(IORING_REGISTER_RESIZE_RINGS);
            case Step.Probe p -> new RingStep.Register(IORING_REGISTER_PROBE);
            case Step.RegisterBpfFilter f -> new RingStep.Register(IORING_REGISTER_BPF_FILTER);
            case Step.ArgSqe a -> new RingStep.ApplicationWrite(RingStep.Field.SQES);
            case Step.WriteIo w -> new RingStep.ApplicationWrite(RingStep.Field.SQES);
            // runs with real I/O are not watched (LockstepRunner#withWorld); a world step makes no call on the ring
            case Step.Outside o -> new RingStep.Register(IORING_REGISTER_RESTRICTIONS);
            case Step.OnOtherThread o -> ringStep(o.op());
            // a call on the task, not on the ring: like a blind register, it must leave the ring as it was
            case Step.TaskStep t -> new RingStep.Register(IORING_REGISTER_RESTRICTIONS);
        };
    }

    /** Invariant results over a whole check: totals per side, and every violation with its run's seed. */
    public static final class Totals {
        private Map<RingInvariant, InvariantChecker.Count> reference = new EnumMap<>(RingInvariant.class);
        private Map<RingInvariant, InvariantChecker.Count> subject = new EnumMap<>(RingInvariant.class);
        private final List<Seen> seen = new ArrayList<>();

        /** A violation, the seed of its run and the catalogue entry it matched (kernel side only). */
        public record Seen(long seed, boolean fromReplay, SideViolation violation,
                Optional<DivergenceCatalogue.Entry> catalogued) {
        }

        void add(long seed, boolean fromReplay, RunResult run, DivergenceCatalogue catalogue,
                LockstepRunner.Role kernelSide) {
            reference = InvariantChecker.sum(reference, run.reference());
            subject = InvariantChecker.sum(subject, run.subject());
            for (SideViolation v : run.violations()) {
                Optional<DivergenceCatalogue.Entry> entry = v.side() == kernelSide
                        ? catalogue.matchInvariant(v.violation(), v.referenceNotes()) : Optional.empty();
                seen.add(new Seen(seed, fromReplay, v, entry));
            }
        }

        public List<Seen> seen() {
            return List.copyOf(seen);
        }

        /** Violations on the model's side: the specification breaking its own invariants. */
        public List<Seen> onModel(LockstepRunner.Role kernelSide) {
            return seen.stream().filter(s -> s.violation().side() != kernelSide).toList();
        }

        /** Kernel-side violations no catalogue entry explains. */
        public List<Seen> newOnKernel(LockstepRunner.Role kernelSide) {
            return seen.stream().filter(s -> s.violation().side() == kernelSide && s.catalogued().isEmpty()).toList();
        }

        /** The table: every invariant, its source, checks and violations on each side; then the violations. */
        public void print(PrintWriter out, String referenceName, String subjectName) {
            out.println();
            out.printf("Invariants (checks / violations; %s | %s):%n", referenceName, subjectName);
            for (RingInvariant invariant : RingInvariant.values()) {
                InvariantChecker.Count r = reference.getOrDefault(invariant, new InvariantChecker.Count(0, 0));
                InvariantChecker.Count s = subject.getOrDefault(invariant, new InvariantChecker.Count(0, 0));
                out.printf("  %-34s %10d / %-6d | %10d / %-6d%n", invariant.name(), r.checks(), r.violations(),
                        s.checks(), s.violations());
                out.printf("      %s%n", invariant.source());
            }
            Map<String, List<Seen>> groups = new LinkedHashMap<>();
            for (Seen s : seen) {
                String side = s.violation().side() == LockstepRunner.Role.REFERENCE ? referenceName : subjectName;
                String key = side + ": " + s.violation().violation().invariant().name()
                        + s.catalogued().map(e -> " (catalogued: " + e.id() + ")").orElse("");
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
            }
            long kernel = seen.stream().filter(x -> x.catalogued().isPresent()).count();
            long unexplained = seen.stream().filter(x -> x.catalogued().isEmpty()).count();
            out.printf("invariant violations: %d explained by the catalogue (kernel), %d not (new on the kernel, or"
                    + " the model breaking its own invariants)%n", kernel, unexplained);
            for (Map.Entry<String, List<Seen>> g : groups.entrySet()) {
                Seen first = g.getValue().getFirst();
                out.printf("  %d x %s; first in %s %d: %s%n", g.getValue().size(), g.getKey(),
                        first.fromReplay() ? "replay of seed" : "seed", first.seed(), first.violation().violation());
            }
        }
    }
}
