package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * CQE_MIXED rings hold 16- and 32-byte CQEs; a 32-byte CQE never wraps, and a SKIP filler {ud 0, res 0, flags
 * 0x20} fills the last slot first (ring-semantics.md A2 {@code io_cqe_cache_refill} and {@code io_fill_nop_cqe},
 * Part B rows 9-11, Appendix A.8).
 */
@Tag("kernel")
class CqeMixedTest {
    private static final Cqe SKIP = new Cqe(0, 0, IORING_CQE_F_SKIP, 0, 0);

    private static void assumeMixed(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.CQE_MIXED);
        Scenarios.assumeNopFlags(backend, IORING_NOP_CQE32);
    }

    private static void nopCqe32(ScenarioRing r, long userData, long off, long addr) {
        long sqe = r.nop(userData, 0, IORING_NOP_CQE32, 0);
        Sqe.off(r.sqes(), sqe, off);
        Sqe.addr(r.sqes(), sqe, addr);
    }

    /** Posts and reaps {@code count} 16-byte CQEs, so head = tail advances by {@code count}. */
    private static void advance(ScenarioRing r, int count) {
        for (int i = 0; i < count; i++) {
            r.nop(1000 + i);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reap()).isNotNull();
        }
    }

    /** The 16 bytes of slot {@code index} exactly as they sit in the ring. */
    private static Cqe slot(ScenarioRing r, int index) {
        return new Cqe(r.cq().userData(index), r.cq().res(index), r.cq().flags(index), 0, 0);
    }

    // Row 9: 16b + 32b + 16b -> tail 4; the 32-byte CQE at idx 1-2 with flags 0x8000, the next at idx 3.
    @Scenario
    void bigCqeTakesTwoSlotsAndCarriesF32(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE_MIXED)) {
            r.nop(1);
            nopCqe32(r, 2, 0x1111, 0x2222);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(slot(r, 1)).isEqualTo(new Cqe(2, 0, IORING_CQE_F_32, 0, 0));
            assertThat(r.cq().bigCqe(1, 0)).isEqualTo(0x1111);
            assertThat(r.cq().bigCqe(1, 1)).isEqualTo(0x2222);
            assertThat(slot(r, 3).userData()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0),
                    new Cqe(2, 0, IORING_CQE_F_32, 0x1111, 0x2222), new Cqe(3, 0, 0, 0, 0));
        }
    }

    // Row 10: cq=4, head=tail=3, a 32-byte CQE -> tail 6; slot 3 = {0, 0, 0x20} over the poisoned bytes;
    // slots 0-1 = {ud 34, flags 0x8000, big [0xc0ffee, 0xf00d]}.
    @Scenario
    void skipCqeFillsLastSlotBeforeBigCqe(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 2, IORING_SETUP_CQE_MIXED, 4)) {
            advance(r, 3);
            long last = r.cq().cqeOffset(3);
            r.cq().memory().set(JAVA_LONG, last, 0xdeadL);
            r.cq().memory().set(JAVA_INT, last + 8, 7);
            r.cq().memory().set(JAVA_INT, last + 12, 0x1234);
            nopCqe32(r, 34, 0xc0ffee, 0xf00d);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(6);
            assertThat(slot(r, 3)).isEqualTo(SKIP);
            assertThat(r.reapAll()).containsExactly(SKIP,
                    new Cqe(34, 0, IORING_CQE_F_32, 0xc0ffee, 0xf00d));
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    // Row 11: cq=4 with 3 unconsumed CQEs: SKIP into slot 3 (tail 4, ring full), the 32-byte CQE to the overflow
    // list; after consuming and GETEVENTS it lands at slot 0 (tail 6).
    @Scenario
    void skipIsPostedEvenWhenTheBigCqeThenOverflows(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 2, IORING_SETUP_CQE_MIXED, 4)) {
            r.nop(1);
            r.nop(2);
            assertThat(r.submit()).isEqualTo(2);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(1);
            nopCqe32(r, 4, 0x44, 0x45);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(slot(r, 3)).isEqualTo(SKIP);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(1L, 2L, 3L, 0L);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(6);
            assertThat(r.reapAll()).containsExactly(new Cqe(4, 0, IORING_CQE_F_32, 0x44, 0x45));
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    // liburing-notes 6.1 case 3: one free slot, not at the wrap point: the 32-byte CQE overflows and no SKIP.
    @Scenario
    void bigCqeWithOneFreeSlotBeforeTheWrapOverflowsWithoutSkip(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 2, IORING_SETUP_CQE_MIXED, 4)) {
            for (int i = 0; i < 2; i++) {
                r.nop(2 * i + 1);
                r.nop(2 * i + 2);
                assertThat(r.submit()).isEqualTo(2);
            }
            assertThat(r.reap().userData()).isEqualTo(1);
            nopCqe32(r, 9, 0x99, 0x9a);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).as("no SKIP: slot 0 is not the last slot").isEqualTo(4);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(2L, 3L, 4L);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(6);
            assertThat(r.reapAll()).containsExactly(new Cqe(9, 0, IORING_CQE_F_32, 0x99, 0x9a));
        }
    }

    // Row 11 (C7) and A.8: on a 2-entry CQ a 32-byte CQE only fits when head == tail at an even index.
    @Scenario
    void twoEntryCqFitsABigCqeOnlyFromSlotZero(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 1, IORING_SETUP_CQE_MIXED, 2)) {
            advance(r, 1);
            nopCqe32(r, 5, 0x55, 0x56);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(2);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.reapAll()).containsExactly(SKIP);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(r.reapAll()).containsExactly(new Cqe(5, 0, IORING_CQE_F_32, 0x55, 0x56));
            nopCqe32(r, 6, 0x66, 0x67);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).as("head == tail at an even index: it fits").isEqualTo(6);
            assertThat(r.reapAll()).containsExactly(new Cqe(6, 0, IORING_CQE_F_32, 0x66, 0x67));
        }
    }

    // Row 11 (M1): an overflow flush that reaches the last slot with a 32-byte CQE inserts the SKIP itself.
    @Scenario
    void overflowFlushInsertsSkipBeforeBigCqe(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE_MIXED, 4)) {
            for (int i = 0; i < 4; i++) {
                r.nop(i);
            }
            assertThat(r.submit()).isEqualTo(4);
            r.nop(5);
            r.nop(6);
            r.nop(7);
            nopCqe32(r, 8, 0x88, 0x89);
            assertThat(r.submit()).isEqualTo(4);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(4);
            assertThat(r.reapAll()).hasSize(4);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(8);
            assertThat(r.reapAll()).containsExactly(new Cqe(5, 0, 0, 0, 0), new Cqe(6, 0, 0, 0, 0),
                    new Cqe(7, 0, 0, 0, 0), SKIP);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).as("the big CQE is still listed")
                    .isEqualTo(IORING_SQ_CQ_OVERFLOW);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(10);
            assertThat(r.reapAll()).containsExactly(new Cqe(8, 0, IORING_CQE_F_32, 0x88, 0x89));
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        }
    }

    // A2 io_fill_nop_cqe: no SKIP when the ring is completely full; the flush then inserts it (M1).
    @Scenario
    void fullRingGetsNoSkipUntilTheFlush(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE_MIXED, 4)) {
            advance(r, 3);
            for (int i = 0; i < 4; i++) {
                r.nop(i);
            }
            assertThat(r.submit()).isEqualTo(4);
            nopCqe32(r, 9, 0x99, 0x9a);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).as("full: no SKIP").isEqualTo(7);
            assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(0L, 1L, 2L, 3L);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(10);
            assertThat(r.reapAll()).containsExactly(SKIP, new Cqe(9, 0, IORING_CQE_F_32, 0x99, 0x9a));
        }
    }

    // Row 11 (M2): DEFER_TASKRUN + NOP_TW|NOP_CQE32 at the wrap: nothing until GETEVENTS, then SKIP + 32b.
    @Scenario
    void taskWorkBigCqeAtTheWrapGetsASkipToo(Backend backend) {
        assumeMixed(backend);
        Scenarios.assumeNopFlags(backend, IORING_NOP_TW);
        try (ScenarioRing r = ScenarioRing.open(backend, 2,
                IORING_SETUP_CQE_MIXED | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 4)) {
            advance(r, 3);
            long sqe = r.nop(12, 0, IORING_NOP_TW | IORING_NOP_CQE32, 0);
            Sqe.off(r.sqes(), sqe, 0x12);
            Sqe.addr(r.sqes(), sqe, 0x13);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(3);
            assertThat(r.getEvents()).isZero();
            assertThat(r.cq().loadAcquireTail()).isEqualTo(6);
            assertThat(r.reapAll()).containsExactly(SKIP, new Cqe(12, 0, IORING_CQE_F_32, 0x12, 0x13));
        }
    }

    // Catalogue entry cqe-stale-cache-jumps-overflow-list, variant (a). CQ of 8 with 7 CQEs pending: a 32-byte CQE
    // writes the skip CQE into slot 7 and overflows. Intended: the next 16-byte CQE queues behind it (tail 8, the
    // skip CQE stays). Linux 6.18 writes it through the cached range it kept, over the skip CQE: tail 9 on an
    // 8-entry ring. A kernel that fixes this fails here: record the release in the catalogue entry.
    @Scenario
    void aCqeAfterAnOverflowedBigCqeQueuesBehindIt(Backend backend) {
        assumeMixed(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE_MIXED)) {
            assertThat(r.ring.params().cqEntries()).isEqualTo(8);
            for (int i = 0; i < 4; i++) {
                r.nop(10 + i);
            }
            assertThat(r.submit()).isEqualTo(4);
            for (int i = 4; i < 7; i++) {
                r.nop(10 + i);
            }
            assertThat(r.submit()).isEqualTo(3);
            nopCqe32(r, 34, 0x1111, 0x2222);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(8);
            assertThat(slot(r, 7)).isEqualTo(SKIP);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).isEqualTo(IORING_SQ_CQ_OVERFLOW);
            r.nop(40);
            assertThat(r.submit()).isEqualTo(1);
            if (backend.kind() == Backend.Kind.KERNEL) {
                assertThat(r.cq().loadAcquireTail()).as("the catalogued kernel behaviour").isEqualTo(9);
                assertThat(slot(r, 7)).isEqualTo(new Cqe(40, 0, 0, 0, 0));
            } else {
                assertThat(r.cq().loadAcquireTail()).isEqualTo(8);
                assertThat(slot(r, 7)).isEqualTo(SKIP);
            }
        }
    }
}
