package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
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
    private record Run(long seed, List<Step> steps, List<RingObservation> rings, List<Boolean> shortPending) {
        /** The ring step {@code i} met. */
        RingObservation before(int i) {
            return rings.get(i - 1);
        }

        /** Whether the ring step {@code i} met had a 5 ms timeout pending. */
        boolean shortTimeoutBefore(int i) {
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
                run.shortPending().add(ref.exists()
                        && ref.pendingSqes().stream().anyMatch(GeneratedWaitsTest::shortTimeout));
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
}
