package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * IORING_REGISTER_PROBE: {@code last_op} is always {@code IORING_OP_LAST - 1}, {@code ops_len} the capped count,
 * the input must be all zero (ring-semantics.md A8 PROBE, Part B row 19, Appendix A.14).
 */
@Tag("kernel")
class ProbeTest {
    private static final int MAX_OPS = 256;

    private static MemorySegment probeArg(Backend backend) {
        return backend.memory().allocate(IoUringProbe.SIZE_BYTES + MAX_OPS * IoUringProbeOp.SIZE_BYTES, 8);
    }

    private static int lastOp(MemorySegment probe) {
        return Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET));
    }

    private static int opsLen(MemorySegment probe) {
        return Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET));
    }

    private static long op(int i) {
        return IoUringProbe.SIZE_BYTES + (long) i * IoUringProbeOp.SIZE_BYTES;
    }

    /** Row 19: 62 on 6.18 (IORING_OP_PIPE is the last opcode); other releases are checked against QUERY. */
    private static void assertLastOp(Backend backend, int lastOp) {
        if (backend.kernel().release().startsWith("6.18.")) {
            assertThat(lastOp).isEqualTo(62);
        }
        if (backend.capabilities().query() != null) {
            assertThat(lastOp).as("QUERY's nr_request_opcodes - 1").isEqualTo(
                    backend.capabilities().query().nrRequestOpcodes() - 1);
        }
    }

    // Row 19: nr=256 -> last_op 62, ops_len 63, ops[i].op = i, every op supported (NOP at least on any build).
    @Scenario
    void probeListsEveryOpcodeUpToLastOp(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment probe = probeArg(backend);
            assertThat(r.register(IORING_REGISTER_PROBE, probe, MAX_OPS)).isZero();
            int lastOp = lastOp(probe);
            assertLastOp(backend, lastOp);
            assertThat(opsLen(probe)).isEqualTo(lastOp + 1);
            for (int i = 0; i <= lastOp; i++) {
                assertThat(Byte.toUnsignedInt(probe.get(JAVA_BYTE, op(i) + IoUringProbeOp.OP_OFFSET))).isEqualTo(i);
            }
            assertThat(probe.get(JAVA_SHORT, op(IORING_OP_NOP) + IoUringProbeOp.FLAGS_OFFSET)
                    & IO_URING_OP_SUPPORTED).isEqualTo(IO_URING_OP_SUPPORTED);
        }
    }

    // Row 19: nr=0 -> 0, ops_len 0, last_op still 62.
    @Scenario
    void probeWithNoOpSlotsStillReportsLastOp(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment probe = probeArg(backend);
            assertThat(r.register(IORING_REGISTER_PROBE, probe, 0)).isZero();
            assertThat(opsLen(probe)).isZero();
            assertLastOp(backend, lastOp(probe));
            assertThat(r.register(IORING_REGISTER_PROBE, probe, 0)).as("the answer is no zeroed input")
                    .isEqualTo(-EINVAL);
        }
    }

    // Row 19: nr=257 -> -EINVAL; NULL -> -EINVAL.
    @Scenario
    void probeRefusesMoreThan256SlotsAndNull(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment big = backend.memory().allocate(IoUringProbe.SIZE_BYTES + 257 * IoUringProbeOp.SIZE_BYTES, 8);
            assertThat(r.register(IORING_REGISTER_PROBE, big, 257)).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_PROBE, MemorySegment.NULL, 4)).isEqualTo(-EINVAL);
        }
    }

    // Row 19, A8: a non-zero byte in the header or in a slot below the capped count -> -EINVAL.
    @Scenario
    void probeInputMustBeAllZero(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment header = probeArg(backend);
            header.set(JAVA_SHORT, IoUringProbe.RESV_OFFSET, (short) 1);
            assertThat(r.register(IORING_REGISTER_PROBE, header, 8)).isEqualTo(-EINVAL);
            MemorySegment slot = probeArg(backend);
            slot.set(JAVA_SHORT, op(3) + IoUringProbeOp.FLAGS_OFFSET, (short) 1);
            assertThat(r.register(IORING_REGISTER_PROBE, slot, 8)).isEqualTo(-EINVAL);
        }
    }

    // A8 (P2): slots beyond IORING_OP_LAST are not read, so a non-zero byte in slot 255 is harmless; 6.1's
    // io_probe checks every slot the caller passed (memchr_inv over nr_args), so there it is -EINVAL.
    @Scenario
    void probeSlotsBeyondTheOpcodeCountAreNotRead(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment probe = probeArg(backend);
            probe.set(JAVA_BYTE, op(MAX_OPS - 1) + IoUringProbeOp.OP_OFFSET, (byte) 0x7f);
            assertThat(r.register(IORING_REGISTER_PROBE, probe, MAX_OPS))
                    .isEqualTo(Scenarios.profile(backend).probeChecksAllSlots() ? -EINVAL : 0);
        }
    }
}
