package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.IoWqChoices;
import dev.ringspec.model.Choice;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.ForwardingIoUringKernel;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringCqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * When the lockstep starts its choice search ({@link ChoiceRebuild}) and what it carries forward. As in
 * {@link ChoicesTogetherTest}, the subject is the deterministic emulator told to take given io-wq outcomes, so each
 * run shows the same thing.
 */
class ChoiceSearchTest {

    /**
     * The first difference of {@link ChoicesTogetherTest#threeFsyncsIntoAFullCq} against a subject that held two
     * FSYNCs back is one a pair of choices explains (that test). Where the catalogue knows it (here an entry that
     * matches every difference), the run reports it as that entry and starts no search.
     */
    @Test
    void aCataloguedDifferenceIsReportedAsItsEntryAndStartsNoSearch() {
        DivergenceCatalogue catalogue = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("any",
                "*", "any", "anything", "nothing", "this test", null, "kernel", "a test's entry", null, null, null,
                null)));
        Backend reference = EmulatorBackendProvider.backend(ChoicesTogetherTest.PROFILE).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(reference, ChoicesTogetherTest.taking(1, 1), catalogue)
                .withWorld()) {
            Coverage coverage = new Coverage();
            LockstepRunner.Outcome o = runner.run(ChoicesTogetherTest.threeFsyncsIntoAFullCq(), coverage);
            assertThat(o.divergence()).as("the catalogued difference").isNotNull();
            assertThat(catalogue.match(o.divergence())).isPresent();
            assertThat(coverage.choices()).as("the choices taken").isEmpty();
            assertThat(coverage.table()).containsPattern("choice search: not started, catalogued +1\\b")
                    .containsPattern("choice search: steps explained +0\\b")
                    .containsPattern("choice search: steps not explained +0\\b");
        }
    }

    /**
     * On a plain ring: an FSYNC of the world's file on io-wq, then {@code enters} enters of a NOP each (or, with
     * {@code fsyncs}, of an FSYNC at every second), every CQE reaped after its enter, so the first FSYNC's CQE shows at
     * the enter it comes in.
     */
    private static List<Step> anFsyncThenEnters(int enters, boolean fsyncs) {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(2, 0, 0),
                new Step.WriteIo(0, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        for (int i = 1; i <= enters; i++) {
            steps.addAll(List.of(i % 2 == 0 && fsyncs
                    ? new Step.WriteIo(0, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 100 + i)
                    : Step.WriteSqe.nop(i & 1, 0, 0, 0, 100 + i), new Step.WriteArray(i, i & 1),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0), new Step.ConsumeCqes(4)));
        }
        return steps;
    }

    /** One run of {@code steps}, the emulator against {@code subject}, counted in {@code coverage}. */
    private static LockstepRunner.Outcome run(List<Step> steps, Backend subject, Coverage coverage) {
        Backend reference = EmulatorBackendProvider.backend(ChoicesTogetherTest.PROFILE).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(reference, subject).withWorld()) {
            return runner.run(steps, coverage);
        }
    }

    /**
     * An FSYNC whose worker is still running at the next 14 enters (world lockstep seed 99: a buffered WRITEV of the
     * data file whose CQE the kernel posted after 10 later calls on the ring): each enter that finds the subject
     * without its CQE is explained by one more enter of IOWQ_STILL_RUNNING at the FSYNC's step, up to the 14 the
     * subject took (the bound was 10).
     */
    @Test
    void anIoWqItemStillRunningPastTenEntersIsExplained() {
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o = run(anFsyncThenEnters(16, false), ChoicesTogetherTest.taking(14), coverage);
        assertThat(o.divergence()).as("the run, the FSYNC still running at 14 enters").isNull();
        assertThat(coverage.choices().keySet()).as("the choices the run took")
                .contains("IOWQ_STILL_RUNNING = still running at 14 more enters");
        assertThat(coverage.table()).containsPattern("choice search: steps explained +14\\b")
                .containsPattern("choice search: stopped at the budget of \\d+ references +0\\b")
                .containsPattern("choice search: references of a step explained, most +\\d+");
    }

    /**
     * The first FSYNC still running at the next 3 enters, an FSYNC queued at the second and the fourth: the search
     * at the third and fourth enters tries the diverging step's own FSYNC held back by one enter only (any count
     * holds it past that step alike), not by each count up to the bound, before it comes to the first FSYNC's step.
     */
    @Test
    void aSearchTriesNoMoreCountsOfAnItemStillRunningThanTheCallsSinceAllow() {
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o = run(anFsyncThenEnters(4, true), ChoicesTogetherTest.taking(3), coverage);
        assertThat(o.divergence()).as("the run, the first FSYNC still running at 3 enters").isNull();
        assertThat(coverage.choices().keySet()).as("the choices the run took")
                .contains("IOWQ_STILL_RUNNING = still running at 3 more enters");
        // measured: 28 references in the three searches; 51 where each count up to the bound was tried
        java.util.regex.Matcher tried = java.util.regex.Pattern
                .compile("choice search: references tried, explained +(\\d+)").matcher(coverage.table());
        assertThat(tried.find()).isTrue();
        assertThat(Integer.parseInt(tried.group(1))).as("references tried").isLessThan(40);
    }

    /**
     * On a DEFER_TASKRUN ring without TASKRUN_FLAG, where task work shows nowhere until a wait runs it: an FSYNC of
     * the world's file on io-wq, 70 steps that leave the ring as it is, an enter of an IORING_NOP_TW NOP (its
     * completion is task work too) and a GETEVENTS wait that runs both (world lockstep seed 125: an io-wq OPENAT's
     * completion queued 88 steps before the first wait).
     */
    private static List<Step> anFsyncLongBeforeAWait() {
        int flags = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(2, flags, 0),
                new Step.WriteIo(0, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        for (int i = 0; i < 70; i++) {
            steps.add(new Step.ConsumeCqes(0));
        }
        steps.addAll(List.of(Step.WriteSqe.nop(1, 0, IORING_NOP_TW, 0, 2), new Step.WriteArray(1, 1),
                new Step.PublishTail(1), new Step.Enter(1, 0, 0), new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        return steps;
    }

    /**
     * The FSYNC of {@link #anFsyncLongBeforeAWait} still running at the NOP's enter, so the wait runs the NOP's
     * task work first: the choice was made 74 steps before the wait that shows it, past the 64 steps the search
     * looks back where the reference holds nothing; the emulator's task work not yet run counts as held, as a
     * TASKRUN_FLAG ring's IORING_SQ_TASKRUN does.
     */
    @Test
    void taskWorkHeldOnARingWithoutTaskrunFlagExtendsTheLookBack() {
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o = run(anFsyncLongBeforeAWait(), ChoicesTogetherTest.taking(1), coverage);
        assertThat(o.divergence()).as("the run, the FSYNC still running at the NOP's enter").isNull();
        assertThat(coverage.choices().keySet()).as("the choices the run took")
                .contains("IOWQ_STILL_RUNNING = still running at 1 more enter");
    }

    /**
     * A kernel whose ring goes on changing after a step on its own time, as a kernel's does where a TIMEOUT of the
     * world's 5 ms fires: the emulator told to hold the first io-wq item back one enter ({@link
     * ChoicesTogetherTest#taking}), and, once its ring exists, {@code fire} holds what posts one more CQE to it, an
     * -ETIME of user_data {@value #TIMER_USER_DATA}, written as the kernel writes one (the CQE, then the tail), until
     * the ring is closed.
     */
    private static final class PostsOnItsOwnTime extends ForwardingIoUringKernel {
        private final AtomicReference<Runnable> fire;

        PostsOnItsOwnTime(IoUringKernel kernel, AtomicReference<Runnable> fire) {
            super(kernel);
            this.fire = fire;
        }

        @Override
        public SetupResult setup(int entries, MemorySegment params) {
            SetupResult r = kernel.setup(entries, params);
            if (r instanceof SetupResult.Created(Ring ring)) {
                fire.set(() -> {
                    CqRingView cq = ring.cq();
                    int tail = cq.loadAcquireTail();
                    long at = cq.cqeOffset(tail & (ring.params().cqEntries() - 1));
                    cq.memory().set(JAVA_LONG, at + IoUringCqe.USER_DATA_OFFSET, TIMER_USER_DATA);
                    cq.memory().set(JAVA_INT, at + IoUringCqe.RES_OFFSET, -Errno.ETIME);
                    cq.memory().set(JAVA_INT, at + IoUringCqe.FLAGS_OFFSET, 0);
                    ring.cqRing().set(JAVA_INT, ring.params().cqOff().tail(), tail + 1);
                });
            }
            return r;
        }

        @Override
        public int close(Ring ring) {
            fire.set(null); // a probe's ring, closed before the run begins
            return kernel.close(ring);
        }
    }

    /** The user_data of the CQE {@link PostsOnItsOwnTime} posts. */
    private static final long TIMER_USER_DATA = 999;

    /**
     * The search compares each trial with the subject as the diverging step left it ({@link Side#frozen}), not with
     * its live ring, to which a kernel's timer may post while the search runs (world lockstep seed 3131: a TIMEOUT
     * of the world's 5 ms adding -ETIME CQEs while the search replayed trials, so no trial could agree): an FSYNC
     * the subject holds back one enter, its enter the last step, and the subject's ring posted to when the search
     * opens its first trial's reference. The trial IOWQ_STILL_RUNNING = 1 agrees with what the step
     * showed; against the live ring, with the -ETIME CQE, none did.
     */
    @Test
    void theSearchComparesWithTheSubjectAsTheStepLeftIt() {
        AtomicReference<Runnable> fire = new AtomicReference<>();
        int[] asked = {0};
        Backend subject = Backend.kernel("emulator holding the first io-wq item back one enter, posting on its own",
                memory -> new PostsOnItsOwnTime(EmulatedIoUring.open(EmulatorOptions.parse(
                        ChoicesTogetherTest.PROFILE, "seed=1"), memory).withStillWorld().withChooser(
                                (Choice c, int ringFd) -> c.name().equals(Choices.STILL_RUNNING) && asked[0]++ == 0
                                        ? 1 : c.defaultOutcome()), fire));
        Backend reference = Backend.emulator("emulator, whose trial references fire the subject's timer", memory -> {
            Runnable r = fire.getAndSet(null);
            if (r != null) {
                r.run(); // the first reference opened after the subject's setup: the search's first trial
            }
            return EmulatedIoUring.open(EmulatorOptions.parse(ChoicesTogetherTest.PROFILE, "seed=1"), memory);
        });
        List<Step> steps = anFsyncThenEnters(0, false); // the FSYNC's enter, where the search runs, the last step
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o;
        try (LockstepRunner runner = new LockstepRunner(reference, subject).withWorld()) {
            o = runner.run(steps, coverage);
        }
        assertThat(fire.get()).as("the subject's timer fired").isNull();
        assertThat(o.divergence()).as("the run, the FSYNC held back one enter").isNull();
        assertThat(coverage.choices().keySet()).as("the choices the run took")
                .contains("IOWQ_STILL_RUNNING = still running at 1 more enter");
    }

    /** What a side shows after an enter: no ring counters to tell apart, the CQEs of these user_data in turn. */
    private static Comparison.Shown showing(long... userData) {
        List<Cqe> cqes = new ArrayList<>();
        for (long ud : userData) {
            cqes.add(new Cqe(ud, 0, 0, 0, 0));
        }
        return new Comparison.Shown(Counters.none(0), cqes, "");
    }

    /** A nearness ({@link ChoiceRebuild}) of {@code differences} differences, no CQE agreeing from the first. */
    private static long differing(int differences) {
        return -((long) differences << 32);
    }

    /** A budget no search of these tests reaches. */
    private static ChoiceRebuild.Budget unbounded() {
        return new ChoiceRebuild.Budget(Integer.MAX_VALUE);
    }

    /**
     * An outcome that brings the reference to a choice point the run never reached there is extended with that
     * point's other outcomes (world lockstep seed 1800: IOWQ_COMPLETION_ORDER = newest first lets the worker of an
     * FSYNC linked to a LINK_TIMEOUT finish first, and only then is TASK_WORK_BETWEEN_IOWQ_POSTS asked, whether the
     * timeout's -ECANCELED runs before the other FSYNC's worker posts). The opened outcome is no single outcome of the
     * search's first level; the pair agrees.
     */
    @Test
    void anOutcomeThatOpensAChoicePointIsExtendedWithItsOutcomes() {
        Choices.Taken newest = new Choices.Taken(44, IoWqChoices.IOWQ_COMPLETION_ORDER, 1, 0);
        Choices.Taken oldest2 = new Choices.Taken(44, IoWqChoices.IOWQ_COMPLETION_ORDER, 2, 0);
        Choices.Taken between = new Choices.Taken(44, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0);
        List<List<Choices.Taken>> tried = new ArrayList<>();
        ChoiceRebuild.Rebuilt found = ChoiceRebuild.beamSearch(List.of(List.of(newest), List.of(oldest2)),
                differing(1), unbounded(), trial -> {
                    tried.add(trial);
                    if (Set.copyOf(trial).equals(Set.of(newest, between))) {
                        return new ChoiceRebuild.Attempt(new ChoiceRebuild.Rebuilt(trial, null), 0L, true, null);
                    }
                    return trial.equals(List.of(newest))
                            ? new ChoiceRebuild.Attempt(null, differing(1) + 12, true, showing(5, 4, 6),
                                    List.of(between))
                            : new ChoiceRebuild.Attempt(null, differing(1) + 11, true, showing(4, 6, 5));
                });
        assertThat(found).as("the search's result").isNotNull();
        assertThat(found.taken()).as("the outcomes found").containsExactlyInAnyOrder(newest, between);
    }

    /**
     * A search stops at its budget of references, a count, so that a seed's verdict does not depend on the machine's
     * load (world lockstep seed 2168: one search took 80 s and failed, 1 to 3 s on reruns): the trial that would
     * agree is the fifth single outcome; a budget of four stops before it, says it was spent, and tries no pair.
     */
    @Test
    void aSearchStopsAtItsBudgetOfReferences() {
        List<List<Choices.Taken>> singles = new ArrayList<>();
        for (int step = 1; step <= 6; step++) {
            singles.add(List.of(new Choices.Taken(step, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0)));
        }
        List<List<Choices.Taken>> tried = new ArrayList<>();
        Function<List<Choices.Taken>, ChoiceRebuild.Attempt> attempt = trial -> {
            tried.add(trial);
            return trial.equals(singles.get(4))
                    ? new ChoiceRebuild.Attempt(new ChoiceRebuild.Rebuilt(trial, null), 0L, true, null)
                    : new ChoiceRebuild.Attempt(null, differing(1), true, showing(tried.size()));
        };
        ChoiceRebuild.Budget four = new ChoiceRebuild.Budget(4);
        assertThat(ChoiceRebuild.beamSearch(singles, differing(2), four, attempt)).as("within four").isNull();
        assertThat(tried).as("the trials within four").hasSize(4);
        assertThat(four.spent()).as("the budget of four spent").isTrue();
        tried.clear();
        ChoiceRebuild.Budget five = new ChoiceRebuild.Budget(5);
        assertThat(ChoiceRebuild.beamSearch(singles, differing(2), five, attempt)).as("within five").isNotNull();
        assertThat(five.spent()).as("the budget of five spent").isFalse();
        assertThat(five.used()).as("the references of five").isEqualTo(5);
    }

    /**
     * Three outcomes at one step that each leave the step showing the same thing, one difference from the subject,
     * nearer than any other single outcome (world lockstep seed 253: many requests of one enter whose io-wq outcomes
     * move only CQEs still on a flushed overflow list), and two outcomes at earlier steps, each two differences away,
     * that agree with the subject together. The beam goes on past the three alike outcomes until it holds three
     * different things, so the two others are extended too and their pair is tried; a beam of the three alike extended
     * only them, and the search found nothing.
     */
    @Test
    void theBeamGoesOnUntilItHoldsThreeDifferentThings() {
        Choice c = Choice.TASK_WORK_OF_ANOTHER_TASK;
        List<Choices.Taken> alike = List.of(new Choices.Taken(30, c, 1, 0), new Choices.Taken(30, c, 1, 1),
                new Choices.Taken(30, c, 1, 2));
        Choices.Taken first = new Choices.Taken(20, c, 2, 0);
        Choices.Taken second = new Choices.Taken(10, c, 2, 0);
        List<List<Choices.Taken>> singles = new ArrayList<>();
        alike.forEach(t -> singles.add(List.of(t)));
        singles.add(List.of(first));
        singles.add(List.of(second));
        List<List<Choices.Taken>> tried = new ArrayList<>();
        ChoiceRebuild.Rebuilt found = ChoiceRebuild.beamSearch(singles, differing(4), unbounded(), trial -> {
            tried.add(trial);
            if (Set.copyOf(trial).equals(Set.of(first, second))) {
                return new ChoiceRebuild.Attempt(new ChoiceRebuild.Rebuilt(trial, null), 0L, true, null);
            }
            if (trial.size() > 1) { // any other pair comes no nearer than its parts
                return new ChoiceRebuild.Attempt(null, differing(5), true, showing(tried.size()));
            }
            Choices.Taken t = trial.get(0);
            return alike.contains(t) ? new ChoiceRebuild.Attempt(null, differing(1), true, showing(1, 2, 3))
                    : new ChoiceRebuild.Attempt(null, differing(2), true, showing(t.step(), 1, 2));
        });
        assertThat(found).as("the search's result").isNotNull();
        assertThat(found.taken()).as("the outcomes found").containsExactlyInAnyOrder(first, second);
        assertThat(tried).as("the trials, the pair among them").contains(List.of(second, first));
    }

    /**
     * Two outcomes at one step that agree with the subject together: the first comes nearer alone, the second
     * changes nothing alone (world lockstep seed 268: an IOSQE_ASYNC WRITE to a socket still running past the POLL_ADD
     * of its peer four enters later, IOWQ_STILL_RUNNING, and the poll's CQE ahead of the WRITE's,
     * IOWQ_WAKES_BEFORE_IT_POSTS, which alone changes nothing where the WRITE finished before the poll was armed).
     * The beam extends the first with the second; one that changed nothing at another step is not tried beside it.
     */
    @Test
    void anOutcomeThatChangesNothingAloneIsTriedBesideOneOfItsStep() {
        Choices.Taken running = new Choices.Taken(30, Choice.TASK_WORK_OF_ANOTHER_TASK, 1, 0);
        Choices.Taken wakes = new Choices.Taken(30, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0);
        Choices.Taken elsewhere = new Choices.Taken(20, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0);
        List<List<Choices.Taken>> tried = new ArrayList<>();
        ChoiceRebuild.Rebuilt found = ChoiceRebuild.beamSearch(List.of(List.of(running), List.of(elsewhere),
                List.of(wakes)), differing(2), unbounded(), trial -> {
                    tried.add(trial);
                    if (Set.copyOf(trial).equals(Set.of(running, wakes))) {
                        return new ChoiceRebuild.Attempt(new ChoiceRebuild.Rebuilt(trial, null), 0L, true, null);
                    }
                    return trial.equals(List.of(running))
                            ? new ChoiceRebuild.Attempt(null, differing(1), true, showing(1, 2))
                            : new ChoiceRebuild.Attempt(null, differing(2), trial.size() > 1, showing(2, 1));
                });
        assertThat(found).as("the search's result").isNotNull();
        assertThat(found.taken()).as("the outcomes found").containsExactlyInAnyOrder(running, wakes);
        assertThat(tried).as("the trials").noneMatch(t -> t.size() > 1 && t.contains(elsewhere));
    }

    /**
     * Two io-wq items queued at two steps, both still running when the subject shows the CQE that came after them
     * (world lockstep seed 2709: two FSYNCs of the data file on a full CQE_MIXED ring, the kernel's overflow list
     * holding a CONNECT's -EBADF ahead of both): holding the first back changes what the step shows, as near as
     * before (the second's CQE takes its place); holding the second back changes nothing alone (the first's CQE is
     * ahead of it). The beam extends the first with the second's longest hold, though that changed nothing at a step
     * not of the trial's own; before, the pair was never tried. A shorter hold of the second is not tried beside it.
     */
    @Test
    void anItemHeldBackAtAnEarlierStepIsTriedBesideOneHeldBackAtAnother() {
        Choice running = IoWqChoices.IOWQ_STILL_RUNNING;
        Choices.Taken first = new Choices.Taken(50, running, 3, 0);
        Choices.Taken second = new Choices.Taken(54, running, 6, 0);
        Choices.Taken shorter = new Choices.Taken(54, running, 2, 0);
        Choices.Taken other = new Choices.Taken(54, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0);
        List<List<Choices.Taken>> tried = new ArrayList<>();
        ChoiceRebuild.Rebuilt found = ChoiceRebuild.beamSearch(List.of(List.of(first), List.of(shorter),
                List.of(second), List.of(other)), differing(2), unbounded(), trial -> {
                    tried.add(trial);
                    if (Set.copyOf(trial).equals(Set.of(first, second))) {
                        return new ChoiceRebuild.Attempt(new ChoiceRebuild.Rebuilt(trial, null), 0L, true, null);
                    }
                    return trial.contains(first)
                            ? new ChoiceRebuild.Attempt(null, differing(2), true, showing(13, 11))
                            : new ChoiceRebuild.Attempt(null, differing(2), false, showing(12, 11));
                });
        assertThat(found).as("the search's result").isNotNull();
        assertThat(found.taken()).as("the outcomes found").containsExactly(first, second);
        assertThat(tried).as("the trials").noneMatch(t -> t.size() > 1 && (t.contains(shorter) || t.contains(other)));
    }

    /**
     * Runs {@code choices} through steps 0 to 19, each an enter, step 5 reaching IOWQ_STILL_RUNNING once and steps 10
     * to 19 another choice each; with {@code hold}, the run accepted that outcome at step 5 when step 9 diverged.
     */
    private static Choices ranWithAHoldAtStep5(Choices.Taken hold) {
        Choices choices = new Choices();
        Choice running = IoWqChoices.IOWQ_STILL_RUNNING;
        for (int i = 0; i < 20; i++) {
            choices.beforeStep(i);
            if (i == 5) {
                choices.choose(running, 3);
            } else if (i >= 10) {
                choices.choose(Choice.TASK_WORK_OF_ANOTHER_TASK, 3);
            }
            if (i == 9 && hold != null) {
                Choices.Counting side = choices.replaying(List.of(hold));
                for (int j = 0; j <= 9; j++) {
                    side.beforeStep(j);
                    if (j == 5) {
                        side.choose(running, 3);
                    }
                }
                choices.accept(side, 9);
            }
            choices.ran(i, new Step.Enter(1, 0, 0), false);
        }
        choices.beforeStep(20);
        return choices;
    }

    /**
     * An io-wq item the run holds back from a step further back than the {@value Choices#LOOKBACK_CHOICE_STEPS}
     * nearest that reached a choice: a step that diverges tries its other holds, a shorter one among them (world
     * lockstep seed 2709: an FSYNC held past a flush at step 108, where its CQE was hidden behind a full CQ, its
     * CQE due before a NOP's at step 118, its step 54 nine steps that reached a choice back). A step as far back
     * whose outcomes the run left at their defaults is not looked at.
     */
    @Test
    void aStepWhereTheRunHoldsAnItemBackIsTriedAgainHoweverFarBack() {
        Choice running = IoWqChoices.IOWQ_STILL_RUNNING;
        Choices.Taken hold = new Choices.Taken(5, running, 6, 0);
        assertThat(ranWithAHoldAtStep5(null).candidates(20)).as("the outcomes tried, no hold at step 5")
                .noneMatch(t -> t.step() == 5);
        assertThat(ranWithAHoldAtStep5(hold).candidates(20)).as("the outcomes tried, a hold at step 5")
                .contains(new Choices.Taken(5, running, 2, 0), new Choices.Taken(5, running, 0, 0))
                .doesNotContain(hold);
    }

    /**
     * What a trial opened ({@link Choices#opened}): at the diverging step the run reached IOWQ_COMPLETION_ORDER once;
     * a replay taking its newest-first outcome reaches it again and TASK_WORK_BETWEEN_IOWQ_POSTS, which the run never
     * reached there (world lockstep seed 1800). Opened: the other outcomes of the second occurrence and of the new
     * choice; not the first occurrence's, which the first level tries already.
     */
    @Test
    void aTrialOpensTheChoicesItsReplayReachedBeyondTheRun() {
        Choice order = IoWqChoices.IOWQ_COMPLETION_ORDER;
        Choices choices = new Choices();
        choices.beforeStep(0);
        choices.ran(0, new Step.Enter(1, 0, 0), false);
        choices.beforeStep(1);
        choices.choose(order, 3);
        Choices.Taken newest = new Choices.Taken(1, order, 1, 0);
        Choices.Counting side = choices.replaying(List.of(newest));
        side.beforeStep(0);
        side.beforeStep(1);
        side.choose(order, 3);
        side.choose(order, 3);
        side.choose(Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 3);
        assertThat(choices.opened(side, 1)).as("the outcomes opened").containsExactlyInAnyOrder(
                new Choices.Taken(1, order, 1, 1), new Choices.Taken(1, order, 2, 1),
                new Choices.Taken(1, Choice.TASK_WORK_BETWEEN_IOWQ_POSTS, 1, 0));
    }

    /**
     * A trial opens the choices its replay reached at a step between its own and the diverging one, too: an io-wq
     * item held back at step 1 finishes at step 2 beside the one the run finished there, where the order of the two
     * is asked a second time (world lockstep seed 82: a SPLICE's and a WRITEV's workers held back two enters, a later
     * SPLICE's CQE posted between theirs, IOWQ_COMPLETION_ORDER's second occurrence newest first). Opened: the
     * other outcomes of that second occurrence at step 2, though step 2 is neither the trial's step nor the
     * diverging step 3.
     */
    @Test
    void aTrialOpensTheChoicesItsReplayReachedAtALaterStep() {
        Choice running = IoWqChoices.IOWQ_STILL_RUNNING;
        Choice order = IoWqChoices.IOWQ_COMPLETION_ORDER;
        Choices choices = new Choices();
        for (int i = 0; i < 3; i++) {
            choices.beforeStep(i);
            if (i == 1) {
                choices.choose(running, 3);
            } else if (i == 2) {
                choices.choose(order, 3);
            }
            choices.ran(i, new Step.Enter(1, 0, 0), false);
        }
        choices.beforeStep(3);
        Choices.Counting side = choices.replaying(List.of(new Choices.Taken(1, running, 2, 0)));
        for (int i = 0; i <= 3; i++) {
            side.beforeStep(i);
            if (i == 1) {
                side.choose(running, 3);
            } else if (i == 2) {
                side.choose(order, 3);
                side.choose(order, 3);
            }
        }
        assertThat(choices.opened(side, 3)).as("the outcomes opened").containsExactlyInAnyOrder(
                new Choices.Taken(2, order, 1, 1), new Choices.Taken(2, order, 2, 1));
    }
}
