package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_FEAT_NODROP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import java.time.Duration;
import org.junit.jupiter.api.Tag;

/**
 * With FEAT_NODROP, CQEs that do not fit go to an overflow list: {@code SQ_CQ_OVERFLOW} is set, {@code cq_overflow}
 * stays 0, new CQEs queue behind the list even when the ring has room, and only a GETEVENTS enter flushes it, in
 * order and as far as it fits (ring-semantics.md A2 "Overflow", Part B row 12, Appendix A.7).
 */
@Tag("kernel")
class CqOverflowTest {

    private static void nops(ScenarioRing r, long firstUserData, int count) {
        for (int i = 0; i < count; i++) {
            r.nop(firstUserData + i);
        }
        assertThat(r.submit()).as("no -EBUSY while overflowed").isEqualTo(count);
    }

    // Row 12 (O1), step by step.
    @Scenario
    void overflowedCqesAreListedAndFlushedInOrderOnlyByGetevents(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            assertThat(r.ring.params().features() & IORING_FEAT_NODROP).isNotZero();
            nops(r, 0, 4);
            nops(r, 100, 4);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.cq().readOnceOverflow()).as("cq_overflow counts only dropped CQEs").isZero();

            nops(r, 200, 2);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(0L, 1L, 2L, 3L);

            // The ring is empty now, yet a new CQE queues behind the list.
            nops(r, 300, 1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);

            // GETEVENTS with min_complete 0 flushes as much as fits; the flag stays while the list is non-empty.
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(8);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(100L, 101L, 102L, 103L);

            assertThat(r.getEvents()).isZero();
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(200L, 201L, 300L);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
            assertThat(r.cq().readOnceOverflow()).isZero();
        }
    }

    // A2: a submit without GETEVENTS never flushes, even when the ring has room.
    @Scenario
    void submitWithoutGeteventsNeverFlushes(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            nops(r, 0, 4);
            nops(r, 10, 1);
            assertThat(r.reapAll()).hasSize(4);
            for (int i = 0; i < 3; i++) {
                assertThat(r.enter(0, 0, 0)).isZero();
            }
            assertThat(r.ready()).isZero();
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            // A submit with GETEVENTS posts its CQE behind the listed one.
            r.nop(11);
            assertThat(r.submitAndWait(0)).isEqualTo(1);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(10L, 11L);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    // Row 12 (E1): CQ full plus overflow: enter(0, min 1, GETEVENTS) -> 0 at once and nothing moves.
    @Scenario
    void fullCqWithOverflowReturnsWithoutFlushOrEbusy(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            nops(r, 0, 4);
            nops(r, 10, 2);
            int result = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> r.enter(0, 1, IORING_ENTER_GETEVENTS));
            assertThat(result).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(0L, 1L, 2L, 3L);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(10L, 11L);
        }
    }

    // A2: a flush moves entries only while they fit; freeing one slot moves exactly one.
    @Scenario
    void partialFlushMovesOnlyWhatFitsAndKeepsOrder(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            nops(r, 0, 4);
            nops(r, 10, 3);
            assertThat(r.reap().userData()).isZero();
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(5);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reap().userData()).isEqualTo(1);
            assertThat(r.reap().userData()).isEqualTo(2);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(3L, 10L, 11L, 12L);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    // A2 flushing "only when the submit part did not return early" with A1's ret != to_submit: a short submit with
    // GETEVENTS flushes nothing, even with room in the ring.
    @Scenario
    void shortSubmitWithGeteventsDoesNotFlush(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            nops(r, 0, 4);
            nops(r, 10, 1);
            assertThat(r.reapAll()).hasSize(4);
            r.nop(11);
            r.nop(12);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 2);
            assertThat(r.enter(3, 0, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            assertThat(r.cq().loadAcquireTail()).as("returned early: no flush").isEqualTo(4);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(10L, 11L, 12L);
        }
    }

    // A2 (__io_cqring_events is tail - head in u32): an application that moves the CQ head past the tail makes the
    // ring look full, so the next CQE goes to the overflow list. 7.2 reads the distance as signed and clamps it at
    // zero (io_uring.c, io_cqring_queued; also in 7.1.8's source), so there the ring counts as empty and the CQE is
    // posted into slot 0 (found by lockstep on 7.2.13, seed 3; the profile rule cqQueuedSigned).
    @Scenario
    void aCqHeadAheadOfTheTailCountsAsAFullRingOrAsAnEmptyOne(Backend backend) {
        boolean signed = Scenarios.profile(backend).cqQueuedSigned();
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            r.cq().storeReleaseHead(2);
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            if (signed) {
                assertThat(r.cq().loadAcquireTail()).as("posted: the ring counts as empty").isEqualTo(1);
                assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
                r.cq().storeReleaseHead(0);
                assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0));
            } else {
                assertThat(r.cq().loadAcquireTail()).as("the ring counts as full").isZero();
                assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            }
            assertThat(r.cq().readOnceOverflow()).isZero();
        }
    }
}
