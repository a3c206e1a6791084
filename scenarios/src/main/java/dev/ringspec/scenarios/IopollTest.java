package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import java.time.Duration;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Tag;

/**
 * GETEVENTS on an IOPOLL ring is {@code io_iopoll_check}, not a wait (io_uring/io_uring.c): it never sleeps. With
 * CQEs in the ring it answers 0 at once whatever {@code min_complete}; with none and nothing on the iopoll list
 * (NOPs never join it) it runs task work and answers 0 too; it flushes the overflow list first; a DEFER_TASKRUN ring
 * polled by another task answers -EEXIST. Where a plain ring would sleep, each enter here returns within the
 * timeout.
 */
@Tag("kernel")
class IopollTest {
    private static final Duration AT_ONCE = Duration.ofSeconds(20);

    @Scenario
    void geteventsOnAnEmptyIopollRingAnswersZeroWithoutSleeping(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_IOPOLL)) {
            int result = assertTimeoutPreemptively(AT_ONCE, () -> r.enter(0, 1, IORING_ENTER_GETEVENTS));
            assertThat(result).isZero();
            assertThat(r.ready()).isZero();
        }
    }

    @Scenario
    void nopsCompleteAtSubmissionAndAWaitForMoreAnswersAtOnce(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_IOPOLL)) {
            r.nop(1);
            r.nop(2);
            int submitted = assertTimeoutPreemptively(AT_ONCE, () -> r.submitAndWait(8));
            assertThat(submitted).isEqualTo(2);
            assertThat(r.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(
                    Tuple.tuple(1L, 0), Tuple.tuple(2L, 0));
            r.nop(3);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.ready()).as("a NOP's CQE is posted at submission, not by polling").isEqualTo(1);
            int result = assertTimeoutPreemptively(AT_ONCE, () -> r.enter(0, 4, IORING_ENTER_GETEVENTS));
            assertThat(result).isZero();
            assertThat(r.reapUserData()).containsExactly(3L);
        }
    }

    @Scenario
    void geteventsFlushesTheOverflowListBeforeLookingAtTheRing(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_IOPOLL, 4)) {
            for (int i = 0; i < 4; i++) {
                r.nop(10 + i);
            }
            assertThat(r.submit()).isEqualTo(4);
            r.nop(14);
            r.nop(15);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reapUserData()).containsExactly(10L, 11L, 12L, 13L);
            int result = assertTimeoutPreemptively(AT_ONCE, () -> r.enter(0, 1, IORING_ENTER_GETEVENTS));
            assertThat(result).isZero();
            assertThat(r.reapUserData()).containsExactly(14L, 15L);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    @Scenario
    void aDeferTaskrunIopollRingPolledByAnotherTaskAnswersEexist(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8,
                IORING_SETUP_IOPOLL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(OnThread.call(() -> r.enter(0, 1, IORING_ENTER_GETEVENTS))).isEqualTo(-EEXIST);
            assertThat(r.enter(0, 1, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(r.reapUserData()).containsExactly(1L);
        }
    }
}
