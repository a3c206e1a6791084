package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B rows 8-11 (C1, C3-C7, M1) and Appendix A item 8. */
class CqeMixedTest {

    private static void big(ModelFixture f, long userData, long off, long addr) {
        long at = f.nop(userData);
        Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_CQE32);
        Sqe.off(f.driver.sqes(), at, off);
        Sqe.addr(f.driver.sqes(), at, addr);
    }

    // Divergence catalogue entry cqe-stale-cache-jumps-overflow-list, variant (a): 3 CQEs pending on a CQ of 4,
    // a big CQE writes the skip CQE in the last slot and overflows. Linux 6.18 keeps its cached range (the last
    // slot) and writes the next 16-byte CQE over the skip CQE; these semantics queue it, and the model says the
    // kernel departs exactly then, not before.
    @Test
    void theModelSaysWhenLinux618WouldWriteThroughItsStaleRange() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 3; i++) {
                f.nop(10 + i);
            }
            f.submit();
            big(f, 34, 1, 2);
            f.submit();
            assertThat(f.sqFlags()).isEqualTo(0x2);
            assertThat(f.model.kernelUsesStaleCqeCache(f.ring)).as("the overflow alone is no departure").isFalse();
            f.nop(40);
            f.submit();
            assertThat(f.cqTail()).as("queued behind the big CQE, not written").isEqualTo(4);
            assertThat(f.slot(3).flags()).isEqualTo(0x20);
            assertThat(f.model.kernelUsesStaleCqeCache(f.ring)).isTrue();
        }
    }

    // Refills that succeed, across many wraps of a small CQ, never mark a departure.
    @Test
    void plainUseAcrossWrapsIsNoDeparture() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            f.nop(1);
            f.nop(2);
            f.submit();
            f.reapAll();
            f.nop(3);
            f.nop(4);
            f.submit();
            assertThat(f.model.kernelUsesStaleCqeCache(f.ring)).isFalse();
            f.reapAll();
            for (int i = 0; i < 8; i++) {
                f.nop(100 + i);
                f.submit();
                f.reapAll();
            }
            assertThat(f.model.kernelUsesStaleCqeCache(f.ring)).as("plain wraps never depart").isFalse();
        }
    }
}
