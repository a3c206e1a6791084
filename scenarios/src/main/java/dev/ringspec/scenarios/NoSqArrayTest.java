package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * Without the SQ array the ring position is the SQE index: {@code sq_off.array} is 0 and nothing can be dropped
 * (ring-semantics.md A1 {@code io_get_sqe}, Part B row 2).
 */
@Tag("kernel")
class NoSqArrayTest {

    // Row 2: sq_off.array = 0; 3 NOPs -> head 3, CQEs 100..102.
    @Scenario
    void noSqArrayRingReportsArrayOffsetZeroAndSubmitsInRingOrder(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.NO_SQARRAY);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_NO_SQARRAY)) {
            assertThat(r.ring.params().sqOff().array()).isZero();
            r.nop(100);
            r.nop(101);
            r.nop(102);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(3);
            assertThat(r.reapUserData()).containsExactly(100L, 101L, 102L);
        }
    }

    // A1: with NO_SQARRAY the SQE at index (counter & mask) is the one submitted, across wraps.
    @Scenario
    void ringPositionIsTheSqeIndexAcrossWraps(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.NO_SQARRAY);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_NO_SQARRAY)) {
            for (int round = 0; round < 5; round++) {
                int tail = r.sq().readOnceTail();
                for (int i = 0; i < 3; i++) {
                    long sqe = r.sq().sqeOffset((tail + i) & 3);
                    Sqe.prepNop(r.sqes(), sqe, 1000L * round + i);
                }
                r.sq().storeReleaseTail(tail + 3);
                assertThat(r.enter(3, 0, 0)).isEqualTo(3);
                assertThat(r.reapUserData()).containsExactly(1000L * round, 1000L * round + 1, 1000L * round + 2);
            }
            assertThat(r.sq().loadAcquireHead()).isEqualTo(15);
            assertThat(r.sq().readOnceDropped()).isZero();
        }
    }
}
