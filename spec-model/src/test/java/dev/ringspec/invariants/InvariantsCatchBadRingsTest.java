package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.RingObservation.PendingSqe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each invariant fails on a hand-built observation that breaks it, and says which. The observations are what a
 * broken backend would show; the checker sees them through the same steps as a real run.
 */
class InvariantsCatchBadRingsTest {
    private static final RingStep SETUP = new RingStep.Setup();
    private static final RingStep APP_CQ_HEAD = new RingStep.ApplicationWrite(RingStep.Field.CQ_HEAD);
    private static final RingStep APP_SQ_TAIL = new RingStep.ApplicationWrite(RingStep.Field.SQ_TAIL);

    private final InvariantChecker checker = new InvariantChecker();
    private final List<Violation> violations = new ArrayList<>();

    private static RingObservation.Builder empty(int sq, int cq, int flags) {
        return RingObservation.Builder.emptyRing(sq, cq, flags);
    }

    private static RingStep enter(int toSubmit) {
        return new RingStep.Enter(toSubmit, 0, 0);
    }

    private static PendingSqe nop(int counter, long userData, int sqeFlags) {
        return new PendingSqe(counter, counter & 1, 0, sqeFlags, userData, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private static Cqe cqe(long userData, int res) {
        return new Cqe(userData, res, 0, 0, 0);
    }

    private RingObservation step(RingStep step, RingObservation after) {
        violations.addAll(checker.step(step, after));
        return after;
    }

    /** Sets up an empty ring and publishes {@code sqes} at positions 0.. (two checked steps). */
    private RingObservation.Builder publish(int sq, int cq, int flags, PendingSqe... sqes) {
        RingObservation.Builder b = empty(sq, cq, flags);
        step(SETUP, b.build());
        b.sq(0, sqes.length).pendingSqes(Arrays.asList(sqes));
        step(APP_SQ_TAIL, b.build());
        return b;
    }

    private void assertBroken(RingInvariant invariant) {
        assertThat(violations).as("violations").extracting(Violation::invariant).contains(invariant);
        Violation v = violations.stream().filter(x -> x.invariant() == invariant).findFirst().orElseThrow();
        assertThat(v.toString()).startsWith(invariant.name() + " after step ");
    }

    @Test
    void setupThatStartsWithAPublishedCqeBreaksSetupStartsEmpty() {
        step(SETUP, empty(4, 8, 0).cq(0, 1).build());
        assertBroken(RingInvariant.SETUP_STARTS_EMPTY);
    }

    @Test
    void tailNinePastHeadOnAnEightEntryRingBreaksTheDistance() {
        RingObservation.Builder b = publish(4, 8, 0);
        step(enter(0), b.cq(0, 9).build());
        assertBroken(RingInvariant.CQ_TAIL_WITHIN_ENTRIES_OF_HEAD);
    }

    @Test
    void cqTailMovingBackBreaksForwardCounters() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(2), b.sq(2, 2).pendingSqes(List.of()).result(2).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        step(enter(0), b.result(0).cq(0, 1).build());
        assertBroken(RingInvariant.KERNEL_COUNTERS_MOVE_FORWARD);
    }

    @Test
    void cqeAppearingDuringAnApplicationStepBreaksForwardCounters() {
        RingObservation.Builder b = publish(4, 8, 0);
        step(APP_CQ_HEAD, b.slot(0, cqe(1, 0)).cq(0, 1).build());
        assertBroken(RingInvariant.KERNEL_COUNTERS_MOVE_FORWARD);
    }

    @Test
    void enterConsumingMoreThanToSubmitBreaksTheHeadBound() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(1), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        assertBroken(RingInvariant.SQ_HEAD_ADVANCES_BY_CONSUMED);
    }

    @Test
    void enterReturningLessThanItConsumedBreaksTheResultCount() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(2), b.result(1).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        assertBroken(RingInvariant.ENTER_RESULT_COUNTS_SUBMITTED);
    }

    @Test
    void droppedCountedForAValidIndexBreaksDroppedAccounting() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(2), b.result(1).sq(2, 2).sqDropped(1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1)
                .build());
        assertBroken(RingInvariant.DROPPED_COUNTS_INVALID_INDICES);
    }

    @Test
    void kernelMovingTheCqHeadBreaksApplicationFields() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(1, 1).build());
        assertBroken(RingInvariant.KERNEL_LEAVES_APPLICATION_FIELDS);
    }

    @Test
    void bigCqeInTheLastSlotBreaksWellFormedness() {
        RingObservation.Builder b = publish(4, 4, IORING_SETUP_CQE_MIXED);
        b.cq(3, 3);
        step(APP_CQ_HEAD, b.build());
        step(enter(0), b.slot(3, new Cqe(9, 0, IORING_CQE_F_32, 0, 0)).cq(3, 5).build());
        assertBroken(RingInvariant.NEW_CQES_WELL_FORMED);
    }

    @Test
    void skipCqePostedOutsideTheLastSlotBreaksWellFormedness() {
        RingObservation.Builder b = publish(4, 4, IORING_SETUP_CQE_MIXED);
        step(enter(0), b.slot(0, new Cqe(0, 0, IORING_CQE_F_SKIP, 0, 0)).cq(0, 1).build());
        assertBroken(RingInvariant.NEW_CQES_WELL_FORMED);
    }

    @Test
    void kernelReusingASlotTheApplicationReleasedThenTookBackBreaksNothing() {
        RingObservation.Builder b = publish(4, 4, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(2), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        step(APP_CQ_HEAD, b.result(0).cq(2, 2).build());
        step(APP_CQ_HEAD, b.cq(0, 2).build());
        step(APP_SQ_TAIL, b.sq(2, 3).pendingSqes(List.of(nop(2, 3, 0))).build());
        step(enter(1), b.result(1).sq(3, 3).pendingSqes(List.of()).slot(2, cqe(3, 0)).cq(0, 3).build());
        step(APP_SQ_TAIL, b.result(0).sq(3, 4).pendingSqes(List.of(nop(3, 4, 0))).build());
        step(enter(1), b.result(1).sq(4, 4).pendingSqes(List.of()).slot(3, cqe(4, 0)).cq(0, 4).build());
        step(APP_SQ_TAIL, b.result(0).sq(4, 5).pendingSqes(List.of(nop(4, 5, 0))).build());
        step(enter(1), b.result(1).sq(5, 5).pendingSqes(List.of()).slot(0, cqe(5, 0)).cq(0, 5).build());
        assertThat(violations).isEmpty();
    }

    @Test
    void kernelOverwritingAnUnreleasedCqeBreaksTheDistance() {
        RingObservation.Builder b = publish(4, 4, 0, nop(0, 1, 0), nop(1, 2, 0));
        step(enter(2), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        step(APP_SQ_TAIL, b.result(0).sq(2, 5).pendingSqes(List.of(nop(2, 3, 0), nop(3, 4, 0), nop(4, 5, 0)))
                .build());
        step(enter(3), b.result(3).sq(5, 5).pendingSqes(List.of()).slot(2, cqe(3, 0)).slot(3, cqe(4, 0))
                .slot(0, cqe(5, 0)).cq(0, 5).build());
        assertBroken(RingInvariant.CQ_TAIL_WITHIN_ENTRIES_OF_HEAD);
        assertBroken(RingInvariant.PUBLISHED_CQES_STAY);
    }

    @Test
    void resizeThatLeavesABigCqeInTheLastSlotBreaksResizeCqes() {
        RingObservation.Builder b = publish(4, 8, IORING_SETUP_CQE_MIXED);
        b.cq(3, 3);
        step(APP_CQ_HEAD, b.build());
        step(enter(0), b.post(3, new Cqe(9, 0, IORING_CQE_F_32, 1, 2)).cq(3, 5).build());
        RingObservation resized = empty(4, 4, IORING_SETUP_CQE_MIXED).slot(3, new Cqe(9, 0, IORING_CQE_F_32, 0, 0))
                .slot(0, new Cqe(1, 2, 0, 0, 0)).cq(3, 5).build();
        step(new RingStep.Register(IORING_REGISTER_RESIZE_RINGS), resized);
        assertBroken(RingInvariant.RESIZE_KEEPS_PENDING_CQES);
    }

    @Test
    void skipCqeCarryingUserDataBreaksTheFiller() {
        RingObservation.Builder b = publish(4, 4, IORING_SETUP_CQE_MIXED);
        b.cq(3, 3);
        step(APP_CQ_HEAD, b.build());
        step(enter(0), b.slot(3, new Cqe(5, 0, IORING_CQE_F_SKIP, 0, 0)).cq(3, 4).build());
        assertBroken(RingInvariant.SKIP_CQE_CARRIES_NOTHING);
    }

    @Test
    void sixteenByteCqeAfterASkipCqeBreaksTheSkipRule() {
        RingObservation.Builder b = publish(4, 4, IORING_SETUP_CQE_MIXED, nop(0, 1, 0));
        b.cq(3, 3);
        step(APP_CQ_HEAD, b.build());
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(3, new Cqe(0, 0, IORING_CQE_F_SKIP, 0, 0))
                .slot(0, cqe(1, 0)).cq(3, 5).build());
        assertBroken(RingInvariant.SKIP_CQE_PRECEDES_BIG_CQE);
    }

    @Test
    void publishedCqeOverwrittenBreaksPublishedCqesStay() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1).build());
        step(enter(0), b.result(0).slot(0, cqe(40, 0)).build());
        assertBroken(RingInvariant.PUBLISHED_CQES_STAY);
    }

    @Test
    void cqeWrittenBeyondTheTailBreaksFreeSlots() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(2, cqe(1, 0)).build());
        assertBroken(RingInvariant.FREE_SLOTS_WRITTEN_ONLY_TO_PUBLISH);
    }

    @Test
    void cqeOfNoRequestBreaksEveryCqeAnswersARequest() {
        RingObservation.Builder b = publish(4, 8, 0);
        step(enter(0), b.slot(0, cqe(7, 0)).cq(0, 1).build());
        assertBroken(RingInvariant.EVERY_CQE_ANSWERS_A_REQUEST);
    }

    @Test
    void duplicatedCqeBreaksEveryCqeAnswersARequest() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(1, 0)).cq(0, 2)
                .build());
        assertBroken(RingInvariant.EVERY_CQE_ANSWERS_A_REQUEST);
    }

    @Test
    void requestWithoutCqeOnAQuietRingBreaksNoCompletionLost() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).build());
        assertBroken(RingInvariant.NO_COMPLETION_LOST);
    }

    @Test
    void droppedCompletionCountedInOverflowIsNotLost() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).cqOverflow(1).build());
        assertThat(violations).extracting(Violation::invariant).doesNotContain(RingInvariant.NO_COMPLETION_LOST);
    }

    @Test
    void newCqeAheadOfAnOverflowedOneBreaksOverflowOrder() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).sqFlags(IORING_SQ_CQ_OVERFLOW).build());
        step(APP_SQ_TAIL, b.result(0).sq(1, 2).pendingSqes(List.of(nop(1, 2, 0))).build());
        step(enter(1), b.result(1).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(2, 0)).cq(0, 1).build());
        assertBroken(RingInvariant.NO_CQE_OVERTAKES_OVERFLOW);
    }

    @Test
    void successfulCqeOfASkipSuccessRequestBreaksSkipSuccess() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, IOSQE_CQE_SKIP_SUCCESS));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1).build());
        assertBroken(RingInvariant.SKIP_SUCCESS_POSTS_ONLY_FAILURES);
    }

    /** A chain {head -> successor} whose successor's CQE comes first. */
    private void successorCompletesFirst(long head, long successor) {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, head, IOSQE_IO_LINK), nop(1, successor, 0));
        step(enter(2), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(successor, 0)).slot(1, cqe(head, 0))
                .cq(0, 2).build());
    }

    @Test
    void linkSuccessorCompletingFirstBreaksChainOrder() {
        successorCompletesFirst(1, 2);
        assertBroken(RingInvariant.CHAIN_COMPLETES_IN_ORDER);
    }

    @Test
    void anotherRequestsPayloadOnACqe32RingBreaksThePayloadRule() {
        RingObservation.Builder b = publish(4, 8, IORING_SETUP_CQE32, nop(0, 2, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, new Cqe(2, 0, 0, 0x1111, 0x2222))
                .cq(0, 1).build());
        assertBroken(RingInvariant.CQE_PAYLOAD_IS_ITS_REQUESTS);
    }

    @Test
    void resizePublishingTheApplicationsSqHeadBreaksResizeCounters() {
        RingObservation.Builder b = empty(4, 8, 0);
        step(SETUP, b.build());
        step(new RingStep.ApplicationWrite(RingStep.Field.SQ_HEAD), b.sq(-1, 0).build());
        // Linux 6.18: the new rings get the sq.head the application wrote, not the kernel's head 0
        step(new RingStep.Register(IORING_REGISTER_RESIZE_RINGS), empty(4, 8, 0).sq(-1, 0).build());
        assertBroken(RingInvariant.RESIZE_KEEPS_COUNTERS);
    }

    @Test
    void resizeMovingTheCqTailBreaksResizeCounters() {
        RingObservation.Builder b = publish(4, 8, 0);
        step(new RingStep.Register(IORING_REGISTER_RESIZE_RINGS), empty(4, 8, 0).cq(0, 1).build());
        assertBroken(RingInvariant.RESIZE_KEEPS_COUNTERS);
        assertThat(b.build().cqTail()).isZero();
    }

    @Test
    void resizeThatZeroesPendingCqesAcrossTheWrapBreaksResizeCqes() {
        RingObservation.Builder b = publish(1, 2, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1).build());
        step(APP_CQ_HEAD, b.result(0).cq(-1, 1).build());
        RingObservation resized = empty(1, 2, 0).sq(1, 1).cq(-1, 1).build();
        step(new RingStep.Register(IORING_REGISTER_RESIZE_RINGS), resized);
        assertBroken(RingInvariant.RESIZE_KEEPS_PENDING_CQES);
    }

    @Test
    void resizeThatLosesAPendingSqeBreaksResizeSqes() {
        RingObservation.Builder b = publish(2, 4, 0, nop(0, 1, 0));
        RingObservation resized = empty(2, 4, 0).sq(0, 1).pendingSqes(List.of(nop(0, 0, 0))).build();
        step(new RingStep.Register(IORING_REGISTER_RESIZE_RINGS), resized);
        assertBroken(RingInvariant.RESIZE_KEEPS_PENDING_SQES);
        assertThat(b.build().pendingSqes()).hasSize(1);
    }

    @Test
    void failedRegisterThatChangesTheRingBreaksFailedRegister() {
        RingObservation.Builder b = publish(4, 8, 0);
        step(new RingStep.Register(IORING_REGISTER_PROBE), b.result(-22).sqFlags(IORING_SQ_CQ_OVERFLOW).build());
        assertBroken(RingInvariant.FAILED_REGISTER_LEAVES_RING);
    }

    // ---- premises narrowed after a 100,000-run check (each: still broken by a bad ring, kept by the legitimate one)

    @Test
    void loneRequestsCqeWithTheUserDataOfAWaitingChainMemberBreaksNoChainOrder() {
        // seed 2980: a chain {ud 5 -> ud 6 -> ud 0} and a lone ud 0; the head and the lone one complete inline, the
        // chain's successors in task work: the CQE with ud 0 is the lone request's
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 5, IOSQE_IO_LINK), nop(1, 6, IOSQE_IO_LINK), nop(2, 0, 0),
                nop(3, 0, 0));
        step(enter(4), b.result(4).sq(4, 4).pendingSqes(List.of()).slot(0, cqe(5, 0)).slot(1, cqe(0, 0)).cq(0, 2)
                .sqFlags(IORING_SQ_TASKRUN).build());
        assertThat(violations).isEmpty();
    }

    @Test
    void chainMemberCompletingBeforeItsHeadBreaksChainOrderEvenWithSharedUserData() {
        successorCompletesFirst(5, 0);
        assertBroken(RingInvariant.CHAIN_COMPLETES_IN_ORDER);
    }

    @Test
    void twoChainsSharingUserDataEachInOrderBreakNoChainOrder() {
        // seed 60356: chain A {1 -> 1 -> 1 -> 0} with its head posted, then chain B {1 -> 0}: B's head posts inline
        // and its successor from task work, while A waits; which ud 1 and ud 0 request each CQE answers is a guess
        RingObservation.Builder b = publish(8, 8, 0, nop(0, 1, IOSQE_IO_LINK), nop(1, 1, IOSQE_IO_LINK),
                nop(2, 1, IOSQE_IO_LINK), nop(3, 0, 0));
        step(enter(4), b.result(4).sq(4, 4).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1)
                .sqFlags(IORING_SQ_TASKRUN).build());
        step(APP_SQ_TAIL, b.result(0).sq(4, 6).pendingSqes(List.of(nop(4, 1, IOSQE_IO_LINK), nop(5, 0, 0))).build());
        step(enter(2), b.result(2).sq(6, 6).pendingSqes(List.of()).slot(1, cqe(1, 0)).slot(2, cqe(0, 0)).cq(0, 3)
                .build());
        assertThat(violations).isEmpty();
        assertThat(checker.counts().get(RingInvariant.CHAIN_COMPLETES_IN_ORDER).checks()).isPositive();
    }

    @Test
    void failedSkipSuccessHeadSilencingItsChainLosesNoCompletionWithSharedUserData() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 7, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS), nop(1, 0, 0),
                nop(2, 0, 0));
        step(enter(3), b.result(3).sq(3, 3).pendingSqes(List.of()).slot(0, cqe(7, -22)).slot(1, cqe(0, 0)).cq(0, 2)
                .build());
        assertThat(violations).isEmpty();
        assertThat(checker.counts().get(RingInvariant.NO_COMPLETION_LOST).checks()).isPositive();
    }

    @Test
    void mustPostRequestWithoutCqeIsLostEvenBesideASilencedOneWithItsUserData() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 7, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS), nop(1, 0, 0),
                nop(2, 0, 0));
        step(enter(3), b.result(3).sq(3, 3).pendingSqes(List.of()).slot(0, cqe(7, -22)).cq(0, 1).build());
        assertBroken(RingInvariant.NO_COMPLETION_LOST);
    }

    /**
     * Four NOPs on a 4-entry CQ: one posted, three on the overflow list; the application moves cq.head to
     * {@code head}; two more NOPs, and the enter posts positions 1 to 5, the last in the slot of position 1.
     */
    private void fiveCqesInOneStepAfterTheHeadMovedTo(int head) {
        RingObservation.Builder b = publish(4, 4, 0, nop(0, 1, 0), nop(1, 2, 0), nop(2, 3, 0), nop(3, 4, 0));
        step(enter(4), b.result(4).sq(4, 4).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1)
                .sqFlags(IORING_SQ_CQ_OVERFLOW).build());
        step(APP_SQ_TAIL, b.result(0).sq(4, 6).pendingSqes(List.of(nop(4, 5, 0), nop(5, 6, 0))).build());
        step(APP_CQ_HEAD, b.cq(head, 1).build());
        step(enter(2), b.result(2).sq(6, 6).pendingSqes(List.of()).slot(1, cqe(6, 0)).slot(2, cqe(3, 0))
                .slot(3, cqe(4, 0)).slot(0, cqe(5, 0)).cq(head, 6).sqFlags(0).build());
    }

    @Test
    void cqesPostedTwiceInSlotsReleasedPastTheTailBreakNoWellFormedness() {
        // seed 55957 (6.18) and seed 9 (7.2): the application released slots 1 and 2 before the kernel posted there
        fiveCqesInOneStepAfterTheHeadMovedTo(3);
        assertThat(violations).isEmpty();
        assertThat(checker.counts().get(RingInvariant.NEW_CQES_WELL_FORMED).checks()).isEqualTo(2);
    }

    @Test
    void cqesPostedTwiceInSlotsNotReleasedBreakWellFormednessAndTheDistance() {
        fiveCqesInOneStepAfterTheHeadMovedTo(1);
        assertBroken(RingInvariant.NEW_CQES_WELL_FORMED);
        assertBroken(RingInvariant.CQ_TAIL_WITHIN_ENTRIES_OF_HEAD);
    }

    /**
     * Seed 87 on 6.1: a chain {ud 1 -> ud 2} on a DEFER_TASKRUN ring, the head posted, the successor in task work;
     * then a register fails and posts the successor's CQE (Linux 6.1 runs the task work before the opcode).
     */
    private RingObservation.Builder failedRegisterAfterAChainHead() {
        RingObservation.Builder b = publish(4, 8, IORING_SETUP_DEFER_TASKRUN, nop(0, 1, IOSQE_IO_LINK), nop(1, 2, 0));
        step(enter(2), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1).build());
        return b.result(-22).slot(1, cqe(2, 0)).cq(0, 2);
    }

    @Test
    void failedRegisterRunningPendingTaskWorkBreaksNoFailedRegister() {
        step(new RingStep.Register(IORING_REGISTER_PROBE), failedRegisterAfterAChainHead().build());
        assertThat(violations).isEmpty();
    }

    @Test
    void failedRegisterChangingMoreThanTaskWorkCanBreaksFailedRegister() {
        step(new RingStep.Register(IORING_REGISTER_PROBE), failedRegisterAfterAChainHead().sqDropped(1).build());
        assertBroken(RingInvariant.FAILED_REGISTER_LEAVES_RING);
    }

    @Test
    void failedRegisterPostingWithNothingPendingBreaksFailedRegister() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, 0));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).slot(0, cqe(1, 0)).cq(0, 1).build());
        step(new RingStep.Register(IORING_REGISTER_PROBE), b.result(-22).slot(1, cqe(1, 0)).cq(0, 2).build());
        assertBroken(RingInvariant.FAILED_REGISTER_LEAVES_RING);
    }

    @Test
    void skipSuccessFailureFlushedFromOverflowLaterStillAnswersItsRequest() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, IOSQE_CQE_SKIP_SUCCESS));
        step(enter(1), b.result(1).sq(1, 1).pendingSqes(List.of()).sqFlags(IORING_SQ_CQ_OVERFLOW).build());
        step(APP_CQ_HEAD, b.result(0).build());
        step(new RingStep.Enter(0, 0, 1), b.sqFlags(0).slot(0, cqe(1, -11)).cq(0, 1).build());
        assertThat(violations).isEmpty();
    }

    @Test
    void aWellBehavedRunBreaksNothing() {
        RingObservation.Builder b = publish(4, 8, 0, nop(0, 1, IOSQE_IO_LINK), nop(1, 2, 0));
        step(enter(2), b.result(2).sq(2, 2).pendingSqes(List.of()).slot(0, cqe(1, 0)).slot(1, cqe(2, 0)).cq(0, 2)
                .build());
        step(APP_CQ_HEAD, b.result(0).cq(2, 2).build());
        assertThat(violations).isEmpty();
        assertThat(checker.counts().get(RingInvariant.CHAIN_COMPLETES_IN_ORDER).checks()).isEqualTo(1);
        assertThat(checker.counts().get(RingInvariant.NO_COMPLETION_LOST).checks()).isEqualTo(4);
    }

    @Test
    void everyInvariantHasAStatementAndASource() {
        for (RingInvariant invariant : RingInvariant.values()) {
            assertThat(invariant.statement()).as(invariant.name()).endsWith(".");
            assertThat(invariant.source()).as(invariant.name()).isNotBlank();
        }
    }
}
