package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B row 12 (O1, E1) and Appendix A item 7. */
class CqOverflowTest {

    @Test
    void overflowKeepsOrderSetsTheFlagAndDropsNothing() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 4; i++) {
                f.nop(100 + i);
            }
            assertThat(f.submit()).isEqualTo(4);
            for (int i = 0; i < 4; i++) {
                f.nop(200 + i);
            }
            assertThat(f.submit()).isEqualTo(4);
            assertThat(f.cqTail()).isEqualTo(4);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            assertThat(f.driver.cq().readOnceOverflow()).isZero();
            // enter(2) while overflowed: no -EBUSY
            f.nop(300);
            f.nop(301);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(100L, 101L, 102L, 103L);
            // after consuming everything, a new CQE still goes to the overflow list
            f.nop(302);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.cqTail()).isEqualTo(4);
        }
    }

    @Test
    void flushHappensOnlyInGeteventsAndOnlyAsFarAsTheRingHasRoom() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 4; i++) {
                    f.nop(100 * (round + 1) + i);
                }
                f.submit();
            }
            f.nop(300);
            f.submit();
            f.reapAll();
            // a plain enter does not flush
            assertThat(f.enter(0, 0, 0)).isZero();
            assertThat(f.cqTail()).isEqualTo(4);
            // GETEVENTS with min 0 flushes four; the flag stays
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.userDatas(f.reapAll())).containsExactly(200L, 201L, 202L, 203L);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.userDatas(f.reapAll())).containsExactly(300L);
            assertThat(f.sqFlags()).isZero();
        }
    }

    @Test
    void aFullRingWithOverflowAnswersAWaitWithoutFlushing() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 4; i++) {
                f.nop(i);
            }
            f.submit();
            f.nop(4);
            f.nop(5);
            f.submit();
            assertThat(f.enter(0, 1, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.cqTail()).isEqualTo(4);
            assertThat(f.sqFlags()).isEqualTo(0x2);
        }
    }

    @Test
    void aUserHeadBeyondTheTailSendsEverythingToOverflow() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            f.driver.cq().storeReleaseHead(2);
            f.nop(1);
            f.submit();
            assertThat(f.cqTail()).isZero();
            assertThat(f.sqFlags()).isEqualTo(0x2);
        }
    }
}
