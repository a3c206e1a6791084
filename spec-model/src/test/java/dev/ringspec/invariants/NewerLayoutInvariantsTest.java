package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.UserMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The invariants follow the SQ of the 6.19 and 7.0 layouts (on the 7.2 model): a 128-byte SQE on an SQE_MIXED ring
 * takes two positions but is one request, whatever the second position's SQ array entry (io_uring.c
 * {@code io_init_req}); an SQ_REWIND ring takes each enter's SQEs from index 0 and never moves sq.head
 * ({@code io_submit_sqes}, {@code io_commit_sqring}).
 */
class NewerLayoutInvariantsTest {
    private final UserMemory memory = new UserMemory();
    private final ModelIoUring model = new ModelIoUring(KernelProfile.LINUX_7_2, memory);

    @AfterEach
    void close() {
        memory.close();
    }

    private static long checks(CheckedRing r, RingInvariant invariant) {
        return r.checker().counts().get(invariant).checks();
    }

    @Test
    void aNop128IsOneRequestOverTwoPositionsWhateverTheSecondArrayEntry() {
        try (CheckedRing r = CheckedRing.setup(model, memory, 4, IORING_SETUP_SQE_MIXED, 0)) {
            r.nop(1, 0, 0);
            r.sqe(IORING_OP_NOP128, 2, 0, 0, 0, 0, 0);
            r.nop(99, 0, 0); // the second half: never an SQE of its own
            r.array(2, 77); // and its SQ array entry is never read, so never dropped
            assertThat(r.submit(0)).isEqualTo(3);
            assertThat(r.consume(8)).extracting(c -> c.cqe().userData()).containsExactly(1L, 2L);
            assertThat(r.violations()).isEmpty();
            assertThat(checks(r, RingInvariant.DROPPED_COUNTS_INVALID_INDICES)).isPositive();
            assertThat(checks(r, RingInvariant.NO_COMPLETION_LOST)).isPositive();
            assertThat(checks(r, RingInvariant.EVERY_CQE_ANSWERS_A_REQUEST)).isPositive();
        }
    }

    @Test
    void aNop128InTheLastSlotIsOneRefusedRequestAndTheNextPositionAnother() {
        try (CheckedRing r = CheckedRing.setup(model, memory, 2, IORING_SETUP_SQE_MIXED | IORING_SETUP_NO_SQARRAY,
                0)) {
            r.nop(1, 0, 0);
            assertThat(r.submit(0)).isEqualTo(1);
            r.sqe(IORING_OP_NOP128, 2, 0, 0, 0, 0, 0); // slot 1, the last
            r.nop(3, 0, 0); // slot 0
            assertThat(r.submit(0)).as("-EINVAL for one position ends the batch").isEqualTo(1);
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.consume(8)).extracting(c -> c.cqe().userData()).containsExactly(1L, 2L, 3L);
            assertThat(r.violations()).isEmpty();
        }
    }

    @Test
    void aRewoundRingsRequestsAreItsSqesFromIndexZero() {
        try (CheckedRing r = CheckedRing.setup(model, memory, 4, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY,
                0)) {
            r.nop(1, 0, 0);
            r.nop(2, 0, 0);
            assertThat(r.enter(2, 0, 0)).isEqualTo(2);
            r.rewind();
            r.nop(3, 0, 0);
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.enter(2, 0, 0)).as("the same SQEs again: 3, then the stale 2").isEqualTo(2);
            assertThat(r.consume(8)).extracting(CqeReader.VisibleCqe::cqe).extracting(c -> c.userData())
                    .containsExactly(1L, 2L, 3L, 3L, 2L);
            assertThat(r.kernelHead()).isZero();
            assertThat(r.violations()).isEmpty();
            assertThat(checks(r, RingInvariant.EVERY_CQE_ANSWERS_A_REQUEST)).isEqualTo(3);
            assertThat(checks(r, RingInvariant.SQ_HEAD_ADVANCES_BY_CONSUMED)).isPositive();
        }
    }
}
