package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B rows 2 and 3 (T2, T3, E2, E3, T3d), Appendix A item 1. */
class DroppedSqIndexTest {

    @Test
    void droppedSqIndexConsumesButIsNotCounted() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            for (int i = 0; i < 5; i++) {
                f.nop(200 + i);
            }
            f.driver.sq().writeOnceArray(2, 99);
            f.publish(5);
            assertThat(f.enter(5, 0, 0)).isEqualTo(2);
            assertThat(f.sqHead()).isEqualTo(3);
            assertThat(f.driver.sq().readOnceDropped()).isEqualTo(1);
            assertThat(f.userDatas(f.reapAll())).containsExactly(200L, 201L);
            assertThat(f.enter(5, 0, 0)).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(203L, 204L);
        }
    }

    @Test
    void droppedSqIndexStopsTheBatchEvenWithSubmitAll() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_SUBMIT_ALL)) {
            for (int i = 0; i < 3; i++) {
                f.nop(i);
            }
            f.driver.sq().writeOnceArray(1, 99);
            f.publish(3);
            assertThat(f.enter(3, 0, 0)).isEqualTo(1);
            assertThat(f.sqHead()).isEqualTo(2);
        }
    }

    @Test
    void invalidFirstEntrySubmitsNothingButAdvancesTheHead() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1);
            f.nop(2);
            f.driver.sq().writeOnceArray(0, 8);
            f.publish(2);
            assertThat(f.enter(2, 0, 0)).isZero();
            assertThat(f.sqHead()).isEqualTo(1);
        }
    }

    @Test
    void aTailFarAheadIsClampedToTheRingSize() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            for (int i = 0; i < 8; i++) {
                f.nop(i);
            }
            f.publish(20);
            assertThat(f.enter(20, 0, 0)).isEqualTo(8);
            assertThat(f.sqHead()).isEqualTo(8);
        }
    }

    @Test
    void twoArraySlotsNamingOneSqeSubmitItTwice() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(300);
            f.nop(301);
            f.driver.sq().writeOnceArray(1, 0);
            f.publish(2);
            assertThat(f.enter(2, 0, 0)).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(300L, 300L);
        }
    }

    @Test
    void noSqArrayUsesTheRingPositionAndReportsArrayZero() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_NO_SQARRAY)) {
            assertThat(f.ring.params().sqOff().array()).isZero();
            f.nop(100);
            f.nop(101);
            f.nop(102);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.sqHead()).isEqualTo(3);
            assertThat(f.userDatas(f.reapAll())).containsExactly(100L, 101L, 102L);
        }
    }
}
