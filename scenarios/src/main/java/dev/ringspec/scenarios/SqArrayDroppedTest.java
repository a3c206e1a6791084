package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import org.junit.jupiter.api.Tag;

/**
 * An SQ array entry that is not a valid SQE index is dropped: it is consumed, counted in {@code sq_dropped}, not
 * counted in enter's result, and it ends the batch (ring-semantics.md A1 {@code io_get_sqe}, Part B row 3,
 * Appendix A.1).
 */
@Tag("kernel")
class SqArrayDroppedTest {

    // Row 3: 5 SQEs with array[2]=99: enter(5) -> 2, head 3, dropped 1, CQEs 200, 201; next enter(5) -> 2.
    @Scenario
    void droppedSqIndexConsumesButIsNotCounted(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            for (int i = 0; i < 5; i++) {
                r.nop(200 + i);
            }
            r.sq().writeOnceArray(2, 99);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(3);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            assertThat(r.reapUserData()).containsExactly(200L, 201L);

            assertThat(r.enter(5, 0, 0)).as("the rest waits for the next enter").isEqualTo(2);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(5);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            assertThat(r.reapUserData()).containsExactly(203L, 204L);
        }
    }

    // Row 3 (E2): with SUBMIT_ALL an invalid index still stops the batch: -> 1, head 2.
    @Scenario
    void droppedSqIndexStopsTheBatchEvenWithSubmitAll(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_SUBMIT_ALL)) {
            for (int i = 0; i < 4; i++) {
                r.nop(10 + i);
            }
            r.sq().writeOnceArray(1, 99);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(2);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            assertThat(r.reapUserData()).containsExactly(10L);
        }
    }

    // Row 3 (E3): an invalid first entry -> 0, head 1.
    @Scenario
    void invalidFirstSqIndexReturnsZeroAndAdvancesHeadByOne(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.nop(2);
            r.sq().writeOnceArray(0, 99);
            assertThat(r.submit()).isZero();
            assertThat(r.sq().loadAcquireHead()).isEqualTo(1);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            assertThat(r.ready()).isZero();
        }
    }

    // A1 io_get_sqe: "head >= sq_entries" drops, so sq_entries itself is the first invalid index.
    @Scenario
    void sqIndexEqualToRingEntriesIsDropped(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.nop(2);
            r.sq().writeOnceArray(1, 8);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            r.nop(3);
            r.sq().writeOnceArray(2, 7);
            assertThat(r.submit()).as("index 7 is the last valid one").isEqualTo(1);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            assertThat(r.reapUserData()).hasSize(2).startsWith(1L);
        }
    }

    // Row 3 (T3d): tail - head = 20 with sq=8 -> 8 consumed per enter.
    @Scenario
    void tailFarAheadIsClampedToSqEntriesPerEnter(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            for (int i = 0; i < 8; i++) {
                r.nop(i);
            }
            // Every slot holds a valid NOP; the tail claims 20 entries, more than the ring holds.
            r.sq().storeReleaseTail(20);
            assertThat(r.enter(20, 0, 0)).isEqualTo(8);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(8);
            assertThat(r.reapAll()).hasSize(8);
            assertThat(r.enter(20, 0, 0)).isEqualTo(8);
            assertThat(r.reapAll()).hasSize(8);
            assertThat(r.enter(20, 0, 0)).isEqualTo(4);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(20);
            assertThat(r.enter(20, 0, 0)).isZero();
            assertThat(r.sq().readOnceDropped()).isZero();
        }
    }

    // Row 3 (T3c): two array slots pointing at one SQE submit it twice.
    @Scenario
    void duplicateSqArrayEntriesSubmitTheSqeTwice(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(300);
            r.nop(301);
            r.sq().writeOnceArray(1, 0);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(300L, 300L);
            assertThat(r.sq().readOnceDropped()).isZero();
        }
    }
}
