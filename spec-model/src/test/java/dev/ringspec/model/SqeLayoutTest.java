package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Test;

/** SQE128, SQE_MIXED (6.19+) and SQ_REWIND (7.0+): ring-semantics.md A1, Part B rows 5-7 (E4, T5). */
class SqeLayoutTest {

    @Test
    void sqe128ReadsAt128ByteStrideAndRunsNop128AsANop() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_19).setup(4, IORING_SETUP_SQE128)) {
            f.nop(1);
            long at = f.nop(2);
            assertThat(at).isEqualTo(128);
            // poison what a 64-byte stride would read as SQE 1
            Sqe.opcode(f.driver.sqes(), 64, 200);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0), tuple(2L, 0));
        }
    }

    @Test
    void nop128IsOutOfRangeOn618EvenOnSqe128() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_SQE128)) {
            long at = f.nop(1);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-22);
        }
    }

    @Test
    void nop128OnAMixedRingTakesTwoSlotsAndCountsSlots() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_19).setup(4, IORING_SETUP_SQE_MIXED)) {
            long at = f.nop(1);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.nop(99);
            f.nop(3);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.sqHead()).isEqualTo(3);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(1L, 0), tuple(3L, 0));
        }
    }

    @Test
    void nop128InTheLastPhysicalSlotOrWithoutItsSecondHalfIsEinval() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_19).setup(4, IORING_SETUP_SQE_MIXED)) {
            for (int i = 0; i < 3; i++) {
                f.nop(i);
            }
            f.submit();
            f.reapAll();
            long at = f.nop(7);
            Sqe.opcode(f.driver.sqes(), at, 63);
            assertThat(f.submit()).isEqualTo(1);
            at = f.nop(8);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.nop(9);
            f.publish(2);
            assertThat(f.enter(1, 0, 0)).isEqualTo(1);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(7L, -22), tuple(8L, -22));
        }
    }

    @Test
    void nop128OnAPlainRingIsEinval() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_19).setup(4, 0)) {
            long at = f.nop(1);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-22);
        }
    }

    @Test
    void sqRewindStartsEverySubmitAtSqeZeroAndNeverWritesTheHead() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_0)
                .setup(4, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY)) {
            f.nop(1);
            f.nop(2);
            assertThat(f.enter(2, 0, 0)).isEqualTo(2);
            assertThat(f.enter(1, 0, 0)).isEqualTo(1);
            assertThat(f.sqHead()).isZero();
            assertThat(f.userDatas(f.reapAll())).containsExactly(1L, 2L, 1L);
        }
    }
}
