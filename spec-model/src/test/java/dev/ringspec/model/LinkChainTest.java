package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Test;

/**
 * Links, hardlinks, CQE_SKIP_SUCCESS and drain: ring-semantics.md A3, Part B row 22 (L1-L5, D1-D3, S1) and
 * Appendix A items 3-6.
 */
class LinkChainTest {

    /** A NOP whose prep fails with -EINVAL (unknown nop flag bit 6). */
    private static void bad(ModelFixture f, long userData, int sqeFlags) {
        long at = f.nop(userData, sqeFlags);
        Sqe.opFlags(f.driver.sqes(), at, 1 << 6);
    }

    @Test
    void chainSuccessorsCompleteAfterTheBatchsInlineCqes() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_IO_LINK);
            f.nop(2);
            f.nop(5);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.userDatas(f.reapAll())).containsExactly(1L, 5L, 2L);
        }
    }

    @Test
    void runtimeFailureCancelsLinkedSuccessors() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(1, -5, IOSQE_IO_LINK);
            f.nop(2, IOSQE_IO_LINK);
            f.nop(3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -5), tuple(2L, -125), tuple(3L, -125));
        }
    }

    @Test
    void hardlinkChainContinuesPastRuntimeFailures() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(1, -5, IOSQE_IO_HARDLINK);
            f.inject(2, -7, IOSQE_IO_HARDLINK);
            f.nop(3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-5, -7, 0);
        }
    }

    @Test
    void prepFailureInsideAChainCancelsEveryMemberWithoutRunningAny() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(1, 77, IOSQE_IO_LINK);
            bad(f, 2, IOSQE_IO_LINK);
            f.inject(3, 88, 0);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -125), tuple(2L, -22), tuple(3L, -125));
        }
    }

    @Test
    void prepFailureInsideAHardlinkChainAlsoCancelsEveryMember() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_IO_HARDLINK);
            bad(f, 2, IOSQE_IO_HARDLINK);
            f.nop(3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-125, -22, -125);
        }
    }

    @Test
    void aBadSqeEndingTheChainStopsTheBatch() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_IO_LINK);
            bad(f, 2, 0);
            f.nop(3);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -125), tuple(2L, -22));
            assertThat(f.sqHead()).isEqualTo(2);
        }
    }

    @Test
    void failingSkipHeadSilencesItsCancelledSuccessors() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(2, -5, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
            f.nop(3, IOSQE_IO_LINK);
            f.nop(4);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(2L, -5));
        }
    }

    @Test
    void failingPlainHeadForcesCqesFromSkipSuccessors() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(1, -5, IOSQE_IO_LINK);
            f.nop(2, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
            f.nop(3, IOSQE_CQE_SKIP_SUCCESS);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-5, -125, -125);
        }
    }

    @Test
    void initFailureUnderASkipHeadPostsOnlyTheHead() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
            bad(f, 2, IOSQE_IO_LINK);
            f.nop(3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, -125));
        }
    }

    @Test
    void skipSuccessPostsNothingOnSuccess() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_CQE_SKIP_SUCCESS);
            f.nop(2);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(2L);
        }
    }

    @Test
    void danglingLinkRunsAndIsNotJoinedWithTheNextBatch() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.inject(1, -5, IOSQE_IO_LINK);
            assertThat(f.submit()).isEqualTo(1);
            f.nop(2);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -5), tuple(2L, 0));
        }
    }

    @Test
    void drainWaitsForEverythingSubmittedBefore() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            long at = f.nop(1);
            Sqe.opFlags(f.driver.sqes(), at, 1 << 4); // IORING_NOP_TW: completes through task work
            f.nop(2, IOSQE_IO_DRAIN);
            f.nop(3);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.userDatas(f.reapAll())).containsExactly(1L, 2L, 3L);
        }
    }

    @Test
    void drainIsRefusedForeverAfterAnySkipSuccess() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_DRAIN);
            assertThat(f.submit()).isEqualTo(1);
            f.nop(2, IOSQE_IO_DRAIN);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -95), tuple(2L, -95));
        }
    }

    /** The refused drain is an inline completion; the drained request completes later through task work. */
    @Test
    void drainWorksBeforeAnySkip() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            f.nop(1, IOSQE_IO_DRAIN);
            f.nop(2, IOSQE_CQE_SKIP_SUCCESS);
            f.nop(3, IOSQE_IO_DRAIN);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(3L, -95), tuple(1L, 0));
        }
    }
}
