package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B row 4 (T3f) and Appendix A item 2: {@code ret != to_submit} skips the wait. */
class EarlyReturnSkipsWaitTest {

    @Test
    void fewerSqesThanAskedReturnsAtOnceWithoutWaiting() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1);
            f.nop(2);
            f.publish(2);
            assertThat(f.enter(8, 8, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            assertThat(f.model.lastWaitWouldBlock(f.ring)).isFalse();
        }
    }

    @Test
    void aWaitThatCanNeverBeSatisfiedAnswersEintrWithoutATimeout() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            assertThat(f.enter(0, 1, IORING_ENTER_GETEVENTS)).isEqualTo(-4);
            assertThat(f.model.lastWaitWouldBlock(f.ring)).isTrue();
            f.nop(1);
            f.publish(1);
            assertThat(f.enter(1, 1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            assertThat(f.model.lastWaitWouldBlock(f.ring)).isFalse();
        }
    }
}
