package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Test;

/**
 * Free-running u32 counters crossing 2^32: the same rules as Part B rows 3, 10 and 12, with every counter started
 * just below the wrap through {@link ModelIoUring#startCountersAt} (a model-only test hook).
 */
class CounterWrapTest {

    @Test
    void submissionAndCompletionCrossTheWrap() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.model.startCountersAt(f.ring, -3);
            for (int i = 0; i < 8; i++) {
                f.nop(i);
            }
            assertThat(f.submit()).isEqualTo(8);
            assertThat(f.sqHead()).isEqualTo(5);
            assertThat(f.cqTail()).isEqualTo(5);
            assertThat(f.userDatas(f.reapAll())).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        }
    }

    @Test
    void overflowAcrossTheWrapKeepsOrder() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            f.model.startCountersAt(f.ring, -2);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 3; i++) {
                    f.nop(10 * round + i);
                }
                f.submit();
            }
            assertThat(f.cqTail()).isEqualTo(2);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(0L, 1L, 2L, 10L);
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
            assertThat(f.userDatas(f.reapAll())).containsExactly(11L, 12L);
            assertThat(f.sqFlags()).isZero();
        }
    }

    @Test
    void skipCqeAtTheLastSlotJustBeforeTheWrap() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            f.model.startCountersAt(f.ring, -1);
            long at = f.nop(5);
            Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_CQE32);
            f.submit();
            assertThat(f.cqTail()).isEqualTo(2);
            assertThat(f.slot(3).flags()).isEqualTo(0x20);
            assertThat(f.slot(0).userData()).isEqualTo(5);
        }
    }
}
