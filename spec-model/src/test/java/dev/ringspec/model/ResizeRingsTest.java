package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** IORING_REGISTER_RESIZE_RINGS: ring-semantics.md A5, Part B row 14 (R1-R4), Appendix A item 9. */
class ResizeRingsTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    private static final long ARRAY = IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.ARRAY_OFFSET;

    private static MemorySegment request(ModelFixture f, int sq, int cq, int flags) {
        MemorySegment p = f.memory.allocate(IoUringParams.SIZE_BYTES);
        p.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, sq);
        p.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cq);
        p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        p.set(JAVA_INT, ARRAY, 0xdead);
        return p;
    }

    @Test
    void growKeepsCountersAndPendingEntriesAndLeavesSqArrayUnwrittenOn618() {
        try (ModelFixture f = ModelFixture.of().setup(4, DEFER | IORING_SETUP_NO_SQARRAY)) {
            for (int i = 0; i < 4; i++) {
                f.nop(i);
            }
            f.submit();
            f.reapAll();
            for (int i = 0; i < 3; i++) {
                f.nop(10 + i);
            }
            f.submit();
            f.nop(20);
            f.nop(21);
            f.publish(2);
            MemorySegment old = f.ring.sqes();
            MemorySegment p = request(f, 16, 0, 0);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isZero();
            assertThat(p.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET)).isEqualTo(16);
            assertThat(p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(32);
            assertThat(p.get(JAVA_INT, IoUringParams.FLAGS_OFFSET)).isEqualTo(0x10000);
            assertThat(p.get(JAVA_INT, ARRAY)).isEqualTo(0xdead);
            assertThat(old.scope().isAlive()).isFalse();
            f.driver.refreshViews();
            assertThat(f.driver.sq().readOnceHead()).isEqualTo(7);
            assertThat(f.driver.sq().readOnceTail()).isEqualTo(9);
            assertThat(f.cqHead()).isEqualTo(4);
            assertThat(f.cqTail()).isEqualTo(7);
            assertThat(f.ring.params().sqEntries()).isEqualTo(16);
            assertThat(f.userDatas(f.reapAll())).containsExactly(10L, 11L, 12L);
            assertThat(f.enter(2, 0, 0)).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(20L, 21L);
        }
    }

    @Test
    void linux619WritesTheSqArrayOffsetBack() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_19).setup(4, DEFER)) {
            MemorySegment p = request(f, 16, 0, 0);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isZero();
            // ALIGN64(64 + 32 * 16)
            assertThat(p.get(JAVA_INT, ARRAY)).isEqualTo(576);
        }
    }

    @Test
    void shrinkingBelowPendingCqesIsEoverflowWithParamsStillWritten() {
        try (ModelFixture f = ModelFixture.of().setup(8, DEFER)) {
            for (int i = 0; i < 6; i++) {
                f.nop(i);
            }
            f.submit();
            MemorySegment rings = f.ring.cqRing();
            MemorySegment p = request(f, 2, 4, IORING_SETUP_CQSIZE);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isEqualTo(-75);
            assertThat(p.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET)).isEqualTo(2);
            assertThat(p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(4);
            assertThat(f.ring.cqRing()).isSameAs(rings);
            assertThat(f.reapAll()).hasSize(6);
        }
    }

    @Test
    void pendingSqesBeyondTheNewSizeAreEoverflow() {
        try (ModelFixture f = ModelFixture.of().setup(8, DEFER)) {
            for (int i = 0; i < 4; i++) {
                f.nop(i);
            }
            f.publish(4);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, request(f, 2, 0, 0), 1))
                    .isEqualTo(-75);
        }
    }

    @Test
    void clampAndArgumentChecks() {
        try (ModelFixture f = ModelFixture.of().setup(4, DEFER)) {
            MemorySegment p = request(f, 40000, 0, IORING_SETUP_CLAMP);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isZero();
            assertThat(p.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET)).isEqualTo(32768);
            assertThat(p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(65536);
            p = request(f, 4, 100000, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isZero();
            assertThat(p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(65536);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS,
                    request(f, 4, 0, IORING_SETUP_NO_SQARRAY), 1)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS,
                    request(f, 4, 0, IORING_SETUP_CQE32), 1)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, request(f, 4, 0, 0), 2))
                    .isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, MemorySegment.NULL, 1))
                    .isEqualTo(-22);
        }
    }

    @Test
    void ringsWithoutDeferTaskrunCannotBeResized() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, request(f, 8, 0, 0), 1))
                    .isEqualTo(-22);
        }
    }
}
