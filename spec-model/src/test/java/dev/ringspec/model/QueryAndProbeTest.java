package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** QUERY and PROBE: ring-semantics.md A8, Part B rows 18 (Q1, Q2) and 19 (P1, P2), Appendix A item 14. */
class QueryAndProbeTest {

    private static MemorySegment header(ModelFixture f, int op, MemorySegment data, int size) {
        MemorySegment hdr = f.memory.allocate(IoUringQueryHdr.SIZE_BYTES);
        hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, op);
        hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, size);
        return hdr;
    }

    @Test
    void opcodesQueryAnswersThe618Numbers() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            for (boolean blind : new boolean[] {true, false}) {
                MemorySegment data = f.memory.allocate(48);
                MemorySegment hdr = header(f, 0, data, 48);
                int result = blind ? f.model.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)
                        : f.model.register(f.ring, IORING_REGISTER_QUERY, hdr, 0);
                assertThat(result).isZero();
                assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isZero();
                assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET)).isEqualTo(48);
                assertThat(data.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET)).isEqualTo(63);
                assertThat(data.get(JAVA_INT, IoUringQueryOpcode.NR_REGISTER_OPCODES_OFFSET)).isEqualTo(36);
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET)).isEqualTo(0x3ffff);
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET)).isEqualTo(0x7ffff);
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.ENTER_FLAGS_OFFSET)).isEqualTo(0xff);
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.SQE_FLAGS_OFFSET)).isEqualTo(0x7f);
                assertThat(data.get(JAVA_INT, IoUringQueryOpcode.NR_QUERY_OPCODES_OFFSET)).isEqualTo(1);
            }
        }
    }

    @Test
    void unknownOpsAndBadHeadersReportInResultAndZeroTheBuffer() {
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment data = f.memory.allocate(48);
            data.fill((byte) 0x77);
            MemorySegment hdr = header(f, 1, data, 48);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)).isZero();
            assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isEqualTo(-95);
            assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET)).isZero();
            assertThat(data.get(JAVA_LONG, 0)).isZero();
            assertThat(data.get(JAVA_LONG, 40)).isZero();
            MemorySegment zeroSize = header(f, 0, data, 0);
            f.model.registerWithoutRing(IORING_REGISTER_QUERY, zeroSize, 0);
            assertThat(zeroSize.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isEqualTo(-22);
            MemorySegment resv = header(f, 0, data, 48);
            resv.set(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 4, 1);
            f.model.registerWithoutRing(IORING_REGISTER_QUERY, resv, 0);
            assertThat(resv.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isEqualTo(-22);
            MemorySegment result = header(f, 0, data, 48);
            result.set(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET, 5);
            f.model.registerWithoutRing(IORING_REGISTER_QUERY, result, 0);
            assertThat(result.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isEqualTo(-22);
        }
    }

    @Test
    void smallAndLargeBuffersAreTruncatedOrZeroFilled() {
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment small = f.memory.allocate(16);
            MemorySegment hdr = header(f, 0, small, 8);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)).isZero();
            assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET)).isEqualTo(8);
            assertThat(small.get(JAVA_INT, 0)).isEqualTo(63);
            assertThat(small.get(JAVA_LONG, 8)).isZero();
            MemorySegment large = f.memory.allocate(128);
            large.fill((byte) 0x77);
            MemorySegment big = header(f, 0, large, 128);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, big, 0)).isZero();
            assertThat(big.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET)).isEqualTo(48);
            assertThat(large.get(JAVA_LONG, 48)).isZero();
            assertThat(large.get(JAVA_LONG, 120)).isZero();
        }
    }

    @Test
    void chainsCyclesNullAndNrArgs() {
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment d1 = f.memory.allocate(48);
            MemorySegment d2 = f.memory.allocate(48);
            MemorySegment h1 = header(f, 0, d1, 48);
            MemorySegment h2 = header(f, 0, d2, 48);
            h1.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, h2.address());
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, h1, 0)).isZero();
            assertThat(d2.get(JAVA_INT, 0)).isEqualTo(63);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, h1, 1)).isEqualTo(-22);
            h2.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, h1.address());
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, h1, 0)).isEqualTo(-34);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, MemorySegment.NULL, 0)).isZero();
            h2.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, 0x1000);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, h1, 0)).isEqualTo(-14);
        }
    }

    @Test
    void probeReportsEveryOpcodeAndLastOp62() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            long size = IoUringProbe.SIZE_BYTES + 256 * IoUringProbeOp.SIZE_BYTES;
            MemorySegment probe = f.memory.allocate(size);
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 256)).isZero();
            assertThat(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)).isEqualTo((byte) 62);
            assertThat(probe.get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET)).isEqualTo((byte) 63);
            for (int i = 0; i < 63; i++) {
                long op = IoUringProbe.OPS_OFFSET + i * IoUringProbeOp.SIZE_BYTES;
                assertThat(probe.get(JAVA_BYTE, op + IoUringProbeOp.OP_OFFSET)).isEqualTo((byte) i);
                assertThat(probe.get(JAVA_SHORT, op + IoUringProbeOp.FLAGS_OFFSET)).isEqualTo((short) 1);
            }
            MemorySegment big = f.memory.allocate(IoUringProbe.SIZE_BYTES + 257 * IoUringProbeOp.SIZE_BYTES);
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, big, 257)).isEqualTo(-22);
            MemorySegment empty = f.memory.allocate(IoUringProbe.SIZE_BYTES);
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, empty, 0)).isZero();
            assertThat(empty.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)).isEqualTo((byte) 62);
            assertThat(empty.get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET)).isZero();
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, empty, 0)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, MemorySegment.NULL, 0)).isEqualTo(-22);
        }
    }
}
