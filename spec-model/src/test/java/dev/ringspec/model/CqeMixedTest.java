package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B rows 8-11 (C1, C3-C7, M1) and Appendix A item 8. */
class CqeMixedTest {

    private static void big(ModelFixture f, long userData, long off, long addr) {
        long at = f.nop(userData);
        Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_CQE32);
        Sqe.off(f.driver.sqes(), at, off);
        Sqe.addr(f.driver.sqes(), at, addr);
    }

    @Test
    void cqe32RingCarriesBigWordsAndZeroesThemForPlainNops() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE32)) {
            big(f, 1, 0x1111, 0x2222);
            f.nop(2);
            f.submit();
            List<Cqe> cqes = f.reapAll();
            assertThat(cqes).hasSize(2);
            assertThat(cqes.get(0).big0()).isEqualTo(0x1111);
            assertThat(cqes.get(0).big1()).isEqualTo(0x2222);
            assertThat(cqes.get(1).big0()).isZero();
            assertThat(cqes.get(1).big1()).isZero();
        }
    }

    @Test
    void nopCqe32OnASixteenByteRingIsEinval() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            big(f, 1, 1, 2);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-22);
        }
    }

    @Test
    void bigCqeTakesTwoSlotsWithF32() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED)) {
            f.nop(1);
            big(f, 2, 7, 8);
            f.nop(3);
            f.submit();
            assertThat(f.cqTail()).isEqualTo(4);
            assertThat(f.slot(1).userData()).isEqualTo(2);
            assertThat(f.slot(1).flags()).isEqualTo(0x8000);
            assertThat(f.slot(3).userData()).isEqualTo(3);
        }
    }

    @Test
    void skipCqeFillsLastSlotBeforeBigCqe() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 3; i++) {
                f.nop(i);
            }
            f.submit();
            f.reapAll();
            f.ring.cqRing().set(java.lang.foreign.ValueLayout.JAVA_LONG, 64 + 3 * 16, 0x5a5a5a5aL);
            big(f, 34, 0xc0ffee, 0xf00d);
            f.submit();
            assertThat(f.cqTail()).isEqualTo(6);
            assertThat(f.slot(3)).isEqualTo(new Cqe(0, 0, 0x20, f.slot(3).big0(), f.slot(3).big1()));
            assertThat(f.slot(0).userData()).isEqualTo(34);
            assertThat(f.slot(0).flags()).isEqualTo(0x8000);
            assertThat(f.slot(0).big0()).isEqualTo(0xc0ffee);
            assertThat(f.slot(0).big1()).isEqualTo(0xf00d);
        }
    }

    @Test
    void skipCqeIsWrittenEvenWhenTheBigCqeOverflows() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 3; i++) {
                f.nop(10 + i);
            }
            f.submit();
            big(f, 34, 1, 2);
            f.submit();
            assertThat(f.cqTail()).isEqualTo(4);
            assertThat(f.slot(3).flags()).isEqualTo(0x20);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            f.reapAll();
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.cqTail()).isEqualTo(6);
            assertThat(f.slot(0).userData()).isEqualTo(34);
            assertThat(f.slot(0).flags()).isEqualTo(0x8000);
            assertThat(f.sqFlags()).isZero();
        }
    }

    @Test
    void overflowFlushInsertsTheSkipCqeItself() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 3; i++) {
                f.nop(10 + i);
            }
            f.submit();
            f.reapAll();
            for (int i = 0; i < 4; i++) {
                f.nop(20 + i);
            }
            f.submit();
            // full at head 3, tail 7: the big CQE would start in the last slot, no room for a skip CQE
            big(f, 34, 1, 2);
            f.submit();
            assertThat(f.cqTail()).isEqualTo(7);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            f.reapAll();
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            // the flush writes the skip CQE at slot 3, then the big CQE at slots 0-1 (M1)
            assertThat(f.cqTail()).isEqualTo(10);
            assertThat(f.slot(3).flags()).isEqualTo(0x20);
            assertThat(f.slot(3).userData()).isZero();
            assertThat(f.slot(0).userData()).isEqualTo(34);
            assertThat(f.slot(0).flags()).isEqualTo(0x8000);
        }
    }

    @Test
    void twoEntryCqFitsABigCqeOnlyFromAnEvenEmptyPosition() {
        try (ModelFixture f = ModelFixture.of().setup(1, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 2)) {
            f.nop(1);
            f.submit();
            f.reapAll();
            big(f, 2, 1, 2);
            f.submit();
            // skip at slot 1, big CQE overflows (C7)
            assertThat(f.cqTail()).isEqualTo(2);
            assertThat(f.slot(1).flags()).isEqualTo(0x20);
            assertThat(f.sqFlags()).isEqualTo(0x2);
            f.reapAll();
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
            assertThat(f.cqTail()).isEqualTo(4);
            assertThat(f.slot(0).userData()).isEqualTo(2);
        }
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
