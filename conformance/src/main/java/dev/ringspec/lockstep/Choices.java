package dev.ringspec.lockstep;

import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reference model's choice points ({@link Choice}) in a lockstep run. The model asks this chooser at each one;
 * it answers the default, except at a step where the run has accepted another allowed outcome. When a step diverges
 * after the model reached a choice point in it, or in one of the few steps before it, the runner rebuilds the
 * reference with each other outcome in turn ({@link #candidates}, {@link ChoiceRebuild}), and with a few of them
 * together, and, if one such trial agrees with the subject, goes on with it and names it ({@link Taken#describe()}):
 * the kernel did one of the things it may do, not something wrong.
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

        /**
         * Whether this holds one io-wq item back past the default, still running at later calls: an outcome past the
         * default of {@value Choices#STILL_RUNNING}, {@code IOWQ_FINISHES_BETWEEN_CALLS} or
         * {@code IOWQ_RACES_DEFER_TASKRUN_WAIT}, at one occurrence.
         */
        boolean holdsBack() {
            return HOLDS.contains(choice.name()) && occurrence >= 0 && outcome > choice.defaultOutcome();
        }

        boolean appliesTo(Choice c, int k) {
            return c == choice && (occurrence < 0 || occurrence == k);
        }

        /** Whether this and {@code o} decide at least one occurrence of the same choice at the same step. */
        boolean overlaps(Taken o) {
            return step == o.step && choice == o.choice
                    && (occurrence < 0 || o.occurrence < 0 || occurrence == o.occurrence);
        }

        /** {@link #describe()} of each outcome of a trial, in step order, joined. */
        static String describe(List<Taken> trial) {
            return String.join(" + ", trial.stream().map(Taken::describe).toList());
        }
    }

    /** A step the reference ran and the subject agreed with, in run order: what a rebuilt reference replays. */
    record Ran(int index, Step step) {
    }

    private final List<Ran> ran = new ArrayList<>();
    /** The outcomes the run took other than the defaults, by step; where several apply, the last accepted decides. */
    private final Map<Integer, List<Taken>> planned = new HashMap<>();
    /** The choices each step that ran reached, and how often: where an earlier step may be rebuilt. */
    private final Map<Integer, Map<Choice, Integer>> reachedAt = new HashMap<>();
    /**
     * The first step of the stretch, up to the last step that ran, after each of which the reference held completions
     * whose order is not visible yet: CQEs on its overflow list (IORING_SQ_CQ_OVERFLOW), or task work it has not run
     * (IORING_SQ_TASKRUN, on a TASKRUN_FLAG ring); -1 when the last step left neither.
     */
    private int heldSince = -1;
    /** The count of the live reference, which takes the planned outcomes. */
    private Counting live = new Counting(List.of());

    /**
     * One side's count of the choices reached in the step it runs, in the order first reached, and the outcomes it
     * takes: the planned ones, and a trial's (one outcome, or up to three at once). Each side that replays the run
     * counts for itself.
     */
    final class Counting implements Chooser {
        private final List<Taken> trial;
        private int currentStep;
        private final Map<Choice, Integer> reached = new LinkedHashMap<>();
        /** The choices of each step this side ran. */
        private final Map<Integer, Map<Choice, Integer>> history = new HashMap<>();

        private Counting(List<Taken> trial) {
            this.trial = List.copyOf(trial);
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
            for (Taken t : trial) {
                if (t.step() == currentStep && t.appliesTo(choice, k)) {
                    return t.outcome();
                }
            }
            return plannedOutcome(currentStep, choice, k);
        }

        /** The earliest step of the trial. */
        int trialStep() {
            return trial.stream().mapToInt(Taken::step).min().orElse(Integer.MAX_VALUE);
        }
    }

    /** The outcome the run took at occurrence {@code k} of {@code choice} in step {@code step}: the last accepted. */
    private int plannedOutcome(int step, Choice choice, int k) {
        List<Taken> there = planned.getOrDefault(step, List.of());
        for (int i = there.size() - 1; i >= 0; i--) {
            if (there.get(i).appliesTo(choice, k)) {
                return there.get(i).outcome();
            }
        }
        return choice.defaultOutcome();
    }

    /** A new run. */
    void reset() {
        ran.clear();
        planned.clear();
        reachedAt.clear();
        heldSince = -1;
        live = new Counting(List.of());
    }

    /** Before the reference runs step {@code index}. */
    void beforeStep(int index) {
        live.beforeStep(index);
    }

    /**
     * Step {@code index} ran and agreed: a rebuilt reference replays it. {@code holding}: the reference holds
     * completions after it whose order is not visible yet (on its overflow list, or as task work not yet run).
     */
    void ran(int index, Step step, boolean holding) {
        ran.add(new Ran(index, step));
        if (!live.reached.isEmpty()) {
            reachedAt.put(index, new LinkedHashMap<>(live.reached));
        }
        heldSince = !holding ? -1 : heldSince < 0 ? index : heldSince;
    }

    List<Ran> ranSteps() {
        return List.copyOf(ran);
    }

    /** A count for a side that replays the run taking {@code trial} besides the planned outcomes (empty: none). */
    Counting replaying(List<Taken> trial) {
        return new Counting(trial);
    }

    /**
     * The trial of {@code side} explained the difference at step {@code index}: from now on the run takes it, and
     * what that side reached from the trial's first step on is what the run reached.
     */
    void accept(Counting side, int index) {
        int from = side.trialStep();
        side.trial.forEach(t -> planned.computeIfAbsent(t.step(), s -> new ArrayList<>()).add(t));
        reachedAt.keySet().removeIf(step -> step >= from);
        side.history.forEach((step, choices) -> {
            if (step >= from && step < index) {
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
     * steps that reached one, within {@value #LOOKBACK_STEPS} steps or, while the reference has held completions since
     * before that, within {@value #LOOKBACK_STEPS} steps of the first step that left it holding them: the overflow list
     * shows its order only when it is flushed, any number of steps later (world seed 113: an FSYNC's and a WRITEV's
     * CQEs queued there at step 69, seen at step 139), and a DEFER_TASKRUN ring's task work only when a wait runs it
     * (world seed 375: a linked timeout's cancellation and an io-wq READ's completion queued at step 8, in the order
     * IOWQ_RACES_DEFER_TASKRUN_WAIT decides, run by the first GETEVENTS wait, at step 156). A step where the run
     * already took an outcome is tried again with another at any of its choices (a trial's outcome overrides the
     * planned one there): a difference that one outcome explained may need another beside it, or instead of it, at
     * the same step. So is every step of the window where the run holds an io-wq item back ({@link Taken#holdsBack}),
     * however many steps that reached a choice came since, the nearest first: a hold accepted where the item's CQE
     * was still hidden (on the overflow list, behind a full CQ) may prove too long or too short only where the CQE
     * shows, and a shorter hold of it must be reachable there (world lockstep seed 2709: an FSYNC held past a flush
     * at step 108, its CQE due before a NOP's at step 118, its step 54 nine steps that reached a choice back).
     */
    List<Taken> candidates(int index) {
        List<Taken> out = new ArrayList<>(alternatives(index, live.reached, 0));
        int from = index - LOOKBACK_STEPS;
        if (heldSince >= 0) {
            from = Math.min(from, heldSince - LOOKBACK_STEPS);
        }
        int steps = 0;
        Set<Integer> tried = new HashSet<>();
        for (int i = ran.size() - 1; i >= 0 && steps < LOOKBACK_CHOICE_STEPS; i--) {
            int at = ran.get(i).index();
            if (at < from) {
                break;
            }
            Map<Choice, Integer> there = reachedAt.get(at);
            if (there != null && at != index) {
                out.addAll(alternatives(at, there, callsSince(at) + 1)); // and the diverging step's, if a call
                steps++;
                tried.add(at);
            }
        }
        for (int i = ran.size() - 1; i >= 0 && ran.get(i).index() >= from; i--) {
            int at = ran.get(i).index();
            if (at != index && !tried.contains(at) && reachedAt.containsKey(at)
                    && planned.getOrDefault(at, List.of()).stream().anyMatch(Taken::holdsBack)) {
                out.addAll(alternatives(at, reachedAt.get(at), callsSince(at) + 1));
            }
        }
        return out;
    }

    /**
     * The other outcomes of each choice reached in step {@code index}: each outcome the run did not take there, at
     * each occurrence of the choice in the step, then at every occurrence; the choice reached last first. Of
     * {@value #STILL_RUNNING}, whose outcome k holds an io-wq item back for the next k calls, only those up to one
     * past the {@code callsSince} calls on the ring made since: the rest hold it past the diverging step alike.
     */
    private List<Taken> alternatives(int index, Map<Choice, Integer> reached, int callsSince) {
        List<Taken> out = new ArrayList<>();
        List<Choice> order = new ArrayList<>(reached.keySet());
        Collections.reverse(order);
        for (Choice c : order) {
            int times = reached.get(c);
            int outcomes = c.name().equals(STILL_RUNNING) ? Math.min(c.outcomes().size(), callsSince + 2)
                    : c.outcomes().size();
            for (int outcome = 0; outcome < outcomes; outcome++) {
                boolean someOther = false;
                for (int k = 0; k < times; k++) {
                    if (plannedOutcome(index, c, k) != outcome) {
                        out.add(new Taken(index, c, outcome, k));
                        someOther = true;
                    }
                }
                if (times > 1 && someOther) {
                    out.add(new Taken(index, c, outcome, -1));
                }
            }
        }
        return out;
    }

    /**
     * The outcomes a trial opened: the other outcomes of each choice that {@code side}, a reference replaying the run
     * with a trial, reached at one of the trial's steps, at a step its replay ran between the trial's first and the
     * diverging step {@code index}, or at {@code index}, more often than the run did there (a choice the run never
     * reached there, or more occurrences of one), each occurrence it did not. An io-wq item held back completes at a
     * later call, where the order among the items then finishing is asked once more for each item held (world
     * lockstep seed 82: a SPLICE's and a WRITEV's workers still running at two more enters, which finish beside a
     * later SPLICE's at a step of neither, the kernel posting the later SPLICE's CQE between theirs:
     * IOWQ_COMPLETION_ORDER's second occurrence there, newest first, asked only while both are held).
     * An outcome may bring the kernel to a race the default never comes to: where io-wq completes the newest of two
     * items first (IOWQ_COMPLETION_ORDER), that worker's completion disarms its linked timeout and queues the
     * timeout's -ECANCELED as task work of the task (io_uring/io_uring.c io_req_complete_post, io_wq_free_work ->
     * io_req_find_next -> timeout.c io_disarm_next -> io_req_queue_tw_complete) while the other worker still runs;
     * whether the task runs it before that worker posts (tctx_task_work against io_req_complete_post: the choice
     * TASK_WORK_BETWEEN_IOWQ_POSTS) is asked only then (world lockstep seed 1800: two FSYNCs, the second linked to a
     * LINK_TIMEOUT, the kernel's CQEs the second FSYNC's, the timeout's -ECANCELED, then the first FSYNC's). The
     * search extends such a trial with what it opened, as with the single outcomes ({@link ChoiceRebuild#explain}).
     */
    List<Taken> opened(Counting side, int index) {
        List<Taken> out = new ArrayList<>();
        Set<Integer> steps = new TreeSet<>();
        side.trial.forEach(t -> steps.add(t.step()));
        int from = side.trialStep();
        side.history.keySet().stream().filter(step -> step > from && step < index).forEach(steps::add);
        steps.add(index);
        for (int step : steps) {
            Map<Choice, Integer> theirs = step == side.currentStep ? side.reached : side.history.get(step);
            Map<Choice, Integer> ours = step == index ? live.reached : reachedAt.get(step);
            if (theirs == null) {
                continue;
            }
            Map<Choice, Integer> more = new LinkedHashMap<>();
            theirs.forEach((c, times) -> {
                int before = ours == null ? 0 : ours.getOrDefault(c, 0);
                if (times > before) {
                    more.put(c, times);
                }
            });
            for (Taken t : alternatives(step, more, step == index ? 0 : callsSince(step) + 1)) {
                int before = ours == null ? 0 : ours.getOrDefault(t.choice(), 0);
                if (t.occurrence() >= before || t.occurrence() < 0 && before == 0) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** {@code IOWQ_STILL_RUNNING}: for how many later calls on the ring an io-wq item is still running. */
    static final String STILL_RUNNING = "IOWQ_STILL_RUNNING";
    /** The choices whose outcomes past the default hold an io-wq item's completion back for later calls. */
    private static final Set<String> HOLDS = Set.of(STILL_RUNNING, "IOWQ_FINISHES_BETWEEN_CALLS",
            "IOWQ_RACES_DEFER_TASKRUN_WAIT");

    /**
     * How many of the steps that ran after step {@code at} were calls on a ring: every step but the application's
     * own writes to the rings' memory (SQEs, the SQ array, the tail, the CQ head), which the kernel does not see.
     */
    private int callsSince(int at) {
        int calls = 0;
        for (int i = ran.size() - 1; i >= 0 && ran.get(i).index() > at; i--) {
            calls += switch (ran.get(i).step()) {
                case Step.WriteSqe s -> 0;
                case Step.WriteSqe128 s -> 0;
                case Step.ArgSqe s -> 0;
                case Step.WriteIo s -> 0;
                case Step.WriteArray s -> 0;
                case Step.PublishTail s -> 0;
                case Step.ConsumeCqes s -> 0;
                case Step.MoveCqHead s -> 0;
                case Step.MoveSqHead s -> 0;
                default -> 1;
            };
        }
        return calls;
    }

    @Override
    public int choose(Choice choice, int ringFd) {
        return live.choose(choice, ringFd);
    }
}
