package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The generator's steps for SQE_MIXED and SQ_REWIND rings, model against model: generated only where the referee
 * model takes those layouts, every step agrees on two copies of the model, no stated invariant breaks on those
 * rings on either side, and the coverage labels show NOP128s in two slots and in the last slot, mixed enters and
 * rewinds.
 */
class NewerLayoutStepsTest {
    private static final int RUNS = Integer.getInteger("lockstep.newerRuns", 150);

    private static Backend model(KernelProfile profile) {
        return Backend.model("model " + profile.version(), m -> new ModelIoUring(profile, m, Set.of()));
    }

    @Test
    void sevenTwoModelAgainstItselfTakesMixedSqesAndRewindsWithoutDifferenceOrViolation() {
        Coverage coverage = new Coverage();
        List<String> problems = new ArrayList<>();
        int setups = 0;
        try (LockstepRunner runner = new LockstepRunner(model(KernelProfile.LINUX_7_2),
                model(KernelProfile.LINUX_7_2))) {
            assertThat(runner.newerLayouts()).containsExactlyInAnyOrder(Feature.SQE_MIXED, Feature.SQ_REWIND);
            for (long seed = 1; seed <= RUNS; seed++) {
                LockstepRunner.Outcome o = runner.generate(seed, 200, coverage);
                if (o.diverged()) {
                    problems.add("seed " + seed + ": " + o.divergence());
                }
                for (InvariantWatch.SideViolation v : runner.invariants().takeRun().violations()) {
                    if (onANewerRingThatBehaved(o.steps(), v.violation().step())) {
                        problems.add("seed " + seed + ": " + v.side() + " " + v.violation());
                    }
                }
                setups += (int) o.steps().stream().filter(s -> s instanceof Step.Setup st
                        && (st.flags() & (IORING_SETUP_SQE_MIXED | IORING_SETUP_SQ_REWIND)) != 0).count();
            }
        }
        assertThat(problems).isEmpty();
        assertThat(setups).isPositive();
        assertThat(coverage.count(Coverage.Label.SQE_MIXED_RINGS)).isPositive();
        assertThat(coverage.count(Coverage.Label.SQ_REWIND_RINGS)).isPositive();
        assertThat(coverage.count(Coverage.Label.SQES_128_TWO_SLOTS)).isPositive();
        assertThat(coverage.count(Coverage.Label.SQES_128_REFUSED)).isPositive();
        assertThat(coverage.count(Coverage.Label.SQES_128_IN_LAST_SLOT)).isPositive();
        assertThat(coverage.count(Coverage.Label.MIXED_SQE_ENTERS)).isPositive();
        assertThat(coverage.count(Coverage.Label.REWINDS)).isPositive();
    }

    /**
     * Whether a violation at step {@code index} is one of these steps': on an SQE_MIXED or SQ_REWIND ring on which
     * the application did not misbehave before it (move a head itself, or publish a tail more than a ring ahead, so
     * stale SQEs run again with user_data already used). What the invariants make of misbehaviour (7.x's CQ head past
     * the tail, requests told apart by user_data) is their own question, as are the rings of the other layouts.
     */
    private static boolean onANewerRingThatBehaved(List<Step> steps, int index) {
        int last = Math.min(index, steps.size() - 1);
        for (int i = last; i >= 0; i--) {
            if (steps.get(i).effective() instanceof Step.Setup setup) {
                int sqEntries = Integer.highestOneBit(Math.max(setup.entries(), 1) * 2 - 1);
                boolean misbehaved = steps.subList(i, last + 1).stream().map(Step::effective)
                        .anyMatch(t -> t instanceof Step.MoveCqHead || t instanceof Step.MoveSqHead
                                || t instanceof Step.PublishTail(int delta) && delta > sqEntries);
                return (setup.flags() & (IORING_SETUP_SQE_MIXED | IORING_SETUP_SQ_REWIND)) != 0 && !misbehaved;
            }
        }
        return false;
    }

    @Test
    void aProfileWithoutTheNewerLayoutsGeneratesNoneOfTheirSteps() {
        try (LockstepRunner runner = new LockstepRunner(model(KernelProfile.LINUX_6_18),
                model(KernelProfile.LINUX_6_18))) {
            assertThat(runner.newerLayouts()).isEmpty();
            for (long seed = 1; seed <= 40; seed++) {
                for (Step s : runner.generate(seed, 200, null).steps()) {
                    Step step = s.effective();
                    assertThat(step).isNotInstanceOf(Step.WriteSqe128.class);
                    if (step instanceof Step.Setup setup) {
                        assertThat(setup.flags() & (IORING_SETUP_SQE_MIXED | IORING_SETUP_SQ_REWIND)).isZero();
                    }
                }
            }
        }
    }
}
