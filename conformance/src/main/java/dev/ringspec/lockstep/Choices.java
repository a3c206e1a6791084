package dev.ringspec.lockstep;

import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference model's choice points ({@link Choice}) in a lockstep run. The model asks this chooser at each one;
 * it answers the default, except at a step where the run has accepted another allowed outcome. When a step diverges
 * after the model reached a choice point in it, the runner rebuilds the reference with each other outcome in turn
 * ({@link #alternatives}) and, if one of them agrees with the subject, goes on with it and names it
 * ({@link Taken#describe()}): the kernel did one of the things it may do, not something wrong.
 */
final class Choices implements Chooser {

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
    private int currentStep;
    /** How often each choice was reached in the current step, in the order first reached. */
    private final Map<Choice, Integer> reached = new java.util.LinkedHashMap<>();

    /** A new run. */
    void reset() {
        ran.clear();
        planned.clear();
    }

    /** Before the reference runs step {@code index} (also when a rebuilt reference replays it). */
    void beforeStep(int index) {
        currentStep = index;
        reached.clear();
    }

    /** Step {@code index} ran and agreed: a rebuilt reference replays it. */
    void ran(int index, Step step) {
        ran.add(new Ran(index, step));
    }

    List<Ran> ranSteps() {
        return List.copyOf(ran);
    }

    /** Whether the model reached a choice point in the current step. */
    boolean reachedAny() {
        return !reached.isEmpty();
    }

    /**
     * The other outcomes of each choice reached in step {@code index}, to try one by one: each non-default outcome
     * at each occurrence of the choice in the step, then at every occurrence; the choice reached last first (the one
     * nearest the difference).
     */
    List<Taken> alternatives(int index) {
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

    /** From now on the model takes {@code t} at its step (when that step runs or is replayed). */
    void plan(Taken t) {
        planned.put(t.step(), t);
    }

    void unplan(int index) {
        planned.remove(index);
    }

    @Override
    public int choose(Choice choice, int ringFd) {
        int k = reached.merge(choice, 1, Integer::sum) - 1;
        Taken t = planned.get(currentStep);
        return t != null && t.appliesTo(choice, k) ? t.outcome() : choice.defaultOutcome();
    }
}
