package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;

/**
 * An init/prep failure anywhere in a chain cancels the whole chain without executing any member: head
 * -ECANCELED, the bad SQE its own error, the others -ECANCELED, hardlinks too (ring-semantics.md A3
 * {@code io_submit_fail_init}, Part B row 22 L3, Appendix A.4).
 */
@Tag("kernel")
class LinkInitFailureTest {

    /** A NOP that fails prep: ioprio is not allowed on NOP (A1 check 8). */
    private static void badNop(ScenarioRing r, long userData, int sqeFlags) {
        long sqe = r.nop(userData, sqeFlags);
        Sqe.ioprio(r.sqes(), sqe, 1);
    }

    private static Map<Long, Integer> resultsByUserData(List<Cqe> cqes) {
        return cqes.stream().collect(Collectors.toMap(Cqe::userData, Cqe::res));
    }

    // L3: [NOP(inject 7) LINK, bad LINK, NOP(inject 9)] -> -ECANCELED, -EINVAL, -ECANCELED; nothing executes.
    @Scenario
    void prepFailureInAChainCancelsEveryMember(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 7);
            badNop(r, 2, IOSQE_IO_LINK);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, 9);
            assertThat(r.submit()).isEqualTo(3);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).hasSize(3);
            assertThat(resultsByUserData(cqes)).containsExactlyInAnyOrderEntriesOf(
                    Map.of(1L, -ECANCELED, 2L, -EINVAL, 3L, -ECANCELED));
            assertThat(cqes).as("in chain order").extracting(Cqe::userData).containsExactly(1L, 2L, 3L);
        }
    }

    // L3c: the same for a hardlink chain, which is turned into a plain link for this.
    @Scenario
    void prepFailureCancelsAHardlinkChainToo(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_HARDLINK, IORING_NOP_INJECT_RESULT, 7);
            badNop(r, 2, IOSQE_IO_HARDLINK);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, 9);
            assertThat(r.submit()).isEqualTo(3);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).hasSize(3);
            assertThat(resultsByUserData(cqes)).containsExactlyInAnyOrderEntriesOf(
                    Map.of(1L, -ECANCELED, 2L, -EINVAL, 3L, -ECANCELED));
        }
    }

    // L3b: when the bad SQE ends the chain, io_submit_sqe returns the error and the batch stops: ret = 2.
    @Scenario
    void prepFailureEndingAChainStopsTheBatch(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 7);
            badNop(r, 2, 0);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.sq().loadAcquireHead()).as("the failed SQE is consumed, the next is not").isEqualTo(2);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).hasSize(2);
            assertThat(resultsByUserData(cqes)).containsExactlyInAnyOrderEntriesOf(
                    Map.of(1L, -ECANCELED, 2L, -EINVAL));
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A3: assembly continues while the failing SQE carries a link flag, so members after it are in the chain.
    @Scenario
    void prepFailureAtTheHeadCancelsTheMembersAfterIt(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            badNop(r, 1, IOSQE_IO_LINK);
            r.nop(2, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 7);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, 9);
            r.nop(4, 0, IORING_NOP_INJECT_RESULT, 4);
            assertThat(r.submit()).isEqualTo(4);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).hasSize(4);
            assertThat(resultsByUserData(cqes)).containsExactlyInAnyOrderEntriesOf(
                    Map.of(1L, -EINVAL, 2L, -ECANCELED, 3L, -ECANCELED, 4L, 4));
        }
    }

    // A1 loop case 2 with A3: with SUBMIT_ALL the batch goes on after a chain whose last SQE failed init.
    @Scenario
    void submitAllContinuesAfterAChainEndingInAPrepFailure(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_SUBMIT_ALL)) {
            r.nop(1, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 7);
            badNop(r, 2, 0);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, 9);
            assertThat(r.submit()).isEqualTo(3);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).hasSize(3);
            assertThat(resultsByUserData(cqes)).containsExactlyInAnyOrderEntriesOf(
                    Map.of(1L, -ECANCELED, 2L, -EINVAL, 3L, 9));
        }
    }
}
