package dev.ringspec.teach;

import dev.ringspec.lockstep.Coverage;
import dev.ringspec.lockstep.Divergence;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.lockstep.ReplayCase;
import dev.ringspec.model.Rule;
import dev.ringspec.seam.Backend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays a saved lockstep case (a divergence the check saved, or a catalogue entry's replay) on the model and this
 * kernel (or a guest kernel) through the lockstep engine, and draws both rings after each step up to the step where
 * they part, with one sentence per model rule that acted in each step, as a lesson shows them.
 */
public final class ReplayRun {
    private ReplayRun() {
    }

    /** The rules whose counts in {@code cov} moved since {@code counted}, once per firing; {@code counted} updated. */
    private static List<Frame.Fired> rulesSince(Coverage cov, Map<Rule, Long> counted) {
        List<Frame.Fired> fired = new ArrayList<>();
        for (Rule rule : Rule.all()) {
            long now = cov.count(rule);
            for (long n = counted.getOrDefault(rule, 0L); n < now; n++) {
                fired.add(Frame.Fired.of(rule, 0));
            }
            counted.put(rule, now);
        }
        return fired;
    }

    /**
     * Runs {@code replay} with {@code model} as the reference and {@code kernel} as the subject.
     *
     * @param source the replay's path, for the title
     * @param entry the catalogue entry the replay belongs to, or {@code null}
     */
    public static Explanation run(ReplayCase replay, String source, DivergenceCatalogue.Entry entry, Backend model,
            Backend kernel) {
        List<String> notes = new ArrayList<>();
        notes.add("Saved from seed " + Long.toUnsignedString(replay.seed()) + " on " + replay.kernelRelease() + ": "
                + replay.reference() + " against " + replay.subject() + ", " + replay.steps().size()
                + " steps; it diverged at step " + (replay.divergentStep() + 1) + " (" + replay.signature() + ").");
        if (entry != null) {
            notes.add("Catalogue entry " + entry.id() + " (" + entry.kernelVersions() + ").");
            notes.add("Observed: " + entry.observed());
            notes.add("Intended: " + entry.intended());
        }
        List<Frame> frames = new ArrayList<>();
        LockstepRunner.Outcome outcome;
        // The engine's model referees the run and hears its rules; the run's coverage counts them, and the counts
        // that moved in a step name the rules that acted in it (in the order the model defines them, details unheard)
        Coverage cov = new Coverage();
        Map<Rule, Long> counted = new HashMap<>();
        try (LockstepRunner runner = new LockstepRunner(model, kernel)) {
            outcome = runner.run(replay.steps(), cov, (index, step, reference, subject) -> frames.add(new Frame(
                    index + 1, index + 1, step.describe(), List.of(),
                    new Frame.View(reference, (long) reference.result(), null, rulesSince(cov, counted), List.of(),
                            List.of(), List.of()),
                    new Frame.View(subject, (long) subject.result(), null, List.of(), List.of(), List.of(),
                            List.of()))));
        }
        int parted = 0;
        Divergence d = outcome.divergence();
        if (d != null) {
            parted = d.step() + 1;
            notes.add("Here they part at step " + parted + ": " + d.field() + " is " + d.referenceValue()
                    + " on the model and " + d.subjectValue() + " on the kernel.");
        } else {
            notes.add("Here they do not part: this kernel agrees with the model on every step"
                    + (entry != null ? " (the entry names the kernels it was seen on)." : "."));
        }
        return new Explanation(source, "Replay: " + replay.signature(), notes, model.name(), kernel.name(), frames,
                d != null ? "At step " + parted + ", which side follows the intended semantics, and which rule of the "
                        + "model names it? Run `ringspec check` to see whether this kernel still shows it."
                        : "Which kernel versions does the catalogue name for it, and what changed since?", parted);
    }
}
