package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import org.junit.jupiter.api.Tag;

/**
 * One CQE_SKIP_SUCCESS SQE disables IO_DRAIN on the ring for good: every later drain SQE completes with
 * -EOPNOTSUPP (ring-semantics.md A1 checks 5-6, A3 "IOSQE_IO_DRAIN", Part B row 22 D2, Appendix A.5).
 */
@Tag("kernel")
class DrainAfterSkipTest {

    // D1: drain works on a ring that has never seen SKIP; the drained request completes after earlier ones.
    @Scenario
    void drainWorksOnARingThatNeverSawSkip(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.nop(2, IOSQE_IO_DRAIN);
            r.nop(3);
            assertThat(r.submitAndWait(3)).isEqualTo(3);
            assertThat(r.reapAll()).extracting(Cqe::res).containsExactly(0, 0, 0);
        }
    }

    // D2: DRAIN after any SKIP -> -EOPNOTSUPP, sticky across later batches.
    @Scenario
    void drainIsRefusedForeverAfterSkipSuccess(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_CQE_SKIP_SUCCESS);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.ready()).isZero();
            for (int batch = 0; batch < 3; batch++) {
                r.nop(10 + batch, IOSQE_IO_DRAIN);
                assertThat(r.submit()).isEqualTo(1);
                assertThat(r.reapAll()).containsExactly(new Cqe(10 + batch, -EOPNOTSUPP, 0, 0, 0));
            }
            r.nop(20);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(20, 0, 0, 0, 0));
        }
    }

    // D2, A1 check 5 before 6: SKIP and DRAIN on the same SQE -> -EOPNOTSUPP (skip disables drain first).
    @Scenario
    void skipAndDrainOnOneSqeIsRefused(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_DRAIN);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EOPNOTSUPP, 0, 0, 0));
        }
    }

    // A1 check 5: the flag is set at init, so a SKIP SQE earlier in the same batch already disables the drain.
    @Scenario
    void skipInTheSameBatchDisablesALaterDrain(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_CQE_SKIP_SUCCESS);
            r.nop(2, IOSQE_IO_DRAIN);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.reapAll()).containsExactly(new Cqe(2, -EOPNOTSUPP, 0, 0, 0));
        }
    }

    // D1 with task work: the drained SQE waits for a NOP_TW submitted before it, and the plain SQE after the drain
    // waits behind it: 1, 2, 3.
    @Scenario
    void drainWaitsForATaskWorkCompletionSubmittedBeforeIt(Backend backend) {
        assumeTrue((backend.capabilities().nopFlags() & IORING_NOP_TW) != 0,
                () -> backend.name() + " lacks IORING_NOP_TW");
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, 0, IORING_NOP_TW, 0);
            r.nop(2, IOSQE_IO_DRAIN);
            r.nop(3);
            assertThat(r.submitAndWait(3)).isEqualTo(3);
            assertThat(r.reapUserData()).containsExactly(1L, 2L, 3L);
        }
    }

    // D1, D2: a drain before the first SKIP still works and completes later, after the refused drain behind the SKIP,
    // which completes inline: (3, -EOPNOTSUPP), then (1, 0).
    @Scenario
    void aDrainBeforeTheFirstSkipStillWorks(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_DRAIN);
            r.nop(2, IOSQE_CQE_SKIP_SUCCESS);
            r.nop(3, IOSQE_IO_DRAIN);
            assertThat(r.submitAndWait(2)).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, -EOPNOTSUPP, 0, 0, 0), new Cqe(1, 0, 0, 0, 0));
        }
    }
}
