package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * On a CQE32 ring every CQE is 32 bytes; NOP_CQE32 fills {@code big_cqe} from {@code off} and {@code addr}, and no
 * {@code F_32} flag is set (ring-semantics.md A2 "NOP with IORING_NOP_CQE32", Part B row 8, liburing-notes 6.1).
 */
@Tag("kernel")
class Cqe32Test {

    private static void assumeCqe32Nop(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.CQE32);
        Scenarios.assumeNopFlags(backend, IORING_NOP_CQE32);
    }

    private static void nopCqe32(ScenarioRing r, long userData, long off, long addr) {
        long sqe = r.nop(userData, 0, IORING_NOP_CQE32, 0);
        Sqe.off(r.sqes(), sqe, off);
        Sqe.addr(r.sqes(), sqe, addr);
    }

    // Row 8: NOP_CQE32 with off/addr 0x1111/0x2222 -> big = [0x1111, 0x2222], flags 0.
    @Scenario
    void nopCqe32FillsBigCqeFromOffAndAddr(Backend backend) {
        assumeCqe32Nop(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE32)) {
            nopCqe32(r, 1, 0x1111, 0x2222);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0x1111, 0x2222));
        }
    }

    // Row 8 (C1 ud=2): a plain NOP on a CQE32 ring gets big = [0, 0], even in a slot that held big data before.
    @Scenario
    void plainNopOnCqe32RingZeroesBigCqe(Backend backend) {
        assumeCqe32Nop(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 1, IORING_SETUP_CQE32)) {
            assertThat(r.ring.params().cqEntries()).isEqualTo(2);
            nopCqe32(r, 1, 0xaaaa, 0xbbbb);
            assertThat(r.submit()).isEqualTo(1);
            nopCqe32(r, 2, 0xcccc, 0xdddd);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).hasSize(2);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A2: on a CQE32 ring the CQE array has a 32-byte stride (section 3 of liburing-notes: the SQ array moves too).
    @Scenario
    void cqe32RingLaysCqesOutAt32Bytes(Backend backend) {
        assumeCqe32Nop(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_CQE32)) {
            // sq_off.array = ALIGN64(2 * (64 + 16 * cq)) with cq = 8.
            assertThat(r.ring.params().sqOff().array()).isEqualTo(384);
            r.nop(1);
            nopCqe32(r, 2, 0x5, 0x6);
            assertThat(r.submit()).isEqualTo(2);
            long cqes = r.ring.params().cqOff().cqes();
            assertThat(r.cq().memory().get(JAVA_LONG, cqes)).isEqualTo(1);
            assertThat(r.cq().memory().get(JAVA_LONG, cqes + 32)).isEqualTo(2);
            assertThat(r.cq().memory().get(JAVA_LONG, cqes + 48)).isEqualTo(0x5);
            assertThat(r.cq().memory().get(JAVA_LONG, cqes + 56)).isEqualTo(0x6);
        }
    }

    // A2 overflow: an overflowed CQE on a CQE32 ring keeps its 32 bytes through the list and the flush.
    @Scenario
    void overflowedBigCqeKeepsItsBigWords(Backend backend) {
        assumeCqe32Nop(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 1, IORING_SETUP_CQE32)) {
            for (int i = 0; i < 3; i++) {
                nopCqe32(r, i, 0x100 + i, 0x200 + i);
                assertThat(r.submit()).isEqualTo(1);
            }
            assertThat(r.cq().loadAcquireTail()).isEqualTo(2);
            assertThat(r.reapAll()).hasSize(2);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapAll()).containsExactly(new Cqe(2, 0, 0, 0x102, 0x202));
        }
    }

    // Catalogue entry cqe32-stale-big-cqe-after-skip. A NOP_CQE32 with CQE_SKIP_SUCCESS posts nothing; a later plain
    // NOP must get big = [0, 0]. Linux 6.18 hands it the skipped request's payload. A kernel that fixes this fails
    // here: record the release in the catalogue entry.
    @Scenario
    void aSkippedBigPayloadNeverReachesAnotherCqe(Backend backend) {
        assumeCqe32Nop(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 2, IORING_SETUP_CQE32)) {
            long sqe = r.nop(1, IOSQE_CQE_SKIP_SUCCESS, IORING_NOP_CQE32, 0);
            Sqe.off(r.sqes(), sqe, 0x1111);
            Sqe.addr(r.sqes(), sqe, 0x2222);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).isEmpty();
            r.nop(2);
            assertThat(r.submit()).isEqualTo(1);
            Cqe expected = backend.kind() == Backend.Kind.KERNEL
                    ? new Cqe(2, 0, 0, 0x1111, 0x2222) // the catalogued kernel behaviour
                    : new Cqe(2, 0, 0, 0, 0);
            assertThat(r.reapAll()).containsExactly(expected);
        }
    }
}
