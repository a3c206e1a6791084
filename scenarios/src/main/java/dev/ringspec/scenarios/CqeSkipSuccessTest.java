package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * IOSQE_CQE_SKIP_SUCCESS and its two asymmetric rules in a failing chain (ring-semantics.md A3
 * "IOSQE_CQE_SKIP_SUCCESS", Part B row 22 L4, L4b, L4c, Appendix A.5).
 */
@Tag("kernel")
class CqeSkipSuccessTest {
    private static final int SKIP = IOSQE_CQE_SKIP_SUCCESS;

    // A3: a successful SKIP request posts nothing; a failing one posts its CQE.
    @Scenario
    void skipSuccessPostsOnlyFailures(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, SKIP);
            r.nop(2, SKIP, IORING_NOP_INJECT_RESULT, -5);
            r.nop(3, SKIP, IORING_NOP_INJECT_RESULT, 6);
            r.nop(4);
            assertThat(r.submit()).isEqualTo(4);
            assertThat(r.reapAll()).containsExactly(new Cqe(2, -5, 0, 0, 0), new Cqe(4, 0, 0, 0, 0));
        }
    }

    // L4: a failing SKIP head posts its own CQE and silences the canceled successors.
    @Scenario
    void failingSkipRequestSilencesItsCanceledSuccessors(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, SKIP | IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, -5);
            r.nop(2, IOSQE_IO_LINK);
            r.nop(3);
            r.nop(4);
            assertThat(r.submit()).isEqualTo(4);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -5, 0, 0, 0), new Cqe(4, 0, 0, 0, 0));
        }
    }

    // L4b: a failing non-SKIP request forces -ECANCELED CQEs from successors that asked for SKIP.
    @Scenario
    void canceledSkipSuccessorsStillPostEcanceled(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, -5);
            r.nop(2, SKIP | IOSQE_IO_LINK);
            r.nop(3, SKIP);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -5, 0, 0, 0), new Cqe(2, -ECANCELED, 0, 0, 0),
                    new Cqe(3, -ECANCELED, 0, 0, 0));
        }
    }

    // L4c: an init failure in a chain whose head has SKIP: the head posts -ECANCELED, everything else is silent,
    // the bad SQE's own -EINVAL included.
    @Scenario
    void initFailureInASkipHeadedChainPostsOnlyTheHead(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, SKIP | IOSQE_IO_LINK);
            long bad = r.nop(2, IOSQE_IO_LINK);
            Sqe.ioprio(r.sqes(), bad, 1);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -ECANCELED, 0, 0, 0));
        }
    }

    // A3: a successful SKIP chain posts nothing at all.
    @Scenario
    void successfulSkipChainPostsNothing(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, SKIP | IOSQE_IO_LINK);
            r.nop(2, SKIP | IOSQE_IO_LINK);
            r.nop(3, SKIP);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.ready()).isZero();
            assertThat(r.cq().loadAcquireTail()).isZero();
        }
    }
}
