package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoUringParams;
import org.junit.jupiter.api.Test;

/** ring-semantics.md Part B rows 1, 6, 7 and 9, and the offsets of section 1. */
class SetupValidationTest {

    @Test
    void fiveEntriesGiveEightAndSixteenWithTheKernelsOffsets() {
        try (ModelFixture f = ModelFixture.of().setup(5, 0)) {
            RingParams p = RingParams.read(f.params);
            assertThat(p.sqEntries()).isEqualTo(8);
            assertThat(p.cqEntries()).isEqualTo(16);
            assertThat(p.features()).isEqualTo(0x3ffff);
            assertThat(p.sqOff().head()).isEqualTo(0);
            assertThat(p.sqOff().tail()).isEqualTo(4);
            assertThat(p.sqOff().ringMask()).isEqualTo(16);
            assertThat(p.sqOff().ringEntries()).isEqualTo(24);
            assertThat(p.sqOff().flags()).isEqualTo(36);
            assertThat(p.sqOff().dropped()).isEqualTo(32);
            // ALIGN64(64 + 16 * 16) = 320
            assertThat(p.sqOff().array()).isEqualTo(320);
            assertThat(p.cqOff().head()).isEqualTo(8);
            assertThat(p.cqOff().tail()).isEqualTo(12);
            assertThat(p.cqOff().ringMask()).isEqualTo(20);
            assertThat(p.cqOff().ringEntries()).isEqualTo(28);
            assertThat(p.cqOff().overflow()).isEqualTo(44);
            assertThat(p.cqOff().cqes()).isEqualTo(64);
            assertThat(p.cqOff().flags()).isEqualTo(40);
            assertThat(f.driver.sq().readOnceRingEntries()).isEqualTo(8);
            assertThat(f.driver.cq().readOnceRingMask()).isEqualTo(15);
        }
    }

    @Test
    void entryCountsAreCheckedAndClamped() {
        assertThat(result(0, 0, 0)).isEqualTo(-22);
        assertThat(result(32768, 0, 0)).isGreaterThanOrEqualTo(0);
        assertThat(result(32769, 0, 0)).isEqualTo(-22);
        try (ModelFixture f = ModelFixture.of().setup(32769, IORING_SETUP_CLAMP)) {
            assertThat(f.params.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET)).isEqualTo(32768);
        }
        assertThat(result(4, IORING_SETUP_CQSIZE, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_CQSIZE, 2)).isEqualTo(-22);
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 5)) {
            assertThat(f.params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(8);
        }
        assertThat(result(4, IORING_SETUP_CQSIZE, 65537)).isEqualTo(-22);
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 65537)) {
            assertThat(f.params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(65536);
        }
    }

    @Test
    void flagDependenciesAreRefused() {
        assertThat(result(4, IORING_SETUP_DEFER_TASKRUN, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_TASKRUN_FLAG, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_HYBRID_IOPOLL, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_REGISTERED_FD_ONLY, 0)).isEqualTo(-22);
        assertThat(result(4, 1 << 21, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED, 0)).isEqualTo(-22);
        // io_sq_offload_create: SQ_AFF without SQPOLL
        assertThat(result(4, dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF, 0)).isEqualTo(-22);
    }

    /** io_sq_offload_create (source reading, not a Part B measurement): wq_fd must be an open io_uring. */
    @Test
    void attachWqNeedsALiveRing() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            int attach = dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
            MemorySegmentParams p = new MemorySegmentParams(f, attach);
            p.wqFd(f.ring.fd());
            var attached = f.model.setup(4, p.segment);
            assertThat(attached.result()).isGreaterThanOrEqualTo(1000);
            assertThat(f.model.close(attached.ringOrNull())).isZero();
            p.wqFd(3);
            assertThat(f.model.setup(4, p.segment).result()).isEqualTo(-22);
            p.wqFd(-1);
            assertThat(f.model.setup(4, p.segment).result()).isEqualTo(-6);
        }
    }

    private static final class MemorySegmentParams {
        final java.lang.foreign.MemorySegment segment;

        MemorySegmentParams(ModelFixture f, int flags) {
            segment = f.memory.allocate(IoUringParams.SIZE_BYTES);
            segment.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        }

        void wqFd(int fd) {
            segment.set(JAVA_INT, IoUringParams.WQ_FD_OFFSET, fd);
        }
    }

    @Test
    void nonZeroResvIsRefused() {
        try (ModelFixture f = ModelFixture.of()) {
            f.params = f.memory.allocate(IoUringParams.SIZE_BYTES);
            f.params.set(JAVA_INT, IoUringParams.RESV_OFFSET + 4, 1);
            assertThat(f.model.setup(4, f.params).result()).isEqualTo(-22);
        }
    }

    @Test
    void mixedCqNeedsTwoEntries() {
        assertThat(result(1, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 1)).isEqualTo(-75);
        assertThat(result(1, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, 2)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void linux618RefusesSqeMixedAndSqRewind() {
        assertThat(result(4, IORING_SETUP_SQE_MIXED, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_SQE_MIXED | IORING_SETUP_SQE128, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY, 0)).isEqualTo(-22);
        assertThat(result(4, IORING_SETUP_SQ_REWIND, 0)).isEqualTo(-22);
    }

    @Test
    void linux70AcceptsSqRewindOnlyWithoutSqArray() {
        assertThat(result(KernelProfile.LINUX_7_0, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY))
                .isGreaterThanOrEqualTo(0);
        assertThat(result(KernelProfile.LINUX_7_0, IORING_SETUP_SQ_REWIND)).isEqualTo(-22);
    }

    @Test
    void nullOrUnresolvableParamsFault() {
        try (ModelFixture f = ModelFixture.of()) {
            assertThat(f.model.setup(4, java.lang.foreign.MemorySegment.NULL).result()).isEqualTo(-14);
            assertThat(f.model.setup(4, java.lang.foreign.MemorySegment.ofAddress(0x1000)).result())
                    .isEqualTo(-14);
        }
    }

    @Test
    void closingTwiceIsEbadf() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            assertThat(f.ring.fd()).isGreaterThanOrEqualTo(1000);
            assertThat(f.model.close(f.ring)).isZero();
            assertThat(f.model.close(f.ring)).isEqualTo(-9);
            assertThat(f.enter(0, 0, 0)).isEqualTo(-9);
            f.ring = null;
        }
    }

    private static int result(int entries, int flags, int cq) {
        try (ModelFixture f = ModelFixture.of()) {
            return f.trySetup(entries, flags, cq);
        }
    }

    private static int result(KernelProfile profile, int flags) {
        try (ModelFixture f = ModelFixture.of(profile)) {
            return f.trySetup(4, flags, 0);
        }
    }
}
