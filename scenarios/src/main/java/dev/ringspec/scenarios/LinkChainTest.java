package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import org.junit.jupiter.api.Tag;

/**
 * Linked SQEs run one after another: successors are issued through task work after the batch's inline CQEs; a
 * runtime failure cancels the rest of a link chain but not of a hardlink chain; a link left dangling at the end
 * of a batch still runs (ring-semantics.md A3, Part B row 22 L1, L2, L5, Appendix A.3, A.6).
 */
@Tag("kernel")
class LinkChainTest {

    // L1: the independent ud5 comes before chain member ud2.
    @Scenario
    void linkSuccessorCompletesAfterTheBatchsInlineCqes(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK);
            r.nop(2);
            r.nop(5);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapUserData()).as("all posted before enter returns on a non-DEFER ring")
                    .containsExactly(1L, 5L, 2L);
        }
    }

    // A3 runtime failure: a negative result fails the rest of the chain with -ECANCELED.
    @Scenario
    void runtimeFailureCancelsTheRestOfALinkChain(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, -5);
            r.nop(2, IOSQE_IO_LINK);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -5, 0, 0, 0), new Cqe(2, -ECANCELED, 0, 0, 0),
                    new Cqe(3, -ECANCELED, 0, 0, 0));
        }
    }

    // L2: a hardlink chain continues after runtime failures: -5, -7, 0.
    @Scenario
    void hardlinkChainContinuesAfterRuntimeFailure(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_HARDLINK, IORING_NOP_INJECT_RESULT, -5);
            r.nop(2, IOSQE_IO_HARDLINK, IORING_NOP_INJECT_RESULT, -7);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -5, 0, 0, 0), new Cqe(2, -7, 0, 0, 0),
                    new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A3: a successful chain runs every member in order.
    @Scenario
    void successfulChainCompletesEveryMemberInOrder(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            for (int i = 1; i < 5; i++) {
                r.nop(i, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 10 * i);
            }
            r.nop(5, 0, IORING_NOP_INJECT_RESULT, 50);
            assertThat(r.submit()).isEqualTo(5);
            assertThat(r.reapAll()).extracting(Cqe::res).containsExactly(10, 20, 30, 40, 50);
        }
    }

    // L5: a link flag on the last SQE of a batch: the chain is executed, not canceled and not joined with the
    // next batch (the next SQE is no successor: it is not canceled by the failed dangling one).
    @Scenario
    void danglingLinkAtBatchEndIsExecutedAlone(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 11);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 11, 0, 0, 0));

            r.nop(2, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, -5);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            r.nop(3);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(2, -5, 0, 0, 0), new Cqe(3, 0, 0, 0, 0));
        }
    }
}
