package dev.ringspec.lockstep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Rebuilds the reference of a lockstep run with another allowed outcome at one of the model's choice points
 * ({@link Choices#candidates}), or with a few together ({@link #explain}), for a step whose difference the outcomes
 * it took do not explain.
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

    /** Whether the catalogue knows what a trial that did not agree shows ({@link Catalogue}); null: never asked. */
    private final Catalogue catalogue;
    /** The trial of this search under which the catalogue knew the difference, nearest the subject; or null. */
    private Kept kept;
    /** How near the reference as the run took it came to the subject after the step ({@link #nearness}). */
    private long base;

    ChoiceRebuild(Choices choices, Referee referee, Supplier<Side> freshReference, BiConsumer<Side, Step> execute) {
        this(choices, referee, freshReference, execute, null);
    }

    ChoiceRebuild(Choices choices, Referee referee, Supplier<Side> freshReference, BiConsumer<Side, Step> execute,
            Catalogue catalogue) {
        this.choices = choices;
        this.referee = referee;
        this.freshReference = freshReference;
        this.execute = execute;
        this.catalogue = catalogue;
    }

    /**
     * Whether the catalogue knows the difference a trial shows after the diverging step: {@code trial} is the trial's
     * reference, {@code before} its counters before the step, and the referee holds what it heard in the trial's
     * replay ({@link Referee#notes}).
     */
    @FunctionalInterface
    interface Catalogue {
        boolean knows(Side trial, Counters before);
    }

    /** A trial that did not agree but whose difference the catalogue knows, kept open: see {@link #explain}. */
    private record Kept(List<Choices.Taken> taken, Side side, Choices.Counting counting, RefereeModel model,
            Counters before, long score, Referee.Heard heard) {
    }

    /** How many of the trials of one size that came nearest the subject are each extended by one more outcome. */
    static final int BEAM = 3;
    /** The most outcomes one trial takes together. */
    static final int MAX_TOGETHER = 3;
    /**
     * The most references one search tries: a count, not a time, so a seed's verdict does not depend on the machine's
     * load. Chosen from the references of the searches that explained their step in four runs of a range of 1,050
     * world lockstep seeds (2026-11-28, load 5 to 12; -Dringspec.choiceLog=true lists them): the 99th percentile was
     * 190, 232, 237 and 388, the most 224 and 388 in the two quieter runs, 2,426 and 3,248 in the two at load (one
     * search each, of a seed whose kernel took a rarer order); searches that failed took up to 173 references in the
     * quieter runs, and about 2,000 at world seed 253 (30 s each). So 500 bounds every search and loses an explanation
     * only in that rare tail. (-Dringspec.choiceTrials=N for a measurement.)
     */
    static final int TRIAL_BUDGET = Integer.getInteger("ringspec.choiceTrials", 500);
    /** Whether each search prints a line: its step, whether it explained it, its references and milliseconds. */
    private static final boolean LOG = Boolean.getBoolean("ringspec.choiceLog");

    /**
     * The reference rebuilt with {@code taken} (one outcome, or several at once), which agrees with the subject; or,
     * where {@code catalogued}, which does not, but whose difference the catalogue knows, {@code before} being its
     * counters before the step.
     */
    record Rebuilt(List<Choices.Taken> taken, Side side, Counters before, boolean catalogued) {
        Rebuilt(List<Choices.Taken> taken, Side side) {
            this(taken, side, null, false);
        }
    }

    /**
     * A trial that replayed the run as the subject saw it but did not explain the step: how near what it shows after
     * the step came to what the subject shows ({@link #nearness}), its place in the search, and what it shows.
     */
    record Near(List<Choices.Taken> taken, long score, int rank, Comparison.Shown shown) {
    }

    /**
     * Step {@code index} diverged: the first rebuilt reference that agrees with {@code subject} after it, or null.
     * {@code reference} is the run's reference after the step; rules fired by the replays count for nobody.
     *
     * <p>Each single outcome ({@link Choices#candidates}) is tried first. Where none agrees, several are tried
     * together, as a beam search: the {@value #BEAM} trials that came nearest the subject (and nearer than the trial
     * they extend; and more, until they show {@value #BEAM} different things: {@link #beam}), by everything the
     * step's comparison compares ({@link #nearness}: a trial that raised the subject's IORING_SQ_TASKRUN but posted no
     * CQE yet is nearer), each with one more of the single outcomes that changed what the step shows (or, at a step of
     * the trial's own, one that changed nothing: {@link #extensions}) and replayed the run as the subject saw it, up
     * to {@value #MAX_TOGETHER} outcomes (world seed 113: an FSYNC, a WRITEV and a later WRITEV of the same file each
     * still running on io-wq for its own number of enters). A single outcome that
     * changed what the step shows but came no nearer is extended too, after those that did: where two requests share
     * a user_data, moving one of them leaves the CQEs shown as near as before (world seed 106: one SQE of an
     * IOSQE_ASYNC WRITE submitted twice from a one-entry SQ, both writes still running past a CONNECT's CQE). So the
     * search tries at most {@code (1 + (2 * BEAM - 1) * (MAX_TOGETHER - 1))} times as many references as there are
     * single outcomes, and, where the step's IORING_SQ_TASKRUN differs, one io-wq item's two choices together
     * ({@link #stillRunningThenLater}). A trial whose replay reached a choice point the run never reached there is
     * extended with that point's outcomes too ({@link Choices#opened}). The search stops at {@link #TRIAL_BUDGET}
     * references.
     * Nearness only orders the search; a trial is accepted only where it agrees with the subject, as a single outcome
     * is. Where none does, the nearest trial under which the catalogue knows the difference ({@link #knownUnder}) is
     * returned as {@link Rebuilt#catalogued}, its outcomes taken by the run, and the referee hearing what it heard
     * there. The search's steps, references and time are counted in {@code coverage}.
     */
    Rebuilt explain(int index, Step step, Side reference, Side subject, Coverage coverage) {
        long start = System.nanoTime();
        Budget budget = new Budget(TRIAL_BUDGET);
        Rebuilt rebuilt = search(index, step, reference, subject, coverage, budget);
        long nanos = System.nanoTime() - start;
        if (coverage != null) {
            coverage.choiceSearch(rebuilt != null, budget.used(), nanos, budget.spent());
        }
        if (LOG) { // -Dringspec.choiceLog=true: one line per search, for the distribution the budget is chosen from
            System.out.printf("  choice search at step %d: %s, %d references, %d ms%n", index,
                    rebuilt != null ? "explained" : budget.spent() ? "budget spent" : "not explained", budget.used(),
                    nanos / 1_000_000);
        }
        if (rebuilt == null && kept != null) {
            choices.accept(kept.counting(), index);
            kept.model().choose().accept(choices);
            referee.restore(kept.heard(), coverage);
            if (coverage != null) {
                coverage.choiceCatalogued();
            }
            return new Rebuilt(kept.taken(), kept.side(), kept.before(), true);
        }
        if (kept != null) {
            kept.side().close();
        }
        return rebuilt;
    }

    /** The references one search may still try, and whether it ran out of them. */
    static final class Budget {
        private final int limit;
        private int used;
        private boolean spent;

        Budget(int limit) {
            this.limit = limit;
        }

        /** Whether another trial may be tried; counts it. */
        boolean take() {
            if (used == limit) {
                spent = true;
                return false;
            }
            used++;
            return true;
        }

        int used() {
            return used;
        }

        boolean spent() {
            return spent;
        }
    }

    /** {@link #explain}, within {@code budget}. */
    private Rebuilt search(int index, Step step, Side reference, Side subject, Coverage coverage, Budget budget) {
        List<Choices.Taken> singles = choices.candidates(index);
        List<List<Choices.Taken>> first = new ArrayList<>();
        singles.forEach(t -> first.add(List.of(t)));
        first.addAll(stillRunningThenLater(singles, reference, subject));
        base = nearness(step, reference, subject);
        return beamSearch(first, base, budget, trial -> attempt(trial, index, step, reference, subject, coverage));
    }

    /**
     * The search of {@link #explain}: {@code first} holds the trials of the first level (each single outcome, then
     * the pairs tried as one), {@code base} the nearness of the reference as the run took it, and {@code attempt}
     * tries one trial, while {@code budget} lasts. The first trial that agrees, or null.
     */
    static Rebuilt beamSearch(List<List<Choices.Taken>> first, long base, Budget budget,
            Function<List<Choices.Taken>, Attempt> attempt) {
        List<Choices.Taken> effective = new ArrayList<>();
        List<Choices.Taken> inert = new ArrayList<>();
        List<List<Choices.Taken>> level = new ArrayList<>(first);
        Set<Set<Choices.Taken>> seen = new HashSet<>();
        level.stream().filter(t -> t.size() > 1).forEach(t -> seen.add(Set.copyOf(t)));
        Map<List<Choices.Taken>, Long> parentScore = new HashMap<>();
        Map<List<Choices.Taken>, List<Choices.Taken>> opened = new HashMap<>();
        for (int together = 1; together <= MAX_TOGETHER && !level.isEmpty(); together++) {
            List<Near> near = new ArrayList<>();
            List<Near> later = new ArrayList<>();
            List<Near> same = new ArrayList<>();
            for (int i = 0; i < level.size(); i++) {
                List<Choices.Taken> trial = level.get(i);
                if (!budget.take()) {
                    return null;
                }
                Attempt a = attempt.apply(trial);
                if (a.rebuilt() != null) {
                    return a.rebuilt();
                }
                if (a.score() == null) {
                    continue;
                }
                if (!a.opened().isEmpty()) {
                    opened.put(trial, a.opened());
                }
                if (together == 1 && trial.size() == 1) {
                    (a.changed() ? effective : inert).add(trial.get(0));
                }
                long parent = parentScore.getOrDefault(trial, base);
                if (a.score() >> 32 > parent >> 32) {
                    near.add(new Near(trial, a.score(), i, a.shown())); // fewer differences
                } else if (a.score() > parent) {
                    later.add(new Near(trial, a.score(), i, a.shown())); // as many, the first among the CQEs later
                } else if (together == 1 && a.changed() && a.score() >> 32 == parent >> 32) {
                    // changed the step but came no nearer: where two requests share a user_data, moving one of
                    // them moves no CQE the comparison can tell
                    same.add(new Near(trial, a.score(), i, a.shown()));
                }
            }
            near.sort(Comparator.comparingLong((Near n) -> n.score() >> 32).reversed().thenComparingInt(Near::rank));
            if (near.isEmpty()) {
                near = later;
                near.sort(Comparator.comparingLong(Near::score).reversed().thenComparingInt(Near::rank));
            }
            near.addAll(same); // in their order, after every trial that came nearer
            List<List<Choices.Taken>> next = new ArrayList<>();
            for (Near n : beam(near)) {
                List<Choices.Taken> others = new ArrayList<>(extensions(n.taken(), effective, inert));
                others.addAll(opened.getOrDefault(n.taken(), List.of()));
                for (Choices.Taken other : others) {
                    if (n.taken().stream().anyMatch(other::overlaps)) {
                        continue;
                    }
                    List<Choices.Taken> more = new ArrayList<>(n.taken());
                    more.add(other);
                    more.sort(Comparator.comparingInt(Choices.Taken::step));
                    if (seen.add(Set.copyOf(more))) {
                        next.add(List.copyOf(more));
                        parentScore.put(List.copyOf(more), n.score());
                    }
                }
            }
            level.clear();
            level.addAll(next);
        }
        return null;
    }

    /**
     * The single outcomes a beam trial {@code taken} is extended with: each that changed what the step shows alone
     * ({@code effective}), then each that changed nothing alone ({@code inert}) made at a step of the trial's own. An
     * outcome may matter only beside another of its step: whether the polls an io-wq write wakes post before the
     * worker's CQE (IOWQ_WAKES_BEFORE_IT_POSTS) changes nothing while the worker finishes before the poll is armed,
     * and only with the worker still running past that (IOWQ_STILL_RUNNING) does it decide their order (world
     * lockstep seed 268: an IOSQE_ASYNC WRITE to a socket whose peer a POLL_ADD of four enters later watched, the
     * poll's CQE ahead of the WRITE's; on the overflow list that order needs no choice, IoWqFillRefused). Outcomes
     * at other steps that changed nothing stay out, each would double the trials of every level, but one: beside a
     * trial that holds an io-wq item back ({@link Choices.Taken#holdsBack}), the longest hold of each other item that
     * changed nothing alone, at whatever step it was queued ({@link #longestHold}). io-wq gives each item a worker of
     * its own (io_uring/io-wq.c io_wq_enqueue: io_wq_activate_free_worker wakes an idle one, io_wq_create_worker makes
     * one), the workers run concurrently, each for as long as its own call blocks (io_worker_handle_work ->
     * io_wq_submit_work), and each posts when it is done (io_uring/io_uring.c io_req_complete_post): nothing orders one
     * worker's end against another's, so two items may both be still running where either alone may. Holding the later
     * of two items back changes nothing while the earlier one's CQE comes first, so alone it is inert, and the pair was
     * never tried (world lockstep seed 2709: two FSYNCs of the data file queued at two enters, both still running when
     * a CONNECT's -EBADF went onto a full CQE_MIXED ring's overflow list, the kernel's CQE there ahead of both). The
     * longest hold the search tries for an item is the one that holds it past every step a shorter one holds it past;
     * with one per item and choice the extensions grow by the io-wq items of the steps looked back at, not by their
     * outcomes.
     */
    static List<Choices.Taken> extensions(List<Choices.Taken> taken, List<Choices.Taken> effective,
            List<Choices.Taken> inert) {
        List<Choices.Taken> out = new ArrayList<>(effective);
        boolean holding = taken.stream().anyMatch(Choices.Taken::holdsBack);
        for (Choices.Taken t : inert) {
            if (taken.stream().anyMatch(u -> u.step() == t.step()) || holding && longestHold(t, inert)) {
                out.add(t);
            }
        }
        return out;
    }

    /** Whether {@code t} holds its item back, and for longer than any other outcome of {@code inert} for that item. */
    private static boolean longestHold(Choices.Taken t, List<Choices.Taken> inert) {
        return t.holdsBack() && inert.stream().noneMatch(u -> u.step() == t.step() && u.choice() == t.choice()
                && u.occurrence() == t.occurrence() && u.outcome() > t.outcome());
    }

    /**
     * The trials of {@code near} (in their order) that the search extends: the first {@value #BEAM}, and after them
     * the next that show something else after the step ({@link Comparison.Shown}), until the beam holds
     * {@value #BEAM} different things. Trials that look alike to the comparison rank alike, so the first
     * {@value #BEAM} alone were often copies of one outcome, each extended with the same others (world lockstep seed
     * 253: a DEFER_TASKRUN ring whose overflow list is flushed 8 CQEs at a time, where many outcomes at one enter move
     * only CQEs still on the list, and the beam held three of them), and the trial that would agree, an extension of a
     * later one, was never tried. The alike ones stay in the beam: what a step shows is not all a reference holds, and
     * of two alike outcomes only one may extend to a trial that agrees (world seed 106: two requests of one user_data,
     * each held back on io-wq; keeping one of each alike lost the pair in 5 of 10 runs).
     */
    static List<Near> beam(List<Near> near) {
        List<Near> beam = new ArrayList<>(near.subList(0, Math.min(BEAM, near.size())));
        Set<Comparison.Shown> shown = new HashSet<>();
        beam.forEach(n -> shown.add(n.shown()));
        for (Near n : near.subList(beam.size(), near.size())) {
            if (shown.size() == BEAM) {
                break;
            }
            if (shown.add(n.shown())) {
                beam.add(n);
            }
        }
        return beam;
    }

    /** {@code IOWQ_STILL_RUNNING}: for how many later enters an io-wq item is still running (the emulator's io-wq). */
    private static final String STILL_RUNNING = Choices.STILL_RUNNING;
    /** {@code IOWQ_RACES_DEFER_TASKRUN_WAIT}: how many calls after that its completion is queued as task work. */
    private static final String CALLS_AFTER = "IOWQ_RACES_DEFER_TASKRUN_WAIT";
    /** How many of an item's shortest holds, and of its longest, {@link #stillRunningThenLater} pairs. */
    private static final int PAIRED_ENTERS = 4;

    /**
     * Where the step's IORING_SQ_TASKRUN differs, one item's {@value #STILL_RUNNING} and {@value #CALLS_AFTER} (1 to
     * 3 calls) together, each pair one trial of the first level, after the single outcomes: a DEFER_TASKRUN ring's
     * io-wq worker that was still running at the task's next enters and its GETEVENTS wait queues its completion as
     * local task work calls later, raising the kernel's IORING_SQ_TASKRUN between two of the application's calls
     * (world lockstep seed 115: an FSYNC submitted with a STATX, the flag up two steps after the GETEVENTS wait that
     * found nothing). Each alone raises the flag at the wrong call, which the subject contradicts, so the beam never
     * extends either. The two are asked one after the other for the same item, so an occurrence of the one goes with
     * the same occurrence of the other. The holds paired are the {@value #PAIRED_ENTERS} shortest (1 enter on) and
     * the {@value #PAIRED_ENTERS} longest the search offers for the item ({@link Choices#candidates}: up to one past
     * the calls since its step), which end nearest the diverging step: the flag rises when the worker finishes, at the
     * first item on the empty work list (io_uring/io_uring.c io_req_complete_post -> io_req_task_work_add ->
     * io_req_local_work_add: io_ctx_mark_taskrun), after however many of the task's enters it ran across
     * (io-wq.c io_worker_handle_work -> io_wq_submit_work, for as long as its call blocks). World lockstep seeds 1339
     * (an FSYNC of the data file still running at 8 enters, then finished a call after the last one, the flag up at
     * an advanceClock 32 steps after its enter) and 1921 (6 enters, the flag up 25 steps later). So at most
     * {@code 2 * PAIRED_ENTERS * 3} trials per item.
     */
    private static List<List<Choices.Taken>> stillRunningThenLater(List<Choices.Taken> singles, Side reference,
            Side subject) {
        List<List<Choices.Taken>> out = new ArrayList<>();
        if (((reference.observeCounters().sqFlags() ^ subject.observeCounters().sqFlags())
                & dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN) == 0) {
            return out;
        }
        for (Choices.Taken running : singles) {
            if (!running.choice().name().equals(STILL_RUNNING) || running.occurrence() < 0 || running.outcome() < 1
                    || running.outcome() > PAIRED_ENTERS && longest(running, singles) - running.outcome()
                            >= PAIRED_ENTERS) {
                continue;
            }
            for (Choices.Taken later : singles) {
                if (later.choice().name().equals(CALLS_AFTER) && later.step() == running.step()
                        && later.occurrence() == running.occurrence() && later.outcome() >= 1) {
                    out.add(List.of(running, later));
                }
            }
        }
        return out;
    }

    /** The longest hold {@code singles} offer for the item of {@code running} (its choice, step and occurrence). */
    private static int longest(Choices.Taken running, List<Choices.Taken> singles) {
        return singles.stream().filter(t -> t.step() == running.step() && t.choice() == running.choice()
                && t.occurrence() == running.occurrence()).mapToInt(Choices.Taken::outcome).max().orElse(0);
    }

    /**
     * A trial's result: the rebuilt reference where it agrees; else how near it came ({@link Near}; null where
     * its replay contradicts what the subject showed), whether it changed what the step shows, and what it shows.
     */
    record Attempt(Rebuilt rebuilt, Long score, boolean changed, Comparison.Shown shown, List<Choices.Taken> opened) {
        Attempt {
            opened = List.copyOf(opened);
        }

        Attempt(Rebuilt rebuilt, Long score, boolean changed, Comparison.Shown shown) {
            this(rebuilt, score, changed, shown, List.of());
        }
    }

    /** Tries the outcomes {@code trial} together (see {@link #explain}). */
    private Attempt attempt(List<Choices.Taken> trial, int index, Step step, Side reference, Side subject,
            Coverage coverage) {
        Referee.Heard heard = referee.heard();
        Side side = freshReference.get();
        RefereeModel model = RefereeModel.of(side.kernel);
        model.listen().accept(referee);
        Choices.Counting trialChoices = choices.replaying(trial);
        model.choose().accept(trialChoices);
        int from = trialChoices.trialStep();
        // the run as taken, beside a trial of an earlier step
        Side asTaken = from < index ? freshReference.get() : null;
        Choices.Counting asTakenChoices = choices.replaying(List.of());
        if (asTaken != null) {
            RefereeModel.of(asTaken.kernel).choose().accept(asTakenChoices);
        }
        referee.reset(null); // the replay's rules were counted when they first fired
        boolean replayed = replay(from, trialChoices, side, asTakenChoices, asTaken);
        Counters before = side.observeCounters();
        boolean agrees = replayed && run(index, step, trialChoices, side, subject, true);
        Long score = replayed && !agrees ? nearness(step, side, subject) : null;
        boolean changed = score != null
                && Comparison.compare(step, side, side.observeCounters(), reference,
                        reference.observeCounters()) != null;
        agrees = agrees && (asTaken == null || run(index, step, asTakenChoices, asTaken, reference, false));
        if (agrees) {
            if (asTaken != null) {
                asTaken.close();
            }
            choices.accept(trialChoices, index);
            model.choose().accept(choices);
            referee.restore(referee.heard(), coverage);
            return new Attempt(new Rebuilt(trial, side), 0L, true, null);
        }
        Comparison.Shown shown = score != null ? Comparison.shown(side) : null;
        if (score != null && catalogue != null
                && (asTaken == null || run(index, step, asTakenChoices, asTaken, reference, false))
                && knownUnder(score, asTaken == null ? base : nearness(step, asTaken, subject), side, before)) {
            if (kept != null) {
                kept.side().close();
            }
            kept = new Kept(trial, side, trialChoices, model, before, score, referee.heard());
        } else {
            side.close();
        }
        if (asTaken != null) {
            asTaken.close();
        }
        referee.restore(heard, coverage);
        return new Attempt(null, score, changed, shown,
                score != null ? choices.opened(trialChoices, index) : List.of());
    }

    /**
     * Whether a trial that did not agree is one under which the catalogue knows the difference: its nearness
     * {@code score} beats {@code asTaken}'s, that of a replay of the run as taken beside it (or of the reference, for a
     * trial of the diverging step; a replay on a fresh world differs from the subject in more than the reference does),
     * and that of any trial kept before, and the catalogue knows what its reference {@code side} (its counters before
     * the step {@code before}) shows. The step showed two things at once, an outcome the model allows at a choice
     * point and a known kernel bug, which the catalogue did not match while the other outcome hid it:
     * <ul>
     *   <li>world lockstep seed 1971: an FSYNC's CQE from io-wq later than the model's default, and a plain NOP on a
     *       CQE32 ring with the big_cqe of a skipped NOP_CQE32 (cqe32-stale-big-cqe-after-skip);
     *   <li>seed 2580: an io-wq item still running when a flush leaves the kernel's cached CQ range stale posts
     *       through it when it finishes, which the model notes and does not copy (it queues the CQE on the overflow
     *       list as intended), so no outcome agrees: an FSYNC on a full CQE_MIXED ring whose worker finished after a
     *       GETEVENTS flush had written a skip CQE in the last slot and overflowed a 32-byte CQE; its CQE went over
     *       the skip CQE, the tail 17 past the head of a 16-entry CQ (cqe-stale-cache-jumps-overflow-list).
     * </ul>
     * Such a difference is reported as the entry, with the trial's reference; nothing is explained by the choice alone.
     */
    private boolean knownUnder(long score, long asTaken, Side side, Counters before) {
        return score > asTaken && (kept == null || score > kept.score()) && catalogue.knows(side, before);
    }

    /**
     * How near what {@code side} shows after {@code step} is to what {@code subject} shows, higher nearer: minus how
     * many of the things the step's comparison compares differ ({@link Comparison#differences}: the result, each
     * counter and flag, the CQEs outside their longest common subsequence, the world's bytes) in the high 32 bits;
     * how many CQEs agree in turn from the first ({@link Comparison#agreedCqes}) in the low 32. The search extends
     * trials with fewer differences than the trial they extend, the fewest first; only where there is none, those
     * with as many whose first difference among the CQEs came later, the latest first: where two items' completions
     * must both move, each moved alone may leave as many CQEs out of place as before (world lockstep seed 543: a
     * STATX and an IOSQE_ASYNC READV, each after a linked timeout's -ECANCELED that the same submission's flush
     * queued, in their own order). Ranking by the later first difference among trials with fewer differences too
     * lost world seed 113's pair (ChoicesTogetherTest): the beam filled with other trials.
     */
    private static long nearness(Step step, Side side, Side subject) {
        int differences = Comparison.differences(step, side, side.observeCounters(), subject,
                subject.observeCounters());
        return -((long) differences << 32) + Comparison.agreedCqes(side, subject);
    }

    /**
     * Replays the run's steps on {@code trial} and, for a trial of an earlier step, on {@code asTaken}: false where
     * the two differ after any step from the trial's first choice ({@code from}) on.
     */
    private boolean replay(int from, Choices.Counting trialChoices, Side trial, Choices.Counting asTakenChoices,
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
            if (r.index() >= from && Comparison.compare(r.step(), trial, trial.observeCounters(), asTaken,
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
