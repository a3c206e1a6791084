package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.uapi.IoUringGeteventsArg;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** DEFER_TASKRUN: ring-semantics.md Part B row 13 (T1, I2), A2 GETEVENTS details, Appendix A item 3. */
class DeferTaskrunTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG;

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
}
