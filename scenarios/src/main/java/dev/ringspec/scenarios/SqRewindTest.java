package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * SQ_REWIND rings (7.0+) ignore the SQ tail and never write the SQ head: every submit reads {@code to_submit}
 * SQEs starting again at index 0 (ring-semantics.md A1 "IORING_SETUP_SQ_REWIND", Part B row 7).
 */
@Tag("kernel")
class SqRewindTest {
    private static final int REWIND = IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY;

    // Row 7 and A1: SQ_REWIND alone -> -EINVAL everywhere (it needs NO_SQARRAY where it exists).
    @Scenario
    void sqRewindWithoutNoSqarrayIsInvalid(Backend backend) {
        assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_SQ_REWIND)).isEqualTo(-EINVAL);
    }

    // A1: SQ_REWIND is incompatible with SQPOLL.
    @Scenario
    void sqRewindWithSqpollIsInvalid(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQ_REWIND);
        assertThat(ScenarioRing.setupResult(backend, 4, REWIND | IORING_SETUP_SQPOLL)).isEqualTo(-EINVAL);
    }

    // A1: entries = sq_entries, so to_submit alone decides the count; cached head goes back to 0 and sq.head
    // is never written.
    @Scenario
    void everySubmitStartsAgainAtSqeIndexZero(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQ_REWIND);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, REWIND)) {
            Sqe.prepNop(r.sqes(), r.sq().sqeOffset(0), 1);
            Sqe.prepNop(r.sqes(), r.sq().sqeOffset(1), 2);
            assertThat(r.enter(2, 0, 0)).as("the tail (0) is ignored").isEqualTo(2);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
            assertThat(r.sq().loadAcquireHead()).as("sq.head is never written").isZero();

            Sqe.prepNop(r.sqes(), r.sq().sqeOffset(0), 3);
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A1: at most sq_entries per enter, all from index 0.
    @Scenario
    void toSubmitIsCappedAtSqEntries(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQ_REWIND);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, REWIND)) {
            for (int i = 0; i < 4; i++) {
                Sqe.prepNop(r.sqes(), r.sq().sqeOffset(i), 10 + i);
            }
            assertThat(r.enter(9, 0, 0)).isEqualTo(4);
            assertThat(r.reapUserData()).containsExactly(10L, 11L, 12L, 13L);
            assertThat(r.enter(2, 0, 0)).isEqualTo(2);
            assertThat(r.reapUserData()).containsExactly(10L, 11L);
        }
    }
}
