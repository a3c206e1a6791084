package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelBackendProvider;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.U32;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the generator means by its waits and timers, checked on the steps it generates against the ring each step
 * met (the reference's, after the step before): a GETEVENTS enter never asks for more CQEs than the ring shows then
 * (a min_complete drawn before the batch's own consume waited for CQEs that consume took: seed 377 of
 * {@link WorldLockstepTest}); and in runs with real I/O an enter that may submit a 5 ms timeout is followed at once
 * by the world's clock advancing, so the kernel's timer, which runs in real time, races no later step (a tail
 * published past the SQEs written submitted an old one again: seed 55).
 */
class GeneratedWaitsTest {

    /**
     * What one generated run did: its steps, the reference's ring after each, and whether a 5 ms timeout was among
     * that ring's pending SQEs, its timespec read then (the memory is reused by later steps and runs).
     */
    private record Run(long seed, List<Step> steps, List<RingObservation> rings, List<List<Boolean>> shortPending) {
        /** The ring step {@code i} met. */
        RingObservation before(int i) {
            return rings.get(i - 1);
        }

        /** Whether the ring step {@code i} met had a 5 ms timeout pending. */
        boolean shortTimeoutBefore(int i) {
            return shortPending.get(i - 1).contains(true);
        }

        /** Whether each SQE pending in the ring step {@code i} met, in turn, is a 5 ms timeout. */
        List<Boolean> shortBefore(int i) {
            return shortPending.get(i - 1);
        }
    }

    private static List<Run> runs(LockstepRunner runner, int count) {
        List<Run> out = new ArrayList<>();
        for (long seed = 1; seed <= count; seed++) {
            Run run = new Run(seed, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            runner.generate(new Generator(seed), 200, new Coverage(), (i, step, ref, sub) -> {
                run.steps().add(step);
                run.rings().add(ref);
                run.shortPending().add(!ref.exists() ? List.of()
                        : ref.pendingSqes().stream().map(GeneratedWaitsTest::shortTimeout).toList());
            });
            out.add(run);
        }
        return out;
    }

    @Test
    void aWaitAsksForNoMoreCqesThanTheRingShows() {
        List<String> violations = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(ModelBackendProvider.backend(KernelProfile.LINUX_6_18),
                ModelBackendProvider.backend(KernelProfile.LINUX_6_18))) {
            for (Run run : runs(runner, 1500)) {
                for (int i = 1; i < run.steps().size(); i++) {
                    RingObservation before = run.before(i);
                    if (run.steps().get(i).effective() instanceof Step.Enter e
                            && (e.flags() & IORING_ENTER_GETEVENTS) != 0 && before.exists()
                            && e.minComplete() > Math.min(U32.distance(before.cqTail(), before.cqHead()),
                                    before.cqEntries())) {
                        violations.add("seed " + run.seed() + " step " + i + ": " + e.describe() + " on a CQ of "
                                + U32.distance(before.cqTail(), before.cqHead()));
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    /**
     * Whether a pending SQE is one of the world's timeouts (a TIMEOUT or LINK_TIMEOUT of one timespec, the only
     * ones the generator writes) whose timespec, in the reference's memory, is 5 ms.
     */
    @SuppressWarnings("restricted") // reads the reference's own memory, where the world put its timespecs
    private static boolean shortTimeout(RingObservation.PendingSqe p) {
        if (p.opcode() != IORING_OP_TIMEOUT && p.opcode() != IORING_OP_LINK_TIMEOUT || p.len() != 1
                || p.addr() == 0) {
            return false;
        }
        MemorySegment ts = MemorySegment.ofAddress(p.addr()).reinterpret(16);
        return ts.get(JAVA_LONG, 0) == 0 && ts.get(JAVA_LONG, 8) == 5_000_000L;
    }

    @Test
    void anEnterThatMaySubmitAShortTimeoutIsFollowedByTheClock() {
        List<String> violations = new ArrayList<>();
        int checked = 0;
        var emulator = EmulatorBackendProvider.backend(KernelProfile.LINUX_6_18).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(emulator, emulator).withWorld()) {
            for (Run run : runs(runner, 60)) {
                for (int i = 1; i + 1 < run.steps().size(); i++) {
                    if (run.steps().get(i).effective() instanceof Step.Enter e && e.toSubmit() > 0
                            && run.shortTimeoutBefore(i)) {
                        checked++;
                        if (!(run.steps().get(i + 1) instanceof Step.Outside o
                                && o.action() == Step.Outside.ADVANCE_CLOCK)) {
                            violations.add("seed " + run.seed() + " step " + i + ": " + e.describe() + ", then "
                                    + run.steps().get(i + 1).describe());
                        }
                    }
                }
            }
        }
        assertThat(checked).as("enters that found a 5 ms timeout pending").isPositive();
        assertThat(violations).isEmpty();
    }

    /**
     * The world's requests that start a 5 ms timer (a TIMEOUT of the world's first timespec, or a request and the
     * LINK_TIMEOUT of it linked to it) are written after the enter of the batch's others, and submitted by an enter
     * that submits no other request the world wrote, which the clock's advance follows: the run waits after the others' enter for a kernel's io-wq
     * CQEs (up to 200 ms), which the timer must not race (world seeds 2168 and 3131: a TIMEOUT of 5 ms submitted with
     * a SPLICE or a STATX; the kernel's -ETIME CQEs came while the run waited for the worker's, the emulator's only
     * at the clock's advance).
     */
    @Test
    void aShortTimerIsSubmittedInAnEnterOfItsOwn() {
        List<String> violations = new ArrayList<>();
        int checked = 0;
        var emulator = EmulatorBackendProvider.backend(KernelProfile.LINUX_6_18).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(emulator, emulator).withWorld()) {
            for (Run run : runs(runner, 60)) {
                List<Step> steps = run.steps();
                for (int i = 0; i < steps.size(); i++) {
                    if (!(steps.get(i) instanceof Step.WriteIo w && shortTimer(w))) {
                        continue;
                    }
                    checked++;
                    int from = i;
                    while (from > 0 && !(steps.get(from - 1).effective() instanceof Step.Enter)) {
                        from--;
                    }
                    int enter = i;
                    while (enter < steps.size() && !(steps.get(enter).effective() instanceof Step.Enter)) {
                        enter++;
                    }
                    for (int k = from; k < enter; k++) {
                        // a request the enter submits: a timer, a request linked to one, a timeout linked to one
                        boolean timerUnit = steps.get(k) instanceof Step.WriteIo x && (shortTimer(x)
                                || (x.flags() & IOSQE_IO_LINK) != 0 && k + 2 < enter
                                        && steps.get(k + 2) instanceof Step.WriteIo t && shortTimer(t)
                                || x.opcode() == IORING_OP_LINK_TIMEOUT && k >= 2
                                        && steps.get(k - 2) instanceof Step.WriteIo h && shortTimer(h));
                        if (steps.get(k) instanceof Step.WriteIo && !timerUnit) {
                            violations.add("seed " + run.seed() + " step " + k + ": " + steps.get(k).describe()
                                    + " before the enter of the 5 ms timer at step " + i);
                        }
                    }
                    if (enter + 1 < steps.size() && !WorldSteps.advancesTheClock(steps.get(enter + 1))) {
                        violations.add("seed " + run.seed() + " step " + (enter + 1) + ": "
                                + steps.get(enter + 1).describe() + " after the enter of the 5 ms timer at step " + i);
                    }
                }
            }
        }
        assertThat(checked).as("5 ms timers written").isPositive();
        assertThat(violations).isEmpty();
    }

    /** Whether {@code w} is a TIMEOUT or LINK_TIMEOUT of the world's 5 ms (its first timespec). */
    private static boolean shortTimer(Step.WriteIo w) {
        return (w.opcode() == IORING_OP_TIMEOUT || w.opcode() == IORING_OP_LINK_TIMEOUT) && w.buf() == 0;
    }
}
