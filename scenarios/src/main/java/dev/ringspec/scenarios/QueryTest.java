package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ERANGE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUringQuery.IO_URING_QUERY_OPCODES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * IORING_REGISTER_QUERY: a chain of headers in user memory, each answered in its own {@code result} while the
 * syscall returns 0; answers are cut to the user's size and zero-filled beyond it (ring-semantics.md A8 QUERY,
 * Part B row 18, Appendix A.14, liburing-notes 6.6).
 */
@Tag("kernel")
class QueryTest {
    private static final byte POISON = (byte) 0xa5;
    private static final int ANSWER_BYTES = (int) IoUringQueryOpcode.SIZE_BYTES;

    /** A header asking {@code op} with a poisoned buffer of {@code sizeBytes}; both in the backend's memory. */
    private static MemorySegment header(Backend backend, int op, int sizeBytes) {
        MemorySegment data = backend.memory().allocate(Math.max(sizeBytes, 1), 8);
        data.fill(POISON);
        MemorySegment hdr = backend.memory().allocate(IoUringQueryHdr.SIZE_BYTES, 8);
        hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
        hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, op);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, sizeBytes);
        return hdr;
    }

    private static MemorySegment data(Backend backend, MemorySegment hdr, int sizeBytes) {
        long address = hdr.get(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET);
        return backend.memory().resolve(address, sizeBytes);
    }

    private static int result(MemorySegment hdr) {
        return hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET);
    }

    private static int size(MemorySegment hdr) {
        return hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET);
    }

    private static int query(Backend backend, MemorySegment hdr) {
        return backend.kernel().registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0);
    }

    // Row 18: via fd -1 and via a ring fd -> 0, result 0, size 48, {63, 36, 0x3ffff, 0x7ffff, 0xff, 0x7f, 1} on
    // 6.18; on any release the counts agree with PROBE and the feature word with setup.
    @Scenario
    void queryOpcodesAnswersThroughFdMinusOneAndARingFd(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment viaRing = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
            assertThat(r.register(IORING_REGISTER_QUERY, viaRing, 0)).isZero();
            MemorySegment blind = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
            assertThat(query(backend, blind)).isZero();
            for (MemorySegment hdr : new MemorySegment[] {viaRing, blind}) {
                assertThat(result(hdr)).isZero();
                assertThat(size(hdr)).isEqualTo(48);
                MemorySegment d = data(backend, hdr, ANSWER_BYTES);
                int nrRequest = d.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET);
                if (backend.kernel().release().startsWith("6.18.")) {
                    assertThat(nrRequest).isEqualTo(63);
                    assertThat(d.get(JAVA_INT, IoUringQueryOpcode.NR_REGISTER_OPCODES_OFFSET)).isEqualTo(36);
                    assertThat(d.get(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET)).isEqualTo(0x3ffffL);
                    assertThat(d.get(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET)).isEqualTo(0x7ffffL);
                    assertThat(d.get(JAVA_LONG, IoUringQueryOpcode.ENTER_FLAGS_OFFSET)).isEqualTo(0xffL);
                    assertThat(d.get(JAVA_LONG, IoUringQueryOpcode.SQE_FLAGS_OFFSET)).isEqualTo(0x7fL);
                    assertThat(d.get(JAVA_INT, IoUringQueryOpcode.NR_QUERY_OPCODES_OFFSET)).isEqualTo(1);
                }
                assertThat(d.get(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET))
                        .isEqualTo(Integer.toUnsignedLong(r.ring.params().features()));
                assertThat(d.get(JAVA_INT, IoUringQueryOpcode.PAD_OFFSET)).isZero();
                MemorySegment probe = backend.memory().allocate(IoUringProbe.SIZE_BYTES + IoUringProbeOp.SIZE_BYTES, 8);
                assertThat(r.register(IORING_REGISTER_PROBE, probe, 0)).isZero();
                assertThat(Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)))
                        .isEqualTo(nrRequest - 1);
            }
        }
    }

    // Row 18: an unknown op -> result -EOPNOTSUPP, size 0, the user buffer zeroed; the syscall returns 0.
    @Scenario
    void unknownQueryOpReportsEopnotsuppAndZeroesTheBuffer(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        int firstUnknown = backend.capabilities().query().nrQueryOpcodes();
        for (int op : new int[] {firstUnknown, 1000}) {
            MemorySegment hdr = header(backend, op, ANSWER_BYTES);
            assertThat(query(backend, hdr)).isZero();
            assertThat(result(hdr)).as("op %d", op).isEqualTo(-EOPNOTSUPP);
            assertThat(size(hdr)).isZero();
            assertThat(data(backend, hdr, ANSWER_BYTES).toArray(JAVA_BYTE)).containsOnly((byte) 0);
        }
    }

    // Row 18: size 8 -> 8 bytes returned, size stays 8, the rest of the buffer untouched.
    @Scenario
    void shortQueryBufferGetsOnlyItsSize(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment hdr = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, 8);
        MemorySegment buffer = data(backend, hdr, ANSWER_BYTES);
        assertThat(query(backend, hdr)).isZero();
        assertThat(result(hdr)).isZero();
        assertThat(size(hdr)).isEqualTo(8);
        assertThat(buffer.get(JAVA_INT, 0)).isEqualTo(backend.capabilities().query().nrRequestOpcodes());
        assertThat(buffer.get(JAVA_INT, 4)).isEqualTo(backend.capabilities().query().nrRegisterOpcodes());
        assertThat(buffer.asSlice(8).toArray(JAVA_BYTE)).as("beyond the user's size").containsOnly(POISON);
    }

    // Row 18: size 128 -> size 48, bytes 48..127 zeroed (copy_struct_to_user).
    @Scenario
    void largerQueryBufferIsZeroFilledBeyondTheAnswer(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment hdr = header(backend, IO_URING_QUERY_OPCODES, 128);
        assertThat(query(backend, hdr)).isZero();
        assertThat(result(hdr)).isZero();
        assertThat(size(hdr)).isEqualTo(48);
        MemorySegment d = data(backend, hdr, 128);
        assertThat(d.get(JAVA_INT, 0)).isEqualTo(backend.capabilities().query().nrRequestOpcodes());
        assertThat(d.asSlice(48).toArray(JAVA_BYTE)).containsOnly((byte) 0);
    }

    // Row 18: size 0, result != 0 or resv != 0 -> result -EINVAL; the syscall still returns 0.
    @Scenario
    void malformedQueryHeaderReportsEinvalInItsResult(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment sizeZero = header(backend, IO_URING_QUERY_OPCODES, 0);
        MemorySegment resultSet = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        resultSet.set(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET, 5);
        MemorySegment resvSet = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        resvSet.set(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 8, 1);
        for (MemorySegment hdr : new MemorySegment[] {sizeZero, resultSet, resvSet}) {
            assertThat(query(backend, hdr)).isZero();
            assertThat(result(hdr)).isEqualTo(-EINVAL);
        }
    }

    // A8: headers chain through next_entry, each answered on its own.
    @Scenario
    void chainedHeadersAreEachAnswered(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment first = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        MemorySegment second = header(backend, 1000, ANSWER_BYTES);
        MemorySegment third = header(backend, IO_URING_QUERY_OPCODES, 4);
        first.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, second.address());
        second.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, third.address());
        assertThat(query(backend, first)).isZero();
        assertThat(result(first)).isZero();
        assertThat(result(second)).isEqualTo(-EOPNOTSUPP);
        assertThat(result(third)).isZero();
        assertThat(size(third)).isEqualTo(4);
    }

    // Row 18: a cycle -> -ERANGE (more than 1000 entries); NULL -> 0; nr_args = 1 -> -EINVAL.
    @Scenario
    void queryChainLimitsAndArguments(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment loop = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        loop.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, loop.address());
        assertThat(query(backend, loop)).isEqualTo(-ERANGE);
        assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_QUERY, MemorySegment.NULL, 0)).isZero();
        MemorySegment fine = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_QUERY, fine, 1)).isEqualTo(-EINVAL);
    }

    // A8, liburing-notes 6.6: a query_data or next_entry pointer to nothing -> -EFAULT from the syscall.
    @Scenario
    void unreadableQueryPointersAreEfault(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.QUERY);
        MemorySegment badData = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        badData.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, 8L);
        assertThat(query(backend, badData)).isEqualTo(-EFAULT);
        MemorySegment badNext = header(backend, IO_URING_QUERY_OPCODES, ANSWER_BYTES);
        badNext.set(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET, 8L);
        assertThat(query(backend, badNext)).isEqualTo(-EFAULT);
    }
}
