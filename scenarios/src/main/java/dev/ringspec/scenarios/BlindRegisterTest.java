package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * {@code io_uring_register(-1, ...)} knows only a few opcodes (SEND_MSG_RING and QUERY on 6.18; RESTRICTIONS
 * and BPF_FILTER from 7.0); unknown register opcodes are -EINVAL on a ring too (ring-semantics.md A6
 * "io_uring_register_blind", Part B rows 16-17).
 */
@Tag("kernel")
class BlindRegisterTest {

    // A6 (X6): ring-only opcodes through fd -1 -> -EINVAL.
    @Scenario
    void ringOnlyOpcodesWithoutARingAreEinval(Backend backend) {
        MemorySegment probe = backend.memory().allocate(IoUringProbe.SIZE_BYTES + 4 * IoUringProbeOp.SIZE_BYTES, 8);
        int errno = blindErrno(backend);
        assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_PROBE, probe, 4)).isEqualTo(errno);
        assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0))
                .isEqualTo(errno);
    }

    /**
     * What fd -1 answers for an opcode it does not know: -EINVAL where register knows blind opcodes
     * ({@code io_uring_register_blind}); before that (6.1, 6.12) fd -1 is only a bad descriptor
     * ({@code io_uring_register_get_file}: -EBADF), judged by the profile the backend's capabilities choose.
     */
    private static int blindErrno(Backend backend) {
        return Scenarios.profile(backend).blindRegister() ? -EINVAL : -EBADF;
    }

    // Row 16: opcodes beyond IORING_REGISTER_LAST -> -EINVAL, with and without a ring.
    @Scenario
    void unknownRegisterOpcodesAreEinval(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment arg = backend.memory().allocate(64, 8);
            assertThat(r.register(200, arg, 1)).isEqualTo(-EINVAL);
            assertThat(backend.kernel().registerWithoutRing(200, arg, 1)).isEqualTo(-EINVAL);
        }
    }

    // Rows 16-17: where BPF filters and per-task restrictions are absent, their opcodes are -EINVAL (the answer a
    // 6.18 kernel gives; RESTRICTIONS through fd -1 is -EBADF where register knows no blind opcodes); where present, BpfFilterTest and TaskRestrictionsTest take over.
    @Scenario
    void absentBpfFilterAndTaskRestrictionsAreEinval(Backend backend) {
        assumeFalse(backend.capabilities().has(Feature.BPF_FILTER) && backend.capabilities().has(Feature.TASK_RESTRICTIONS),
                () -> backend.name() + " has both BPF_FILTER and TASK_RESTRICTIONS; BpfFilterTest and "
                        + "TaskRestrictionsTest check them");
        assumeTrue(backend.capabilities().notModelled().isEmpty(),
                () -> "the model does not model " + backend.capabilities().notModelled() + " yet: " + backend.name());
        if (!backend.capabilities().has(Feature.BPF_FILTER)) {
            MemorySegment bpf = backend.memory().allocate(IoUringBpf.SIZE_BYTES, 8);
            try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                assertThat(r.register(IORING_REGISTER_BPF_FILTER, bpf, 1)).isEqualTo(-EINVAL);
            }
            // io_uring_register: an opcode the kernel does not know is -EINVAL before fd -1 is looked at
            assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_BPF_FILTER, bpf, 1)).isEqualTo(-EINVAL);
        }
        if (!backend.capabilities().has(Feature.TASK_RESTRICTIONS)) {
            MemorySegment task = backend.memory().allocate(
                    IoUringTaskRestriction.SIZE_BYTES + IoUringRestriction.SIZE_BYTES, 8);
            assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_RESTRICTIONS, task, 1))
                    .isEqualTo(blindErrno(backend));
        }
    }
}
