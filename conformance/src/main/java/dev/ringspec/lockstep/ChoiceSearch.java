package dev.ringspec.lockstep;

import dev.ringspec.model.Chooser;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The lockstep runner's choice search: the reference model's choice points in a run ({@link Choices}), and, where a
 * step diverged and the catalogue does not know the difference, the search for other allowed outcomes that make a
 * rebuilt reference agree with the subject ({@link ChoiceRebuild}). The runner swaps in the reference it returns.
 */
final class ChoiceSearch {
    /** The reference model's choice points: which outcome it takes at each. */
    private final Choices choices = new Choices();
    private final Referee referee;
    private final CarryOver carryOver;
    /** A fresh side of the reference's backend. */
    private final Supplier<Side> freshReference;
    /** How the runner executes a step on a side. */
    private final BiConsumer<Side, Step> execute;

    ChoiceSearch(Referee referee, CarryOver carryOver, Supplier<Side> freshReference,
            BiConsumer<Side, Step> execute) {
        this.referee = referee;
        this.carryOver = carryOver;
        this.freshReference = freshReference;
        this.execute = execute;
    }

    /** The chooser a reference that referees itself asks at its choice points. */
    Chooser chooser() {
        return choices;
    }

    /** A new run. */
    void reset() {
        choices.reset();
    }

    /** Before the reference runs step {@code index}. */
    void beforeStep(int index) {
        choices.beforeStep(index);
    }

    /** Step {@code index} ran and agreed ({@link Choices#ran}). */
    void ran(int index, Step step, boolean holding) {
        choices.ran(index, step, holding);
    }

    /**
     * Step {@code index} diverged: the reference rebuilt with another allowed outcome at a choice point of this step
     * or a few before ({@link ChoiceRebuild}) that agrees with the subject, or one whose difference only the
     * catalogue knows ({@link ChoiceRebuild.Rebuilt#catalogued}); or null. {@code subject} is the subject as the step
     * left it ({@link Side#frozen}), which every trial is compared with. The caller closes {@code reference} and
     * takes the rebuilt one.
     */
    ChoiceRebuild.Rebuilt explain(int index, Step step, Side reference, Side subject, Coverage coverage) {
        return new ChoiceRebuild(choices, referee, freshReference, execute, (trial, trialBefore) -> {
            Comparison.Difference d = Comparison.compare(step, trial, trial.observeCounters(), subject,
                    subject.observeCounters());
            return d != null && carryOver.catalogued(new Divergence(index, step, d.field(), d.referenceValue(),
                    d.subjectValue(), trial.observe(), subject.observe(), trialBefore.sqFlags(),
                    referee.notes())) != null;
        }).explain(index, step, reference, subject, coverage);
    }
}
