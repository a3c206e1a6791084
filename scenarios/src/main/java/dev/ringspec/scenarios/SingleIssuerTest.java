package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * A SINGLE_ISSUER ring belongs to one task: the creator, or the task that enables an R_DISABLED ring. Submit and
 * register from another task fail with -EEXIST (ring-semantics.md A1 early returns, A6 ENABLE_RINGS, Part B
 * row 20, Appendix A.11).
 */
@Tag("kernel")
class SingleIssuerTest {

    private static MemorySegment probeArg(Backend backend) {
        return backend.memory().allocate(IoUringProbe.SIZE_BYTES + 4 * IoUringProbeOp.SIZE_BYTES, 8);
    }

    // Row 20: other thread: submit -> -EEXIST, register -> -EEXIST, GETEVENTS (non-DEFER) -> 0.
    @Scenario
    void anotherThreadsSubmitAndRegisterAreEexist(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SINGLE_ISSUER)) {
            r.nop(1);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 1);
            assertThat(OnThread.call(() -> r.enter(1, 0, 0))).isEqualTo(-EEXIST);
            assertThat(OnThread.call(() -> r.register(IORING_REGISTER_PROBE, probeArg(backend), 4)))
                    .isEqualTo(-EEXIST);
            assertThat(OnThread.call(() -> r.enter(0, 0, IORING_ENTER_GETEVENTS))).isZero();
            assertThat(r.sq().loadAcquireHead()).as("the stranger submitted nothing").isZero();
            assertThat(r.enter(1, 1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0));
        }
    }

    // Row 13 (I2), A2: on DEFER_TASKRUN even GETEVENTS from another thread is -EEXIST.
    @Scenario
    void anotherThreadsGeteventsOnADeferRingIsEexist(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4,
                IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
            assertThat(OnThread.call(() -> r.enter(0, 0, IORING_ENTER_GETEVENTS))).isEqualTo(-EEXIST);
            assertThat(OnThread.call(() -> r.register(IORING_REGISTER_PROBE, probeArg(backend), 4)))
                    .isEqualTo(-EEXIST);
            assertThat(r.getEvents()).isZero();
        }
    }

    // Row 20 (I3): an R_DISABLED ring enabled by thread B binds B; the creator then gets -EEXIST.
    @Scenario
    void disabledRingIsBoundToTheThreadThatEnablesIt(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED)) {
            r.nop(7);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 1);
            int[] fromB = OnThread.calls(
                    () -> r.register(IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0),
                    () -> r.enter(1, 1, IORING_ENTER_GETEVENTS));
            assertThat(fromB).as("thread B: enable, then submit").containsExactly(0, 1);
            assertThat(r.reapAll()).containsExactly(new Cqe(7, 0, 0, 0, 0));
            r.nop(8);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 1);
            assertThat(r.enter(1, 0, 0)).as("the creator is a stranger now").isEqualTo(-EEXIST);
            assertThat(r.register(IORING_REGISTER_PROBE, probeArg(backend), 4)).isEqualTo(-EEXIST);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(1);
        }
    }
}
