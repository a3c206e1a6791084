package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringGeteventsArg;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** DEFER_TASKRUN: ring-semantics.md Part B row 13 (T1, I2), A2 GETEVENTS details, Appendix A item 3. */
class DeferTaskrunTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG;

    @Test
    void taskWorkRunsOnlyInGeteventsAndRaisesSqTaskrun() {
        try (ModelFixture f = ModelFixture.of().setup(8, DEFER)) {
            f.nop(1);
            long at = f.nop(2);
            Sqe.opFlags(f.driver.sqes(), at, 1 << 4); // IORING_NOP_TW
            f.nop(3, IOSQE_IO_LINK);
            f.nop(4);
            assertThat(f.submit()).isEqualTo(4);
            assertThat(f.userDatas(f.reapAll())).containsExactly(1L, 3L);
            assertThat(f.sqFlags()).isEqualTo(0x4);
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.userDatas(f.reapAll())).containsExactly(2L, 4L);
            assertThat(f.sqFlags()).isZero();
        }
    }

    @Test
    void aWaitThatCannotBeSatisfiedTimesOutWithEtime() {
        try (ModelFixture f = ModelFixture.of().setup(8, DEFER)) {
            MemorySegment ts = f.memory.allocate(16);
            ts.set(JAVA_LONG, 8, 1_000_000L);
            MemorySegment arg = f.memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
            arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
            int result = f.model.enter(f.ring, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg,
                    IoUringGeteventsArg.SIZE_BYTES);
            assertThat(result).isEqualTo(-62);
            assertThat(f.model.lastWaitWouldBlock(f.ring)).isTrue();
            assertThat(f.model.enter(f.ring, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, 16))
                    .isEqualTo(-22);
        }
    }

    @Test
    void anotherThreadGetsEexistForSubmitWaitAndRegister() throws InterruptedException {
        try (ModelFixture f = ModelFixture.of().setup(8, DEFER)) {
            f.nop(1);
            f.publish(1);
            AtomicIntegerArray results = new AtomicIntegerArray(3);
            Thread other = Thread.ofPlatform().start(() -> {
                results.set(0, f.enter(1, 0, 0));
                results.set(1, f.enter(0, 0, IORING_ENTER_GETEVENTS));
                results.set(2, f.model.register(f.ring, IORING_REGISTER_PROBE, f.memory.allocate(16), 0));
            });
            other.join();
            assertThat(results.get(0)).isEqualTo(-17);
            assertThat(results.get(1)).isEqualTo(-17);
            assertThat(results.get(2)).isEqualTo(-17);
            assertThat(f.enter(1, 0, 0)).isEqualTo(1);
        }
    }
}
