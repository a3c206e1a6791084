package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMSGSIZE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_CMD_FILTER;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * Classic-BPF request filters on a ring (7.0+): they run after init and prep; every filter of the opcode must
 * return non-zero, else the request completes with -EACCES like an init failure (ring-semantics.md A7, Part B
 * row 16, liburing-notes 6.5).
 */
@Tag("kernel")
class BpfFilterTest {
    /** cBPF opcodes ({@code linux/filter.h} classes and modes). */
    private static final int BPF_LD_W_ABS = 0x20;
    private static final int BPF_RET_K = 0x06;
    private static final int BPF_RET_A = 0x16;

    /** One {@code struct sock_filter}: code, jt, jf, k. */
    record Insn(int code, int k) {
    }

    private static final Insn[] ALLOW = {new Insn(BPF_RET_K, 1)};
    private static final Insn[] DENY = {new Insn(BPF_RET_K, 0)};
    /** Returns the low 32 bits of user_data (offset 0 of the context): user_data 0 is denied. */
    private static final Insn[] LOW_USER_DATA = {new Insn(BPF_LD_W_ABS, 0), new Insn(BPF_RET_A, 0)};

    private static MemorySegment filter(Backend backend, int opcode, int flags, int pduSize, Insn... program) {
        MemorySegment insns = backend.memory().allocate(Math.max(1, program.length) * 8L, 8);
        for (int i = 0; i < program.length; i++) {
            insns.set(JAVA_SHORT, 8L * i, (short) program[i].code());
            insns.set(JAVA_INT, 8L * i + 4, program[i].k());
        }
        MemorySegment bpf = backend.memory().allocate(IoUringBpf.SIZE_BYTES, 8);
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) IO_URING_BPF_CMD_FILTER);
        long f = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.OPCODE_OFFSET, opcode);
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FLAGS_OFFSET, flags);
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, program.length);
        bpf.set(JAVA_BYTE, f + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) pduSize);
        bpf.set(JAVA_LONG, f + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, insns.address());
        return bpf;
    }

    private static int register(ScenarioRing r, MemorySegment bpf) {
        return r.register(IORING_REGISTER_BPF_FILTER, bpf, 1);
    }

    private static int pduSize(MemorySegment bpf) {
        return Byte.toUnsignedInt(bpf.get(JAVA_BYTE, IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.PDU_SIZE_OFFSET));
    }

    // A7 evaluation: a deny -> -EACCES CQE, and the batch stops without SUBMIT_ALL.
    @Scenario
    void denyingFilterFailsTheRequestWithEaccesAndStopsTheBatch(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, DENY))).isZero();
            r.nop(1);
            r.nop(2);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
        }
    }

    // A7 context: user_data at offset 0; a filter returning its low word denies user_data 0 only.
    @Scenario
    void filterReadsTheRequestContext(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, LOW_USER_DATA))).isZero();
            r.nop(5);
            assertThat(r.submit()).isEqualTo(1);
            r.nop(0);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(5, 0, 0, 0, 0), new Cqe(0, -EACCES, 0, 0, 0));
        }
    }

    // A7: every filter must allow; the order of registration does not matter for the verdict.
    @Scenario
    void everyFilterOfTheOpcodeMustAllow(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        for (Insn[][] order : new Insn[][][] {{ALLOW, DENY}, {DENY, ALLOW}}) {
            try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
                assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, order[0]))).isZero();
                assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, order[1]))).isZero();
                r.nop(1);
                assertThat(r.submit()).isEqualTo(1);
                assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
            }
        }
    }

    // A7: filters run after io_init_req, so a prep error wins over a deny.
    @Scenario
    void prepErrorWinsOverAFilterDeny(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, DENY))).isZero();
            Sqe.ioprio(r.sqes(), r.nop(1), 1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EINVAL, 0, 0, 0));
        }
    }

    // A7 DENY_REST: opcodes without a filter are denied (FSYNC on fd -1 would otherwise be -EBADF at issue).
    @Scenario
    void denyRestDeniesEveryOpcodeWithoutAFilter(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            Sqe.fd(r.sqes(), r.sqe(IORING_OP_FSYNC, 1), -1);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EBADF, 0, 0, 0));
            assertThat(register(r, filter(backend, IORING_OP_NOP, IO_URING_BPF_FILTER_DENY_REST, 0, ALLOW)))
                    .isZero();
            r.nop(2);
            assertThat(r.submit()).isEqualTo(1);
            Sqe.fd(r.sqes(), r.sqe(IORING_OP_FSYNC, 3), -1);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(2, 0, 0, 0, 0), new Cqe(3, -EACCES, 0, 0, 0));
        }
    }

    // A7: a filter denial inside a link fails the chain as an init failure does (A3).
    @Scenario
    void filterDenialInAChainCancelsTheChain(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, LOW_USER_DATA))).isZero();
            r.nop(1, IOSQE_IO_LINK);
            r.nop(0, IOSQE_IO_LINK);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactlyInAnyOrder(
                    tuple(1L, -ECANCELED), tuple(0L, -EACCES), tuple(3L, -ECANCELED));
        }
    }

    // A7 argument checks: cmd_type, cmd_flags, opcode, flags, filter_len, nr_args, and the program checker.
    @Scenario
    void malformedFiltersAreEinval(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment cmdType = filter(backend, IORING_OP_NOP, 0, 0, ALLOW);
            cmdType.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) 2);
            assertThat(register(r, cmdType)).isEqualTo(-EINVAL);
            MemorySegment cmdFlags = filter(backend, IORING_OP_NOP, 0, 0, ALLOW);
            cmdFlags.set(JAVA_SHORT, IoUringBpf.CMD_FLAGS_OFFSET, (short) 1);
            assertThat(register(r, cmdFlags)).isEqualTo(-EINVAL);
            assertThat(register(r, filter(backend, 255, 0, 0, ALLOW))).isEqualTo(-EINVAL);
            assertThat(register(r, filter(backend, IORING_OP_NOP, 4, 0, ALLOW))).isEqualTo(-EINVAL);
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0))).as("filter_len 0").isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_BPF_FILTER, filter(backend, IORING_OP_NOP, 0, 0, ALLOW), 2))
                    .isEqualTo(-EINVAL);
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, new Insn(BPF_LD_W_ABS, 40),
                    new Insn(BPF_RET_A, 0)))).as("load beyond the 40-byte context").isEqualTo(-EINVAL);
            assertThat(register(r, filter(backend, IORING_OP_NOP, 0, 0, new Insn(BPF_LD_W_ABS, 2),
                    new Insn(BPF_RET_A, 0)))).as("unaligned load").isEqualTo(-EINVAL);
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).as("no failed registration installed a filter")
                    .containsExactly(new Cqe(1, 0, 0, 0, 0));
        }
    }

    // A7 pdu_size: SOCKET's is 12; larger -> -EMSGSIZE; smaller is accepted unless SZ_STRICT; 12 is written back.
    @Scenario
    void pduSizeMismatchIsEmsgsizeAndTheKernelsSizeIsWrittenBack(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment larger = filter(backend, IORING_OP_SOCKET, 0, 16, ALLOW);
            assertThat(register(r, larger)).isEqualTo(-EMSGSIZE);
            assertThat(pduSize(larger)).isEqualTo(12);
            MemorySegment strict = filter(backend, IORING_OP_SOCKET, IO_URING_BPF_FILTER_SZ_STRICT, 8, ALLOW);
            assertThat(register(r, strict)).isEqualTo(-EMSGSIZE);
            assertThat(pduSize(strict)).isEqualTo(12);
            MemorySegment smaller = filter(backend, IORING_OP_SOCKET, 0, 8, ALLOW);
            assertThat(register(r, smaller)).isZero();
            assertThat(pduSize(smaller)).isEqualTo(12);
        }
    }
}
