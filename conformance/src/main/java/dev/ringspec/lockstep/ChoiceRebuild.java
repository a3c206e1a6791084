package dev.ringspec.lockstep;

import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Rebuilds the reference of a lockstep run with another allowed outcome at one of the model's choice points
 * ({@link Choices#candidates}), for a step whose difference the outcomes it took do not explain.
 *
 * <p>A choice made in the diverging step is tried by a fresh reference that replays the run's steps so far and then
 * this one, taking the other outcome there. A choice made some steps earlier may show only later (an io-wq
 * completion that the kernel queued behind the task's own task work is posted by the next wait, not by the enter
 * that raced it): a fresh reference takes the other outcome at that earlier step, and a second one replays the run
 * as it was taken, beside it. Every step from the choice's on must leave the two alike, since the subject agreed
 * with the run as taken there; so an outcome is accepted only where nothing the subject showed contradicts it. A
 * replay of the run as taken must also end as the reference did, or the replay proves nothing.
 */
final class ChoiceRebuild {
    private final Choices choices;
    private final Referee referee;
    /** A fresh side of the reference's backend. */
    private final Supplier<Side> freshReference;
    /** How the runner executes a step on a side (another thread for some steps, a return to user with a world). */
    private final BiConsumer<Side, Step> execute;

    ChoiceRebuild(Choices choices, Referee referee, Supplier<Side> freshReference, BiConsumer<Side, Step> execute) {
        this.choices = choices;
        this.referee = referee;
        this.freshReference = freshReference;
        this.execute = execute;
    }

    /** The reference rebuilt with {@code taken}, which agrees with the subject at the step that diverged. */
    record Rebuilt(Choices.Taken taken, Side side) {
    }

    /**
     * Step {@code index} diverged: the first rebuilt reference that agrees with {@code subject} after it, or null.
     * {@code reference} is the run's reference after the step; rules fired by the replays count for nobody.
     */
    Rebuilt explain(int index, Step step, Side reference, Side subject, Coverage coverage) {
        Referee.Heard heard = referee.heard();
        for (Choices.Taken t : choices.candidates(index)) {
            Side trial = freshReference.get();
            RefereeModel model = RefereeModel.of(trial.kernel);
            model.listen().accept(referee);
            Choices.Counting trialChoices = choices.replaying(t);
            model.choose().accept(trialChoices);
            // the run as taken, beside a trial of an earlier step
            Side asTaken = t.step() < index ? freshReference.get() : null;
            Choices.Counting asTakenChoices = choices.replaying(null);
            if (asTaken != null) {
                RefereeModel.of(asTaken.kernel).choose().accept(asTakenChoices);
            }
            referee.reset(null); // the replay's rules were counted when they first fired
            boolean agrees = replay(t, trialChoices, trial, asTakenChoices, asTaken)
                    && run(index, step, trialChoices, trial, subject, true)
                    && (asTaken == null || run(index, step, asTakenChoices, asTaken, reference, false));
            if (asTaken != null) {
                asTaken.close();
            }
            if (agrees) {
                choices.accept(trialChoices, index);
                model.choose().accept(choices);
                referee.restore(referee.heard(), coverage);
                return new Rebuilt(t, trial);
            }
            trial.close();
            referee.restore(heard, coverage);
        }
        return null;
    }

    /**
     * Replays the run's steps on {@code trial} and, for a choice of an earlier step, on {@code asTaken}: false where
     * the two differ after any step from the trial's choice on.
     */
    private boolean replay(Choices.Taken t, Choices.Counting trialChoices, Side trial, Choices.Counting asTakenChoices,
            Side asTaken) {
        for (Choices.Ran r : choices.ranSteps()) {
            trialChoices.beforeStep(r.index());
            referee.beforeStep(r.step());
            execute.accept(trial, r.step());
            if (asTaken == null) {
                continue;
            }
            asTakenChoices.beforeStep(r.index());
            execute.accept(asTaken, r.step());
            if (r.index() >= t.step() && Comparison.compare(r.step(), trial, trial.observeCounters(), asTaken,
                    asTaken.observeCounters()) != null) {
                return false;
            }
        }
        return true;
    }

    /** Runs the diverging step on {@code side} (the referee's, or not): whether it then agrees with {@code other}. */
    private boolean run(int index, Step step, Choices.Counting sideChoices, Side side, Side other, boolean refereed) {
        sideChoices.beforeStep(index);
        if (refereed) {
            referee.beforeStep(step);
        }
        execute.accept(side, step);
        return Comparison.compare(step, side, side.observeCounters(), other, other.observeCounters()) == null;
    }
}
