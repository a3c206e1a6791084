package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * What {@code io_uring_enter} returns: the SQEs consumed, failed ones included; an init failure ends the batch
 * unless SUBMIT_ALL; a short submit skips the GETEVENTS wait (ring-semantics.md A1, Part B row 4, Appendix A.2).
 */
@Tag("kernel")
class EnterResultTest {
    private static final int UNKNOWN_OPCODE = 200;

    // A1 loop case 2: without SUBMIT_ALL the failing SQE is counted and the batch stops after it.
    @Scenario
    void initFailureStopsTheBatchAndIsCounted(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.sqe(UNKNOWN_OPCODE, 2);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(2);
            // io_queue_sqe_fallback: 6.1 posts a request failed at init at once (io_req_complete_failed), ahead
            // of the batch's inline CQEs; later kernels queue it behind them
            assertThat(r.reapAll()).containsExactlyElementsOf(Scenarios.profile(backend).failedFallbackPostsAtOnce()
                    ? List.of(new Cqe(2, -EINVAL, 0, 0, 0), new Cqe(1, 0, 0, 0, 0))
                    : List.of(new Cqe(1, 0, 0, 0, 0), new Cqe(2, -EINVAL, 0, 0, 0)));
            assertThat(r.enter(1, 0, 0)).as("the SQE after the failure stays for the next enter").isEqualTo(1);
            assertThat(r.reapUserData()).containsExactly(3L);
        }
    }

    // A1 loop case 2: with SUBMIT_ALL the batch continues past an init failure.
    @Scenario
    void submitAllContinuesPastAnInitFailure(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_SUBMIT_ALL)) {
            r.nop(1);
            r.sqe(UNKNOWN_OPCODE, 2);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactlyElementsOf(Scenarios.profile(backend).failedFallbackPostsAtOnce()
                    ? List.of(new Cqe(2, -EINVAL, 0, 0, 0), new Cqe(1, 0, 0, 0, 0), new Cqe(3, 0, 0, 0, 0))
                    : List.of(new Cqe(1, 0, 0, 0, 0), new Cqe(2, -EINVAL, 0, 0, 0), new Cqe(3, 0, 0, 0, 0)));
        }
    }

    // Row 4 (T3f): enter(8, min 8, GETEVENTS) with 2 SQEs -> 2 at once; waiting would never end.
    @Scenario
    void fewerSqesThanToSubmitSkipsTheWait(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.nop(2);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 2);
            int submitted = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> r.enter(8, 8, IORING_ENTER_GETEVENTS), "enter waited for 8 CQEs that can never come");
            assertThat(submitted).isEqualTo(2);
            assertThat(r.ready()).isEqualTo(2);
        }
    }

    // A1: a short submit caused by an init failure also skips the wait.
    @Scenario
    void initFailureShortSubmitSkipsTheWait(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            long bad = r.nop(1);
            Sqe.opcode(r.sqes(), bad, UNKNOWN_OPCODE);
            r.nop(2);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 2);
            int submitted = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> r.enter(2, 2, IORING_ENTER_GETEVENTS), "enter waited although it submitted fewer");
            assertThat(submitted).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EINVAL, 0, 0, 0));
        }
    }

    // A1: entries == 0 -> 0.
    @Scenario
    void enterWithAnEmptySqSubmitsNothing(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(r.enter(4, 0, 0)).isZero();
            assertThat(r.sq().loadAcquireHead()).isZero();
        }
    }

    // A1 early returns: unknown enter flags -> -EINVAL (bit 31 is unknown to every release).
    @Scenario
    void unknownEnterFlagIsInvalidAndSubmitsNothing(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 1);
            assertThat(r.enter(1, 0, 1 << 31)).isEqualTo(-EINVAL);
            assertThat(r.sq().loadAcquireHead()).isZero();
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
        }
    }

    // A2 GETEVENTS details: min_complete is clamped to cq_entries, so asking for more than the ring holds returns
    // once the ring is full.
    @Scenario
    void minCompleteIsClampedToCqEntries(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 2, 0)) {
            for (int i = 0; i < 2; i++) {
                r.nop(2 * i);
                r.nop(2 * i + 1);
                assertThat(r.submit()).isEqualTo(2);
            }
            int result = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> r.enter(0, 1000, IORING_ENTER_GETEVENTS), "waited for more CQEs than the ring holds");
            assertThat(result).isZero();
            assertThat(r.ready()).isEqualTo(4);
        }
    }

    // A1 early returns and the seam: a closed ring's fd is bad -> -EBADF, for enter, register and close.
    @Scenario
    void closedRingIsEbadf(Backend backend) {
        ScenarioRing r = ScenarioRing.open(backend, 4, 0);
        assertThat(backend.kernel().close(r.ring)).isZero();
        assertThat(r.enter(0, 0, 0)).isEqualTo(-EBADF);
        assertThat(r.register(IORING_REGISTER_PROBE, backend.memory().allocate(64, 8), 0)).isEqualTo(-EBADF);
        assertThat(backend.kernel().close(r.ring)).isEqualTo(-EBADF);
    }
}
