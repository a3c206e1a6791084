package dev.ringspec.lockstep;

import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference model's choice points ({@link Choice}) in a lockstep run. The model asks this chooser at each one;
 * it answers the default, except at a step where the run has accepted another allowed outcome. When a step diverges
 * after the model reached a choice point in it, or in one of the few steps before it, the runner rebuilds the
 * reference with each other outcome in turn ({@link #candidates}, {@link ChoiceRebuild}) and, if one of them agrees
 * with the subject, goes on with it and names it ({@link Taken#describe()}): the kernel did one of the things it may
 * do, not something wrong.
 */
final class Choices implements Chooser {
    /** How many steps back a choice may have been made before the difference it explains shows. */
    static final int LOOKBACK_STEPS = 64;
    /** How many of those earlier steps that reached a choice are tried, the nearest first. */
    static final int LOOKBACK_CHOICE_STEPS = 8;

    /** An outcome other than the default, taken at a step: at one occurrence of the choice there, or at every one. */
    record Taken(int step, Choice choice, int outcome, int occurrence) {

        /** What coverage counts and a report names: {@code OVERFLOW_FLUSH_RESCHEDULES = reschedule}. */
        String describe() {
            return choice.name() + " = " + choice.outcomes().get(outcome);
        }

        boolean appliesTo(Choice c, int k) {
            return c == choice && (occurrence < 0 || occurrence == k);
        }
    }

    /** A step the reference ran and the subject agreed with, in run order: what a rebuilt reference replays. */
    record Ran(int index, Step step) {
    }

    private final List<Ran> ran = new ArrayList<>();
    private final Map<Integer, Taken> planned = new HashMap<>();
    /** The choices each step that ran reached, and how often: where an earlier step may be rebuilt. */
    private final Map<Integer, Map<Choice, Integer>> reachedAt = new HashMap<>();
    /** The count of the live reference, which takes the planned outcomes. */
    private Counting live = new Counting(null);

    /**
     * One side's count of the choices reached in the step it runs, in the order first reached, and the outcomes it
     * takes: the planned ones, and a trial's. Each side that replays the run counts for itself.
     */
    final class Counting implements Chooser {
        private final Taken trial;
        private int currentStep;
        private final Map<Choice, Integer> reached = new LinkedHashMap<>();
        /** The choices of each step this side ran. */
        private final Map<Integer, Map<Choice, Integer>> history = new HashMap<>();

        private Counting(Taken trial) {
            this.trial = trial;
        }

        /** Before the side runs step {@code index} (also when it replays it). */
        void beforeStep(int index) {
            if (!reached.isEmpty()) {
                history.put(currentStep, new LinkedHashMap<>(reached));
            }
            currentStep = index;
            reached.clear();
        }

        @Override
        public int choose(Choice choice, int ringFd) {
            int k = reached.merge(choice, 1, Integer::sum) - 1;
            Taken t = trial != null && trial.step() == currentStep ? trial : planned.get(currentStep);
            return t != null && t.appliesTo(choice, k) ? t.outcome() : choice.defaultOutcome();
        }
    }

    /** A new run. */
    void reset() {
        ran.clear();
        planned.clear();
        reachedAt.clear();
        live = new Counting(null);
    }

    /** Before the reference runs step {@code index}. */
    void beforeStep(int index) {
        live.beforeStep(index);
    }

    /** Step {@code index} ran and agreed: a rebuilt reference replays it. */
    void ran(int index, Step step) {
        ran.add(new Ran(index, step));
        if (!live.reached.isEmpty()) {
            reachedAt.put(index, new LinkedHashMap<>(live.reached));
        }
    }

    List<Ran> ranSteps() {
        return List.copyOf(ran);
    }

    /** A count for a side that replays the run taking {@code trial} besides the planned outcomes (null: only those). */
    Counting replaying(Taken trial) {
        return new Counting(trial);
    }

    /**
     * The trial of {@code side} explained the difference at step {@code index}: from now on the run takes it, and
     * what that side reached from the trial's step on is what the run reached.
     */
    void accept(Counting side, int index) {
        planned.put(side.trial.step(), side.trial);
        reachedAt.keySet().removeIf(step -> step >= side.trial.step());
        side.history.forEach((step, choices) -> {
            if (step >= side.trial.step() && step < index) {
                reachedAt.put(step, choices);
            }
        });
        live = side;
    }

    /** The live count: the chooser a rebuilt reference takes once its trial is accepted. */
    Chooser live() {
        return live;
    }

    /**
     * The outcomes to try where step {@code index} diverged: those of the choices this step reached first (the one
     * reached last first, nearest the difference), then those of the nearest {@value #LOOKBACK_CHOICE_STEPS} earlier
     * steps within {@value #LOOKBACK_STEPS} that reached one and have no outcome planned yet.
     */
    List<Taken> candidates(int index) {
        List<Taken> out = new ArrayList<>(alternatives(index, live.reached));
        int steps = 0;
        for (int i = ran.size() - 1; i >= 0 && steps < LOOKBACK_CHOICE_STEPS; i--) {
            int at = ran.get(i).index();
            if (at < index - LOOKBACK_STEPS) {
                break;
            }
            Map<Choice, Integer> there = reachedAt.get(at);
            if (there != null && !planned.containsKey(at)) {
                out.addAll(alternatives(at, there));
                steps++;
            }
        }
        return out;
    }

    /**
     * The other outcomes of each choice reached in step {@code index}: each non-default outcome at each occurrence
     * of the choice in the step, then at every occurrence; the choice reached last first.
     */
    private static List<Taken> alternatives(int index, Map<Choice, Integer> reached) {
        List<Taken> out = new ArrayList<>();
        List<Choice> order = new ArrayList<>(reached.keySet());
        java.util.Collections.reverse(order);
        for (Choice c : order) {
            int times = reached.get(c);
            for (int outcome = 0; outcome < c.outcomes().size(); outcome++) {
                if (outcome == c.defaultOutcome()) {
                    continue;
                }
                for (int k = 0; k < times; k++) {
                    out.add(new Taken(index, c, outcome, k));
                }
                if (times > 1) {
                    out.add(new Taken(index, c, outcome, -1));
                }
            }
        }
        return out;
    }

    @Override
    public int choose(Choice choice, int ringFd) {
        return live.choose(choice, ringFd);
    }
}
