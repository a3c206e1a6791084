package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * SQE_MIXED rings (6.19+) take 64- and 128-byte SQEs side by side; a 128-byte opcode (NOP128) takes two slots,
 * enter counts slots, and one in the last physical slot, or whose second half is not being submitted, fails with
 * -EINVAL consuming one slot (ring-semantics.md A1 "SQE_MIXED", Appendix A.2, A.13, liburing-notes 6.2).
 */
@Tag("kernel")
class MixedSqeTest {

    /**
     * Writes a 64-byte NOP, or a 128-byte NOP128 over two slots, at physical SQE {@code index}. In the last slot a
     * NOP128's second half would lie past the SQE array (past the mapping too, where sq_entries * 64 fills its pages),
     * so only the first half is written: all the kernel reads before it refuses the SQE there.
     */
    private static void put(ScenarioRing r, int index, int opcode, long userData, int sqeFlags) {
        long offset = r.sq().sqeOffset(index);
        boolean whole = opcode == IORING_OP_NOP128 && index + 1 < r.sq().readOnceRingEntries();
        Sqe.clear(r.sqes(), offset, whole ? 128 : 64);
        Sqe.prepNop(r.sqes(), offset, userData);
        Sqe.opcode(r.sqes(), offset, opcode);
        Sqe.flags(r.sqes(), offset, sqeFlags);
    }

    /** Publishes the ring positions up to {@code tail}. */
    private static void publish(ScenarioRing r, int tail) {
        r.sq().storeReleaseTail(tail);
    }

    private static void advanceTo(ScenarioRing r, int counter, int mask) {
        for (int c = 0; c < counter; c++) {
            put(r, c & mask, IORING_OP_NOP, 1000 + c, 0);
            publish(r, c + 1);
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.reap()).isNotNull();
        }
    }

    // A1: rings_size -> -EOVERFLOW for SQE_MIXED with sq_entries < 2.
    @Scenario
    void sqeMixedNeedsAtLeastTwoSqEntries(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        assertThat(ScenarioRing.setupResult(backend, 1, IORING_SETUP_SQE_MIXED)).isEqualTo(-EOVERFLOW);
        assertThat(ScenarioRing.setupResult(backend, 2, IORING_SETUP_SQE_MIXED)).isNotNegative();
    }

    // A1: on success a 128-byte op consumes two ring positions and the return value counts slots.
    @Scenario
    void nop128TakesTwoSlotsAndEnterCountsSlots(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_SQE_MIXED | IORING_SETUP_NO_SQARRAY)) {
            put(r, 0, IORING_OP_NOP, 1, 0);
            put(r, 1, IORING_OP_NOP128, 2, 0);
            put(r, 3, IORING_OP_NOP, 3, 0);
            publish(r, 4);
            assertThat(r.enter(4, 0, 0)).isEqualTo(4);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(4);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 0, 0, 0, 0),
                    new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A1, A.13: a 128-byte op in the last physical slot -> -EINVAL; the failure consumes one slot and, without
    // SUBMIT_ALL, ends the batch; the SQE in slot 0 is submitted by the next enter.
    @Scenario
    void nop128InTheLastPhysicalSlotIsEinvalAndConsumesOneSlot(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE_MIXED | IORING_SETUP_NO_SQARRAY)) {
            advanceTo(r, 3, 3);
            put(r, 3, IORING_OP_NOP128, 9, 0);
            put(r, 0, IORING_OP_NOP, 10, 0);
            publish(r, 5);
            assertThat(r.enter(2, 0, 0)).isEqualTo(1);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(4);
            assertThat(r.reapAll()).containsExactly(new Cqe(9, -EINVAL, 0, 0, 0));
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(10, 0, 0, 0, 0));
        }
    }

    // A1: *left >= 2 is required: a 128-byte op whose second half is not within to_submit -> -EINVAL, one slot.
    @Scenario
    void nop128WhoseSecondHalfIsNotSubmittedIsEinval(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE_MIXED | IORING_SETUP_NO_SQARRAY)) {
            put(r, 0, IORING_OP_NOP128, 5, 0);
            publish(r, 2);
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(5, -EINVAL, 0, 0, 0));
        }
    }

    // A1 padding convention: a NOP with CQE_SKIP_SUCCESS in the last slot, the 128-byte SQE from slot 0; only the
    // 128-byte op posts a CQE.
    @Scenario
    void skipSuccessPaddingKeepsA128ByteSqeOutOfTheLastSlot(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE_MIXED | IORING_SETUP_NO_SQARRAY)) {
            advanceTo(r, 3, 3);
            put(r, 3, IORING_OP_NOP, 0x9ad, IOSQE_CQE_SKIP_SUCCESS);
            put(r, 0, IORING_OP_NOP128, 7, 0);
            publish(r, 6);
            assertThat(r.enter(3, 0, 0)).isEqualTo(3);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(6);
            assertThat(r.reapAll()).containsExactly(new Cqe(7, 0, 0, 0, 0));
        }
    }

    // A1: with an SQ array the array entry of the skipped position is ignored; the second half is sqe + 1.
    @Scenario
    void sqArrayEntryOfTheSecondHalfIsIgnored(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE_MIXED);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE_MIXED)) {
            put(r, 0, IORING_OP_NOP128, 1, 0);
            put(r, 2, IORING_OP_NOP, 3, 0);
            r.sq().writeOnceArray(0, 0);
            r.sq().writeOnceArray(1, 99);
            r.sq().writeOnceArray(2, 2);
            publish(r, 3);
            assertThat(r.enter(3, 0, 0)).isEqualTo(3);
            assertThat(r.sq().readOnceDropped()).isZero();
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(3, 0, 0, 0, 0));
        }
    }
}
