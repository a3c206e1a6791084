package dev.ringspec.model;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Writes {@code struct io_uring_bpf} arguments and classic programs for the model's BPF filter tests, and SQEs of
 * any opcode. It only drives: expected values come from the kernel source the tests cite.
 */
final class BpfFilterFixture {
    private BpfFilterFixture() {
    }

    static final List<SockFilter> ALLOW = List.of(SockFilter.stmt(BPF_RET | BPF_K, 1));
    static final List<SockFilter> DENY = List.of(SockFilter.stmt(BPF_RET | BPF_K, 0));
    /** Returns the low word of user_data: user_data 0 (or any multiple of 2^32) is denied. */
    static final List<SockFilter> LOW_USER_DATA = List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            SockFilter.stmt(BPF_RET | BPF_A, 0));

    /** Allows exactly when the context's 32-bit word at {@code offset} equals {@code value}. */
    static List<SockFilter> wordEquals(int offset, int value) {
        return List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, offset),
                SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1),
                SockFilter.stmt(BPF_RET | BPF_K, 1),
                SockFilter.stmt(BPF_RET | BPF_K, 0));
    }

    /** Returns the context's 32-bit word at {@code offset}: a probe of one field (0 denies). */
    static List<SockFilter> word(int offset) {
        return List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, offset), SockFilter.stmt(BPF_RET | BPF_A, 0));
    }

    /** A {@code struct io_uring_bpf} for one filter, in the fixture's user memory. */
    static MemorySegment bpf(ModelFixture f, int opcode, int flags, int pduSize, List<SockFilter> program) {
        MemorySegment insns = f.memory.allocate(Math.max(1, program.size()) * SockFilter.SIZE_BYTES, 8);
        SockFilter.writeAll(program, insns, 0);
        MemorySegment bpf = f.memory.allocate(IoUringBpf.SIZE_BYTES, 8);
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) 1);
        long at = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, at + IoUringBpfFilterStruct.OPCODE_OFFSET, opcode);
        bpf.set(JAVA_INT, at + IoUringBpfFilterStruct.FLAGS_OFFSET, flags);
        bpf.set(JAVA_INT, at + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, program.size());
        bpf.set(JAVA_BYTE, at + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) pduSize);
        bpf.set(JAVA_LONG, at + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, insns.address());
        return bpf;
    }

    static int pduSize(MemorySegment bpf) {
        return Byte.toUnsignedInt(bpf.get(JAVA_BYTE, IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.PDU_SIZE_OFFSET));
    }

    static int registerRing(ModelFixture f, MemorySegment bpf) {
        return f.model.register(f.ring, IORING_REGISTER_BPF_FILTER, bpf, 1);
    }

    static int registerTask(ModelFixture f, MemorySegment bpf) {
        return f.model.registerWithoutRing(IORING_REGISTER_BPF_FILTER, bpf, 1);
    }

    /** A zeroed SQE of {@code opcode} with {@code userData}; returns its offset for more fields. */
    static long sqe(ModelFixture f, int opcode, long userData) {
        long at = f.driver.nextSqe();
        Sqe.prepNop(f.driver.sqes(), at, userData);
        Sqe.opcode(f.driver.sqes(), at, opcode);
        return at;
    }

    /** A SOCKET SQE: family in fd, type in off, protocol in len, file_index. */
    static long socket(ModelFixture f, long userData, int family, int type, int protocol, int fileIndex) {
        long at = sqe(f, dev.ringspec.uapi.IoUring.IORING_OP_SOCKET, userData);
        Sqe.fd(f.driver.sqes(), at, family);
        Sqe.off(f.driver.sqes(), at, type);
        Sqe.len(f.driver.sqes(), at, protocol);
        Sqe.fileIndex(f.driver.sqes(), at, fileIndex);
        return at;
    }
}
