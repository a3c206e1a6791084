package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.CqeReader.CqeRead;
import dev.ringspec.seam.CqeReader.Malformation;
import dev.ringspec.seam.CqeReader.VisibleCqe;
import org.junit.jupiter.api.Test;

/**
 * The one CQE reader on hand-built rings: the slots a CQE takes on each kind of ring (uapi io_uring.h comments on
 * F_32 and F_SKIP, io_uring_setup(2) CQE_MIXED, ring-semantics.md A2) and every malformation it reports instead of
 * reading it as something else.
 */
class CqeReaderTest {
    private static final Cqe SKIP = new Cqe(0, 0, IORING_CQE_F_SKIP, 0, 0);

    private static RingObservation.Builder mixed(int cqEntries) {
        return RingObservation.Builder.emptyRing(4, cqEntries, IORING_SETUP_CQE_MIXED);
    }

    private static Malformation malformation(RingObservation o) {
        CqeRead read = o.cqes();
        assertThat(read).isInstanceOf(CqeRead.Malformed.class);
        return ((CqeRead.Malformed) read).malformation();
    }

    @Test
    void bigCqeTakesTwoSlotsOnAMixedRingAndCarriesTheNextSlotAsItsBigWords() {
        RingObservation o = mixed(4).post(0, new Cqe(1, 0, 0, 0, 0))
                .post(1, new Cqe(2, 5, IORING_CQE_F_32, 0x1111, 0x2222))
                .post(3, new Cqe(3, 0, 0, 0, 0)).cq(0, 4).build();
        CqeRead read = o.cqes();
        assertThat(read).isInstanceOf(CqeRead.WellFormed.class);
        assertThat(read.cqes()).extracting(VisibleCqe::cqe).containsExactly(new Cqe(1, 0, 0, 0, 0),
                new Cqe(2, 5, IORING_CQE_F_32, 0x1111, 0x2222), new Cqe(3, 0, 0, 0, 0));
        assertThat(read.cqes()).extracting(VisibleCqe::slotCount).containsExactly(1, 2, 1);
        assertThat(read.end()).isEqualTo(4);
    }

    @Test
    void skipCqeFillsLastSlotBeforeBigCqeAcrossTheWrap() {
        RingObservation o = mixed(4).post(3, SKIP).post(4, new Cqe(34, 0, IORING_CQE_F_32, 0xc0ffee, 0xf00d))
                .cq(3, 6).build();
        CqeRead read = o.cqes();
        assertThat(read).isInstanceOf(CqeRead.WellFormed.class);
        assertThat(read.cqes()).extracting(VisibleCqe::cqe).containsExactly(SKIP,
                new Cqe(34, 0, IORING_CQE_F_32, 0xc0ffee, 0xf00d));
        assertThat(read.cqes().get(0).isSkip()).isTrue();
    }

    @Test
    void cqe32RingReadsOneThirtyTwoByteSlotPerCqe() {
        RingObservation o = RingObservation.Builder.emptyRing(2, 4, IORING_SETUP_CQE32)
                .slot(3, new Cqe(7, 0, 0, 0x77, 0x78)).slot(0, new Cqe(8, 0, 0, 0, 0)).cq(3, 5).build();
        assertThat(o.cqes().cqes()).extracting(VisibleCqe::cqe).containsExactly(new Cqe(7, 0, 0, 0x77, 0x78),
                new Cqe(8, 0, 0, 0, 0));
    }

    @Test
    void countersThatWrapPastTwoToThe32AreReadAsADistance() {
        RingObservation o = RingObservation.Builder.emptyRing(4, 8, 0).slot(7, new Cqe(1, 0, 0, 0, 0))
                .slot(0, new Cqe(2, 0, 0, 0, 0)).cq(-1, 1).build();
        assertThat(o.cqes().cqes()).extracting(c -> c.cqe().userData()).containsExactly(1L, 2L);
        assertThat(o.cqes().end()).isEqualTo(1);
    }

    @Test
    void tailMoreThanRingEntriesAheadIsMalformed() {
        assertThat(malformation(RingObservation.Builder.emptyRing(4, 8, 0).cq(0, 9).build()))
                .isEqualTo(Malformation.TAIL_TOO_FAR_AHEAD);
    }

    @Test
    void headBeyondTailIsMalformed() {
        assertThat(malformation(RingObservation.Builder.emptyRing(4, 8, 0).cq(5, 4).build()))
                .isEqualTo(Malformation.TAIL_TOO_FAR_AHEAD);
    }

    @Test
    void bigCqeInTheLastSlotIsMalformedNotASixteenByteCqe() {
        RingObservation o = mixed(4).post(2, new Cqe(1, 0, 0, 0, 0)).slot(3, new Cqe(2, 0, IORING_CQE_F_32, 0, 0))
                .cq(2, 5).build();
        CqeRead read = o.cqes();
        assertThat(malformation(o)).isEqualTo(Malformation.BIG_CQE_IN_LAST_SLOT);
        assertThat(read.cqes()).extracting(c -> c.cqe().userData()).containsExactly(1L);
        assertThat(((CqeRead.Malformed) read).at()).isEqualTo(3);
    }

    @Test
    void bigCqeWhoseSecondSlotIsNotPublishedIsMalformed() {
        RingObservation o = mixed(4).post(0, new Cqe(2, 0, IORING_CQE_F_32, 0, 0)).cq(0, 1).build();
        assertThat(malformation(o)).isEqualTo(Malformation.BIG_CQE_CUT_BY_TAIL);
    }

    @Test
    void skipCqeThatAResizeMovedOffTheLastSlotReadsAsOneSlot() {
        RingObservation o = mixed(8).post(1, SKIP).post(2, new Cqe(9, 0, IORING_CQE_F_32, 1, 2)).cq(1, 4).build();
        CqeRead read = o.cqes();
        assertThat(read).isInstanceOf(CqeRead.WellFormed.class);
        assertThat(read.cqes()).extracting(VisibleCqe::slotCount).containsExactly(1, 2);
    }

    @Test
    void skipCqeWithTheBigFlagIsMalformed() {
        RingObservation o = mixed(4).slot(3, new Cqe(0, 0, IORING_CQE_F_SKIP | IORING_CQE_F_32, 0, 0)).cq(3, 4)
                .build();
        assertThat(malformation(o)).isEqualTo(Malformation.SKIP_WITH_BIG_FLAG);
    }

    @Test
    void bigAndSkipFlagsOnARingWithoutCqeMixedAreMalformed() {
        assertThat(malformation(RingObservation.Builder.emptyRing(4, 8, 0)
                .slot(0, new Cqe(1, 0, IORING_CQE_F_32, 0, 0)).cq(0, 1).build()))
                .isEqualTo(Malformation.BIG_FLAG_ON_UNMIXED_RING);
        assertThat(malformation(RingObservation.Builder.emptyRing(4, 8, IORING_SETUP_CQE32)
                .slot(7, SKIP).cq(7, 8).build()))
                .isEqualTo(Malformation.SKIP_ON_UNMIXED_RING);
    }

    @Test
    void readStopsAfterMaxCqesCountingASkipAsOne() {
        RingObservation o = mixed(4).post(3, SKIP).post(4, new Cqe(34, 0, IORING_CQE_F_32, 1, 2)).cq(3, 6).build();
        CqeRead read = CqeReader.read(o.slots(), o.cqShape(), 3, 6, 1);
        assertThat(read.cqes()).hasSize(1);
        assertThat(read.end()).isEqualTo(4);
    }
}
