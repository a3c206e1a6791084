package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/** On an SQE128 ring every SQE is 128 bytes: index i is read from byte 128·i (ring-semantics.md A1, row 5). */
@Tag("kernel")
class Sqe128StrideTest {
    private static final int UNKNOWN_OPCODE = 200;

    // Row 5 (E4): SQE index 1 is read from byte offset 128, not 64.
    @Scenario
    void sqe128RingReadsSqesAtA128ByteStride(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE128);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE128)) {
            r.nop(1);
            r.nop(2);
            r.nop(3);
            // Traps where SQE 1 and 2 would start at a 64-byte stride: an unknown opcode would post -EINVAL.
            Sqe.prepNop(r.sqes(), 64, 0xbad);
            Sqe.opcode(r.sqes(), 64, UNKNOWN_OPCODE);
            Sqe.prepNop(r.sqes(), 192, 0xbad);
            Sqe.opcode(r.sqes(), 192, UNKNOWN_OPCODE);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 0, 0, 0, 0),
                    new Cqe(3, 0, 0, 0, 0));
        }
    }

    // A1 io_get_sqe: the SQ array entry is doubled on SQE128 (head <<= 1), so array -> 3 reads byte 384.
    @Scenario
    void sqArrayEntryOnSqe128RingSelectsA128ByteSqe(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE128);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE128)) {
            r.nop(1);
            Sqe.prepNop(r.sqes(), 384, 33);
            Sqe.prepNop(r.sqes(), 192, 0xbad);
            Sqe.opcode(r.sqes(), 192, UNKNOWN_OPCODE);
            r.sq().writeOnceArray(0, 3);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(33, 0, 0, 0, 0));
        }
    }

    // Row 5: NOP128 (63) on a 6.18 SQE128 ring -> -EINVAL (opcode >= IORING_OP_LAST). A1: from 6.19, where
    // NOP128 exists, it is a plain NOP on an SQE128 ring.
    @Scenario
    void nop128OnSqe128RingIsANopWhereTheOpcodeExists(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.SQE128);
        boolean known = backend.capabilities().lastOp() >= IORING_OP_NOP128;
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_SQE128)) {
            r.sqe(IORING_OP_NOP128, 63);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reap().res()).isEqualTo(known ? 0 : -EINVAL);
        }
    }
}
