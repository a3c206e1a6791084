package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import org.junit.jupiter.api.Tag;

/**
 * {@code io_init_req} rejects a bad SQE with a CQE, never with a syscall error, and the first failing check in
 * the kernel's order wins (ring-semantics.md A1 {@code io_init_req}, A4, liburing-notes section 3).
 */
@Tag("kernel")
class InvalidSqeTest {

    private static Cqe submitOne(ScenarioRing r) {
        assertThat(r.submit()).as("an init failure is counted, not a syscall error").isEqualTo(1);
        assertThat(r.ready()).isEqualTo(1);
        return r.reap();
    }

    // A1 check 1: opcode >= IORING_OP_LAST -> -EINVAL (liburing-notes section 3: opcode 200).
    @Scenario
    void unknownOpcodeCompletesWithEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.sqe(200, 7);
            assertThat(submitOne(r)).isEqualTo(new Cqe(7, -EINVAL, 0, 0, 0));
            r.sqe(255, 8);
            assertThat(submitOne(r)).isEqualTo(new Cqe(8, -EINVAL, 0, 0, 0));
        }
    }

    // Row 6 and A1: NOP128 on a ring that is neither SQE128 nor SQE_MIXED -> -EINVAL on every release.
    @Scenario
    void nop128OnA64ByteRingCompletesWithEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.sqe(IORING_OP_NOP128, 9);
            assertThat(submitOne(r)).isEqualTo(new Cqe(9, -EINVAL, 0, 0, 0));
        }
    }

    // A1 check 3: an SQE flag bit outside SQE_VALID_FLAGS (0x80 on 6.18) -> -EINVAL.
    @Scenario
    void unknownSqeFlagBitCompletesWithEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.nop(1, 0x80);
            assertThat(submitOne(r)).isEqualTo(new Cqe(1, -EINVAL, 0, 0, 0));
        }
    }

    // A1 check 4: IOSQE_BUFFER_SELECT on NOP, an opcode without buffer_select -> -EOPNOTSUPP.
    @Scenario
    void bufferSelectOnNopCompletesWithEopnotsupp(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.nop(1, IOSQE_BUFFER_SELECT);
            assertThat(submitOne(r)).isEqualTo(new Cqe(1, -EOPNOTSUPP, 0, 0, 0));
        }
    }

    // A1 check 8 and A4: ioprio != 0 on NOP -> -EINVAL.
    @Scenario
    void ioprioOnNopCompletesWithEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            long sqe = r.nop(1);
            Sqe.ioprio(r.sqes(), sqe, 1);
            assertThat(submitOne(r)).isEqualTo(new Cqe(1, -EINVAL, 0, 0, 0));
        }
    }

    // A1 order: check 4 (BUFFER_SELECT, -EOPNOTSUPP) comes before check 8 (ioprio, -EINVAL).
    @Scenario
    void bufferSelectIsCheckedBeforeIoprio(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            long sqe = r.nop(1, IOSQE_BUFFER_SELECT);
            Sqe.ioprio(r.sqes(), sqe, 1);
            assertThat(submitOne(r).res()).isEqualTo(-EOPNOTSUPP);
        }
    }

    // A1 order: check 3 (unknown SQE flag) comes before check 4 (BUFFER_SELECT).
    @Scenario
    void unknownSqeFlagIsCheckedBeforeBufferSelect(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.nop(1, 0x80 | IOSQE_BUFFER_SELECT);
            assertThat(submitOne(r).res()).isEqualTo(-EINVAL);
        }
    }

    // A1 check 10: an unknown personality -> -EINVAL.
    @Scenario
    void unknownPersonalityCompletesWithEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            long sqe = r.nop(1);
            Sqe.personality(r.sqes(), sqe, 1234);
            assertThat(submitOne(r)).isEqualTo(new Cqe(1, -EINVAL, 0, 0, 0));
        }
    }
}
