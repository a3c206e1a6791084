package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Where the kernel took two outcomes at once, the run rebuilds its reference with both, and with nothing looser: the
 * subject is the deterministic emulator told to take given io-wq outcomes (a kernel whose timing is known), so each
 * run shows the same thing. Two FSYNCs queued in one enter, each still running on io-wq for its own number of later
 * enters (world seed 113: an FSYNC and a WRITEV of the same batch, whose CQEs came 4 and 3 enters late), need
 * {@code IOWQ_STILL_RUNNING} at both occurrences with different outcomes; no single outcome explains the first
 * difference, and the one that explains the most of it must be revised beside the other. That outcomes taken
 * together stay outcomes of the choice points, an order none allows still diverging, {@link WorldChoicesTest} checks
 * against this kernel with the search as it is.
 */
class ChoicesTogetherTest {
    static final KernelProfile PROFILE = KernelProfile.LINUX_6_18;

    /** An emulator that answers {@code IOWQ_STILL_RUNNING} with {@code stillRunning} in turn, then the default. */
    static Backend taking(int... stillRunning) {
        return Backend.kernel("emulator taking IOWQ_STILL_RUNNING " + java.util.Arrays.toString(stillRunning),
                memory -> {
                    int[] asked = {0};
                    Chooser chooser = (Choice c, int ringFd) -> c.name().equals("IOWQ_STILL_RUNNING")
                            && asked[0] < stillRunning.length ? stillRunning[asked[0]++] : c.defaultOutcome();
                    return EmulatedIoUring.open(EmulatorOptions.parse(PROFILE, "seed=1"), memory)
                            .withChooser(chooser);
                });
    }

    /**
     * An emulator that answers {@code IOWQ_STILL_RUNNING} with {@code stillRunning} and
     * {@code IOWQ_RACES_DEFER_TASKRUN_WAIT} with {@code callsAfter} at their first occurrences, then the defaults.
     */
    private static Backend takingBoth(int stillRunning, int callsAfter) {
        return Backend.kernel("emulator taking IOWQ_STILL_RUNNING " + stillRunning
                + " and IOWQ_RACES_DEFER_TASKRUN_WAIT " + callsAfter, memory -> {
                    java.util.Set<String> asked = new java.util.HashSet<>();
                    Chooser chooser = (Choice c, int ringFd) -> !asked.add(c.name()) ? c.defaultOutcome()
                            : c.name().equals("IOWQ_STILL_RUNNING") ? stillRunning
                            : c.name().equals("IOWQ_RACES_DEFER_TASKRUN_WAIT") ? callsAfter : c.defaultOutcome();
                    return EmulatedIoUring.open(EmulatorOptions.parse(PROFILE, "seed=1"), memory)
                            .withChooser(chooser);
                });
    }

    /**
     * On a TASKRUN_FLAG DEFER_TASKRUN ring whose CQ is full and whose overflow list holds a CQE already, so that a
     * CQE shows only as IORING_SQ_TASKRUN while its task work waits: an FSYNC of the world's file and an IOSQE_ASYNC
     * NOP, four steps without a call (more than the three calls {@code IOWQ_RACES_DEFER_TASKRUN_WAIT} reaches), a
     * NOP's enter, a GETEVENTS wait, an SQE written and published without a call, and a last GETEVENTS wait (world
     * lockstep seed 115's form: the kernel's IORING_SQ_TASKRUN up at a write of the SQ array two steps after a wait
     * that found nothing). The NOP's task work raises the flag on both sides after the FSYNC's enter, wherever the
     * FSYNC's is: the run waits after each step while the sides differ, and meanwhile the subject's io-wq runs too.
     */
    private static List<Step> anFsyncStillRunningPastAWait() {
        return anFsyncStillRunningPastAWait(0);
    }

    /** {@link #anFsyncStillRunningPastAWait()} with {@code nops} more enters of a NOP each before the NOP's enter. */
    private static List<Step> anFsyncStillRunningPastAWait(int nops) {
        int flags = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG;
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(2, flags, 0)));
        int sqe = 0;
        for (long ud = 10; ud <= 14; ud++) {
            steps.addAll(List.of(Step.WriteSqe.nop(sqe, 0, 0, 0, ud), new Step.WriteArray(sqe, sqe & 1),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
            sqe++;
        }
        steps.addAll(List.of(new Step.WriteIo(sqe, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(sqe, sqe & 1), Step.WriteSqe.nop(sqe + 1, IOSQE_ASYNC, 0, 0, 4),
                new Step.WriteArray(sqe + 1, sqe + 1 & 1), new Step.PublishTail(2), new Step.Enter(2, 0, 0)));
        sqe += 2;
        for (int i = 0; i < nops; i++) {
            steps.addAll(List.of(Step.WriteSqe.nop(sqe, 0, 0, 0, 20 + i), new Step.WriteArray(sqe, sqe & 1),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
            sqe++;
        }
        steps.addAll(List.of(Step.WriteSqe.nop(sqe, 0, 0, 0, 2), new Step.WriteArray(sqe, sqe & 1),
                new Step.PublishTail(1), WorldSteps.advanceClock(), new Step.Enter(1, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        sqe++;
        steps.addAll(List.of(Step.WriteSqe.nop(sqe, 0, 0, 0, 3), new Step.WriteArray(sqe, sqe & 1),
                new Step.PublishTail(1), new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        return steps;
    }

    /**
     * The FSYNC of {@link #anFsyncStillRunningPastAWait} still running at the next two enters (the NOP's and the
     * wait's) and finished one or two calls after the call that follows the wait, so its task work raises
     * IORING_SQ_TASKRUN after the SQE's or the SQ array's write: either outcome alone raises it at another step,
     * which the subject contradicts, so the search never extended either; it now tries the two as one trial.
     */
    @Test
    void anIoWqItemStillRunningPastAWaitThatFinishesCallsLaterIsOneTrial() {
        for (int callsAfter = 2; callsAfter <= 3; callsAfter++) {
            Map<String, Long> taken = new TreeMap<>();
            LockstepRunner.Outcome o = run(anFsyncStillRunningPastAWait(), takingBoth(2, callsAfter), taken);
            assertThat(o.divergence()).as("the run with both outcomes, %d calls after", callsAfter).isNull();
            assertThat(taken.keySet()).as("the choices the run took").anySatisfy(k -> assertThat(k).matches(
                    "IOWQ_STILL_RUNNING = still running at 2 more enters \\+ IOWQ_RACES_DEFER_TASKRUN_WAIT = .*"));
        }
    }

    /**
     * {@link #anIoWqItemStillRunningPastAWaitThatFinishesCallsLaterIsOneTrial} with four more enters of a NOP
     * between the FSYNC's and the wait: the FSYNC still running at six enters, past the four the pairs tried, and
     * finished two calls after the last (world lockstep seeds 1339 and 1921: an FSYNC of the data file still running
     * at 8 and 6 enters, the kernel's IORING_SQ_TASKRUN up at an advanceClock long after).
     */
    @Test
    void anIoWqItemStillRunningPastManyEntersThatFinishesCallsLaterIsOneTrial() {
        Map<String, Long> taken = new TreeMap<>();
        LockstepRunner.Outcome o = run(anFsyncStillRunningPastAWait(4), takingBoth(6, 2), taken);
        assertThat(o.divergence()).as("the run with both outcomes").isNull();
        assertThat(taken.keySet()).as("the choices the run took").anySatisfy(k -> assertThat(k).matches(
                "IOWQ_STILL_RUNNING = still running at 6 more enters \\+ IOWQ_RACES_DEFER_TASKRUN_WAIT = .*"));
    }

    /**
     * On a ring whose CQ is full and whose overflow list holds a CQE already, so that every later CQE waits there,
     * in an order that shows only when it
     * is flushed: two FSYNCs of the world's file in one enter, four enters of a NOP each, then the CQ emptied and
     * refilled from the overflow list twice.
     */
    private static List<Step> twoFsyncsThenNops() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(2, 0, 0)));
        int sqe = 0;
        for (long ud : new long[] {10, 11, 12, 13, 14}) {
            steps.add(Step.WriteSqe.nop(sqe, 0, 0, 0, ud));
            steps.add(new Step.WriteArray(sqe, sqe & 1));
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
            sqe++;
        }
        for (long ud : new long[] {1, 2}) {
            steps.add(new Step.WriteIo(sqe, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, ud));
            steps.add(new Step.WriteArray(sqe, sqe & 1));
            sqe++;
        }
        steps.add(new Step.PublishTail(2));
        steps.add(new Step.Enter(2, 0, 0));
        for (long ud = 3; ud <= 6; ud++) {
            steps.add(Step.WriteSqe.nop(sqe, 0, 0, 0, ud));
            steps.add(new Step.WriteArray(sqe, sqe & 1));
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
            sqe++;
        }
        for (int i = 0; i < 2; i++) {
            steps.add(new Step.ConsumeCqes(4));
            steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        }
        return steps;
    }

    /** One run of {@code steps}, the emulator against {@code subject}: the divergence (or null), and the choices. */
    private static LockstepRunner.Outcome run(List<Step> steps, Backend subject, Map<String, Long> taken) {
        Backend reference = EmulatorBackendProvider.backend(PROFILE).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(reference, subject).withWorld()) {
            Coverage coverage = new Coverage();
            LockstepRunner.Outcome o = runner.run(steps, coverage);
            coverage.choices().forEach((k, v) -> taken.merge(k, v, Long::sum));
            return o;
        }
    }

    /**
     * On a TASKRUN_FLAG DEFER_TASKRUN ring whose CQ holds four CQEs: three NOPs, then three FSYNCs of the world's
     * file in one enter, and the GETEVENTS waits that run their task work. Where every FSYNC finishes at once, the
     * first wait posts the first FSYNC's CQE into the last free slot and the other two go to the overflow list
     * (IORING_SQ_CQ_OVERFLOW).
     */
    static List<Step> threeFsyncsIntoAFullCq() {
        int flags = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG
                | IORING_SETUP_CQSIZE;
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, flags, 4)));
        for (int i = 0; i < 3; i++) {
            steps.add(Step.WriteSqe.nop(i, 0, 0, 0, 10 + i));
            steps.add(new Step.WriteArray(i, i));
        }
        steps.add(new Step.PublishTail(3));
        steps.add(new Step.Enter(3, 0, 0));
        for (int i = 0; i < 3; i++) {
            int sqe = (3 + i) & 3;
            steps.add(new Step.WriteIo(sqe, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, i + 1));
            steps.add(new Step.WriteArray(3 + i, sqe));
        }
        steps.add(new Step.PublishTail(3));
        steps.add(new Step.Enter(3, 0, 0));
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        steps.add(new Step.Enter(0, 0, 0));
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        return steps;
    }

    /**
     * The first two FSYNCs of {@link #threeFsyncsIntoAFullCq} still running at the first GETEVENTS wait: the subject
     * shows the third FSYNC's CQE in the last slot and IORING_SQ_TASKRUN, where the reference shows the first's and
     * IORING_SQ_CQ_OVERFLOW. Either FSYNC held back alone raises IORING_SQ_TASKRUN and leaves the other in that slot,
     * as many CQEs out of place as before: a search that weighed only the CQEs found no trial nearer and tried no
     * pair (the run diverged in the SQ flags); one that counts the flags too extends it with the other.
     */
    @Test
    void aTrialThatRaisesTheSubjectsTaskrunFlagIsNearerThoughItsCqesAreNot() {
        Map<String, Long> taken = new TreeMap<>();
        LockstepRunner.Outcome o = run(threeFsyncsIntoAFullCq(), taking(1, 1), taken);
        assertThat(o.divergence()).as("the run with both outcomes").isNull();
        assertThat(taken.keySet()).as("the choices the run took").anySatisfy(k -> assertThat(k).contains(" + "));
    }

    @Test
    void twoIoWqItemsStillRunningForDifferentNumbersOfEntersAreTwoChoicesTakenTogether() {
        Map<String, Long> taken = new TreeMap<>();
        LockstepRunner.Outcome o = run(twoFsyncsThenNops(), taking(3, 1), taken);
        assertThat(o.divergence()).as("the run with both outcomes").isNull();
        // the first difference (the overflow list's order, at the first flush) needs both outcomes in one search
        assertThat(taken.keySet()).as("the choices the run took").anySatisfy(k -> assertThat(k)
                .matches("IOWQ_STILL_RUNNING = still running at \\d more enters? \\+ "
                        + "IOWQ_STILL_RUNNING = still running at \\d more enters?"));
    }

    /**
     * On a ring of one SQE and two CQEs whose CQ is full and whose overflow list holds a CQE already: an FSYNC of the
     * world's file submitted twice from the same SQE (two requests, one user_data: world seed 106, an IOSQE_ASYNC
     * WRITE published twice on a one-entry SQ), then two NOPs, each in an enter of its own; then the CQ emptied and
     * refilled from the overflow list, after one CQE, then two, then two.
     */
    private static List<Step> oneFsyncSubmittedTwiceThenNops() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, 0, 0)));
        int position = 0;
        for (long ud : new long[] {10, 11, 12}) {
            steps.add(Step.WriteSqe.nop(position, 0, 0, 0, ud));
            steps.add(new Step.WriteArray(position++, 0));
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
        }
        steps.add(new Step.WriteIo(position, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1));
        steps.add(new Step.WriteArray(position++, 0));
        for (int i = 0; i < 2; i++) {
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
        }
        position++;
        for (long ud : new long[] {3, 4}) {
            steps.add(Step.WriteSqe.nop(position, 0, 0, 0, ud));
            steps.add(new Step.WriteArray(position++, 0));
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
        }
        for (int consume : new int[] {1, 2, 2}) {
            steps.add(new Step.ConsumeCqes(consume));
            steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        }
        return steps;
    }

    @Test
    void twoRequestsOfOneUserDataEachStillRunningAreTwoChoicesTakenTogether() {
        Map<String, Long> taken = new TreeMap<>();
        LockstepRunner.Outcome o = run(oneFsyncSubmittedTwiceThenNops(), taking(2, 2), taken);
        // moving either FSYNC alone past a NOP leaves the CQEs shown as near the subject's as before (one CQE of
        // user_data 1 for another), so only a search that goes on from such an outcome finds the pair
        assertThat(o.divergence()).as("the run with both outcomes").isNull();
        assertThat(taken.keySet()).as("the choices the run took").anySatisfy(k -> assertThat(k)
                .matches("IOWQ_STILL_RUNNING = still running at \\d more enters? \\+ "
                        + "IOWQ_STILL_RUNNING = still running at \\d more enters?"));
    }
}
