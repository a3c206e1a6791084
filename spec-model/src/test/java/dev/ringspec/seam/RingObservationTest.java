package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.CqeReader.CqeRead;
import dev.ringspec.seam.CqeReader.VisibleCqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** An observation copies what an application can see of a model ring, and stays as it was when the ring moves on. */
class RingObservationTest {

    private static RingDriver mixedRing(ModelIoUring model, UserMemory memory) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_CQE_MIXED);
        Ring ring = model.setup(4, params).ringOrNull();
        assertThat(ring).isNotNull();
        return new RingDriver(model, ring);
    }

    private static void nop(RingDriver d, long userData, boolean big) {
        long at = d.nextSqe();
        Sqe.prepNop(d.sqes(), at, userData);
        if (big) {
            Sqe.opFlags(d.sqes(), at, IORING_NOP_CQE32);
            Sqe.off(d.sqes(), at, userData * 16);
            Sqe.addr(d.sqes(), at, userData * 16 + 1);
        }
    }

    @Test
    void captureCopiesCountersSlotsAndPendingSqesOfAMixedRing() {
        UserMemory memory = new UserMemory();
        ModelIoUring model = new ModelIoUring(KernelProfile.LINUX_6_18, memory);
        RingDriver d = mixedRing(model, memory);
        nop(d, 1, false);
        nop(d, 2, true);
        assertThat(d.submit(0, 0)).isEqualTo(2);
        nop(d, 3, false);
        d.sq().storeReleaseTail(d.sq().readOnceTail() + 1); // published, not submitted

        RingObservation o = RingObservation.capture(d.ring(), 2);

        assertThat(o.exists()).isTrue();
        assertThat(o.sqEntries()).isEqualTo(4);
        assertThat(o.cqEntries()).isEqualTo(8);
        assertThat(o.sqHead()).isEqualTo(2);
        assertThat(o.sqTail()).isEqualTo(3);
        assertThat(o.sqArray()).containsExactly(0, 1, 2, 0);
        assertThat(o.pendingSqes()).singleElement().satisfies(s -> {
            assertThat(s.counter()).isEqualTo(2);
            assertThat(s.userData()).isEqualTo(3);
        });
        assertThat(o.cqHead()).isZero();
        assertThat(o.cqTail()).isEqualTo(3);
        assertThat(o.cqSlots()).hasSize(8);
        assertThat(o.cqSlots().get(1)).isEqualTo(new Cqe(2, 0, IORING_CQE_F_32, 0, 0));
        CqeRead read = o.cqes();
        assertThat(read).isInstanceOf(CqeRead.WellFormed.class);
        assertThat(read.cqes()).extracting(VisibleCqe::cqe).containsExactly(new Cqe(1, 0, 0, 0, 0),
                new Cqe(2, 0, IORING_CQE_F_32, 32, 33));

        d.reap();
        assertThat(o.cqHead()).as("an observation does not follow the ring").isZero();
        assertThat(RingObservation.capture(d.ring(), 0).cqHead()).isEqualTo(1);
    }

    @Test
    void sideBySideMarksExactlyTheLinesThatDiffer() {
        RingObservation a = RingObservation.Builder.emptyRing(4, 8, 0).cq(0, 1).slot(0, new Cqe(5, 0, 0, 0, 0))
                .build();
        RingObservation b = a.toBuilder().slot(0, new Cqe(5, -22, 0, 0, 0)).build();
        String diff = RingObservation.sideBySide("model", a, "kernel", b);
        assertThat(diff.lines().filter(l -> l.startsWith("<>"))).singleElement()
                .satisfies(l -> assertThat(l).contains("res 0").contains("res -22"));
        assertThat(a).isNotEqualTo(b);
        assertThat(a).isEqualTo(a.toBuilder().build());
    }

    @Test
    void renderingNamesAMalformedRing() {
        RingObservation o = RingObservation.Builder.emptyRing(4, 4, IORING_SETUP_CQE_MIXED)
                .slot(3, new Cqe(7, 0, IORING_CQE_F_32, 0, 0)).cq(3, 5).build();
        assertThat(o.lines()).anySatisfy(l -> assertThat(l).startsWith("Malformed:").contains("BIG_CQE_IN_LAST_SLOT"));
    }

    @Test
    void noRingShowsOnlyTheResult() {
        assertThat(RingObservation.none(-22).lines()).containsExactly("Result:     -22 (EINVAL)", "(no ring)");
    }

    @Test
    void capturingASideWithoutARingObservesNoRing() {
        // A failed setup on one side of a lockstep run: the observation says so, it does not throw.
        assertThat(RingObservation.capture(null, -22)).isEqualTo(RingObservation.none(-22));
    }
}
