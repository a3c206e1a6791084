package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;

/** io_uring_setup validates sizes, CQSIZE, flag dependencies and resv (ring-semantics.md Part B row 1, row 9). */
@Tag("kernel")
class SetupValidationTest {

    private static MemorySegment cqSize(Backend backend, int flags, int cqEntries) {
        MemorySegment params = ScenarioRing.params(backend, flags | IORING_SETUP_CQSIZE);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        return params;
    }

    // Row 1: entries=5 gives sq=8, cq=16 and the offsets of section 1; 6.1 puts sq.head, sq.tail, cq.head and
    // cq.tail on cache lines of their own (6.1 include/linux/io_uring_types.h, struct io_uring: head and tail
    // ____cacheline_aligned_in_smp), which moves every later field (measured on 6.1.192: sq_off.tail 0x40).
    @Scenario
    void entriesRoundUpToPowerOfTwoAndCqIsTwiceSq(Backend backend) {
        KernelProfile profile = Scenarios.profile(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 5, 0)) {
            RingParams p = r.ring.params();
            assertThat(p.sqEntries()).isEqualTo(8);
            assertThat(p.cqEntries()).isEqualTo(16);
            assertThat(p.features() & profile.features()).as("every feature bit of profile " + profile.version())
                    .isEqualTo(profile.features());
            if (profile.headsOnOwnCacheLines()) {
                assertThat(p.sqOff()).isEqualTo(new RingParams.SqOffsets(0x0, 0x40, 0x100, 0x108, 0x114, 0x110,
                        /* ALIGN64(0x140 + 16 * 16) */ 0x240, p.sqOff().userAddr()));
                assertThat(p.cqOff()).isEqualTo(new RingParams.CqOffsets(0x80, 0xc0, 0x104, 0x10c, 0x11c, 0x140,
                        0x118, p.cqOff().userAddr()));
            } else {
                assertThat(p.sqOff()).isEqualTo(new RingParams.SqOffsets(0, 4, 16, 24, 36, 32,
                        /* ALIGN64(64 + 16 * 16) */ 320, p.sqOff().userAddr()));
                assertThat(p.cqOff()).isEqualTo(new RingParams.CqOffsets(8, 12, 20, 28, 44, 64, 40,
                        p.cqOff().userAddr()));
            }
            assertThat(r.sq().readOnceRingEntries()).isEqualTo(8);
            assertThat(r.sq().readOnceRingMask()).isEqualTo(7);
            assertThat(r.cq().readOnceRingEntries()).isEqualTo(16);
            assertThat(r.cq().readOnceRingMask()).isEqualTo(15);
        }
    }

    // Row 1: entries=0 -> -EINVAL; 32768 OK; 32769 -> -EINVAL, or 32768 with CLAMP.
    @Scenario
    void sqEntriesAreBetweenOneAnd32768UnlessClamped(Backend backend) {
        assertThat(ScenarioRing.setupResult(backend, 0, 0)).isEqualTo(-EINVAL);
        assertThat(ScenarioRing.setupResult(backend, 32769, 0)).isEqualTo(-EINVAL);
        assertThat(ScenarioRing.setupResult(backend, 32768, 0)).isNotNegative();
        try (ScenarioRing r = ScenarioRing.open(backend, 32769, IORING_SETUP_CLAMP)) {
            assertThat(r.ring.params().sqEntries()).isEqualTo(32768);
            assertThat(r.ring.params().cqEntries()).isEqualTo(65536);
        }
    }

    // Row 1: CQSIZE with cq=0 or cq < sq -> -EINVAL; cq=5 -> 8; cq=65537 -> -EINVAL, or 65536 with CLAMP.
    @Scenario
    void cqSizeIsRoundedUpAndMustHoldTheSq(Backend backend) {
        assertThat(ScenarioRing.setupResult(backend, 4, cqSize(backend, 0, 0))).isEqualTo(-EINVAL);
        assertThat(ScenarioRing.setupResult(backend, 4, cqSize(backend, 0, 2))).isEqualTo(-EINVAL);
        assertThat(ScenarioRing.setupResult(backend, 4, cqSize(backend, 0, 65537))).isEqualTo(-EINVAL);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 5)) {
            assertThat(r.ring.params().sqEntries()).isEqualTo(4);
            assertThat(r.ring.params().cqEntries()).isEqualTo(8);
        }
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CLAMP, 65537)) {
            assertThat(r.ring.params().cqEntries()).isEqualTo(65536);
        }
    }

    // Row 1 and liburing-notes section 3: each of these flags is refused without the flag it depends on.
    @Scenario
    void flagsWithoutTheirPrerequisiteAreInvalid(Backend backend) {
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_DEFER_TASKRUN))
                .as("DEFER_TASKRUN without SINGLE_ISSUER").isEqualTo(-EINVAL);
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_TASKRUN_FLAG))
                .as("TASKRUN_FLAG without COOP_TASKRUN or DEFER_TASKRUN").isEqualTo(-EINVAL);
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_HYBRID_IOPOLL))
                .as("HYBRID_IOPOLL without IOPOLL").isEqualTo(-EINVAL);
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_REGISTERED_FD_ONLY))
                .as("REGISTERED_FD_ONLY without NO_MMAP").isEqualTo(-EINVAL);
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_SQ_AFF))
                .as("SQ_AFF without SQPOLL").isEqualTo(-EINVAL);
        soft.assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_SQE_MIXED | IORING_SETUP_SQE128)).as("SQE_MIXED with SQE128 (row 6)").isEqualTo(-EINVAL);
        soft.assertAll();
    }

    // Row 1: resv != 0 -> -EINVAL; an unknown flag bit -> -EINVAL (bit 31 is unknown to every release).
    @Scenario
    void nonZeroResvAndUnknownFlagBitsAreInvalid(Backend backend) {
        for (int word = 0; word < 3; word++) {
            MemorySegment params = ScenarioRing.params(backend, 0);
            params.set(JAVA_INT, IoUringParams.RESV_OFFSET + 4L * word, 1);
            assertThat(ScenarioRing.setupResult(backend, 4, params)).as("resv[%d] = 1", word).isEqualTo(-EINVAL);
        }
        assertThat(ScenarioRing.setupResult(backend, 4, 1 << 31)).isEqualTo(-EINVAL);
    }

    // Row 9: CQE32|CQE_MIXED -> -EINVAL; CQE_MIXED with cq=1 -> -EOVERFLOW; cq=2 OK.
    @Scenario
    void cqeMixedExcludesCqe32AndNeedsTwoCqEntries(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.CQE_MIXED);
        assertThat(ScenarioRing.setupResult(backend, 4, IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))
                .isEqualTo(-EINVAL);
        assertThat(ScenarioRing.setupResult(backend, 1, cqSize(backend, IORING_SETUP_CQE_MIXED, 1)))
                .isEqualTo(-EOVERFLOW);
        try (ScenarioRing r = ScenarioRing.open(backend, 1, IORING_SETUP_CQE_MIXED, 2)) {
            assertThat(r.ring.params().cqEntries()).isEqualTo(2);
        }
    }

    // io_sq_offload_create (source reading, not a Part B row): ATTACH_WQ takes wq_fd, which must be an io_uring:
    // a live ring -> attached; another file -> -EINVAL; no file -> -ENXIO.
    @Scenario
    void attachWqNeedsTheDescriptorOfARing(Backend backend) {
        int[] pipe = backend.process().pipe();
        assertThat(pipe).hasSize(2);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment params = ScenarioRing.params(backend, IORING_SETUP_ATTACH_WQ);
            params.set(JAVA_INT, IoUringParams.WQ_FD_OFFSET, r.ring.fd());
            assertThat(ScenarioRing.setupResult(backend, 4, params)).isNotNegative();
            params = ScenarioRing.params(backend, IORING_SETUP_ATTACH_WQ);
            params.set(JAVA_INT, IoUringParams.WQ_FD_OFFSET, pipe[0]);
            assertThat(ScenarioRing.setupResult(backend, 4, params)).as("a pipe").isEqualTo(-EINVAL);
            params = ScenarioRing.params(backend, IORING_SETUP_ATTACH_WQ);
            params.set(JAVA_INT, IoUringParams.WQ_FD_OFFSET, -1);
            assertThat(ScenarioRing.setupResult(backend, 4, params)).as("no file").isEqualTo(-ENXIO);
        } finally {
            backend.process().close(pipe[0]);
            backend.process().close(pipe[1]);
        }
    }

    // io_uring_setup copies params from the user: NULL or an address with nothing behind it -> -EFAULT.
    @Scenario
    void paramsThatCannotBeReadAreEfault(Backend backend) {
        assertThat(ScenarioRing.setupResult(backend, 4, MemorySegment.NULL)).isEqualTo(-EFAULT);
        assertThat(ScenarioRing.setupResult(backend, 4, MemorySegment.ofAddress(0x1000))).isEqualTo(-EFAULT);
    }
}
