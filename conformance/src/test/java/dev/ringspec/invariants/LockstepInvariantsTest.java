package dev.ringspec.invariants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.lockstep.InvariantWatch;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The lockstep engine checks the invariants after every step, on both sides. */
class LockstepInvariantsTest {
    private static final Backend MODEL = Backend.model("model", m -> new ModelIoUring(KernelProfile.LINUX_6_18, m));

    private static long checks(Map<RingInvariant, InvariantChecker.Count> counts, RingInvariant invariant) {
        return counts.get(invariant).checks();
    }

    @Test
    void everyStepOnBothSidesIsChecked() {
        try (LockstepRunner runner = new LockstepRunner(MODEL, MODEL)) {
            LockstepRunner.Outcome o = runner.generate(3, 120, null);
            InvariantWatch.RunResult run = runner.invariants().takeRun();
            // this forward-counter check applies to every step that ran on a ring that existed before and after
            assertThat(checks(run.reference(), RingInvariant.KERNEL_COUNTERS_MOVE_FORWARD))
                    .isLessThanOrEqualTo(o.steps().size() - o.refusedSteps()).isGreaterThan(o.steps().size() / 2);
            assertThat(run.reference()).isEqualTo(run.subject());
            assertThat(run.violations()).isEmpty();
        }
    }

    @Tag("kernel")
    @Test
    void theKernelSideIsCheckedToo() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        Backend kernel = Backend.kernel("kernel", m -> new NativeIoUring());
        try (LockstepRunner runner = new LockstepRunner(MODEL, kernel)) {
            runner.generate(3, 120, null);
            InvariantWatch.RunResult run = runner.invariants().takeRun();
            assertThat(checks(run.subject(), RingInvariant.NO_COMPLETION_LOST)).isPositive();
            assertThat(checks(run.subject(), RingInvariant.EVERY_CQE_ANSWERS_A_REQUEST)).isPositive();
        }
    }
}
