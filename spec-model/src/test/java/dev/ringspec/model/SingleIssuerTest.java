package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** SINGLE_ISSUER thread binding: ring-semantics.md Part B row 20 (I2, I3), Appendix A item 11. */
class SingleIssuerTest {

    @Test
    void anotherThreadMayWaitButNotSubmitOrRegister() throws InterruptedException {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_SINGLE_ISSUER)) {
            f.nop(1);
            f.publish(1);
            AtomicIntegerArray results = new AtomicIntegerArray(3);
            Thread other = Thread.ofPlatform().start(() -> {
                results.set(0, f.enter(1, 0, 0));
                results.set(1, f.model.register(f.ring, IORING_REGISTER_PROBE, f.memory.allocate(16), 0));
                results.set(2, f.enter(0, 0, IORING_ENTER_GETEVENTS));
            });
            other.join();
            assertThat(results.get(0)).isEqualTo(-17);
            assertThat(results.get(1)).isEqualTo(-17);
            assertThat(results.get(2)).isZero();
        }
    }

    @Test
    void theThreadThatEnablesTheRingBecomesItsIssuer() throws InterruptedException {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED)) {
            AtomicIntegerArray results = new AtomicIntegerArray(2);
            Thread other = Thread.ofPlatform().start(() -> {
                results.set(0, f.model.register(f.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0));
                f.nop(1);
                f.publish(1);
                results.set(1, f.enter(1, 0, 0));
            });
            other.join();
            assertThat(results.get(0)).isZero();
            assertThat(results.get(1)).isEqualTo(1);
            f.nop(2);
            f.publish(1);
            assertThat(f.enter(1, 0, 0)).isEqualTo(-17);
        }
    }
}
