package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_PIPE;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The net, openclose, msg_ring and FILES_UPDATE opcodes build on every profile, and PROBE reports what exists. */
class OpsOnEveryProfileTest {

    @ParameterizedTest
    @ValueSource(strings = {"6.1", "6.12", "6.18", "6.19", "7.0", "7.1", "7.2", "7.3"})
    void probeMarksTheOpcodesTheProfileHas(String version) {
        KernelProfile profile = profile(version);
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = EmulatedIoUring.open(profile, memory)) {
            NetRing r = new NetRing(e, memory);
            int n = profile.opLast();
            MemorySegment probe = memory.allocate(IoUringProbe.SIZE_BYTES + (long) n * IoUringProbeOp.SIZE_BYTES);
            assertThat(e.register(r.d.ring(), IORING_REGISTER_PROBE, probe, n)).isZero();
            for (int op : new int[] {IORING_OP_ACCEPT, IORING_OP_CLOSE, IORING_OP_FILES_UPDATE, IORING_OP_MSG_RING,
                    IORING_OP_OPENAT2, IORING_OP_RECV, IORING_OP_SOCKET}) {
                assertThat(flags(probe, op) & IO_URING_OP_SUPPORTED).as("opcode %d on %s", op, version).isNotZero();
            }
            if (IORING_OP_PIPE < n) {
                assertThat(flags(probe, IORING_OP_PIPE) & IO_URING_OP_SUPPORTED).isNotZero();
            }
            r.close();
        }
    }

    static KernelProfile profile(String version) {
        return switch (version) {
            case "6.1" -> KernelProfile.LINUX_6_1;
            case "6.12" -> KernelProfile.LINUX_6_12;
            case "6.18" -> KernelProfile.LINUX_6_18;
            case "6.19" -> KernelProfile.LINUX_6_19;
            case "7.0" -> KernelProfile.LINUX_7_0;
            case "7.1" -> KernelProfile.LINUX_7_1;
            case "7.2" -> KernelProfile.LINUX_7_2;
            default -> KernelProfile.LINUX_7_3;
        };
    }

    private static int flags(MemorySegment probe, int op) {
        return probe.get(JAVA_SHORT, IoUringProbe.OPS_OFFSET + (long) op * IoUringProbeOp.SIZE_BYTES
                + IoUringProbeOp.FLAGS_OFFSET);
    }
}
