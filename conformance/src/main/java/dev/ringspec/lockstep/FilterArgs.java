package dev.ringspec.lockstep;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.SqeFields;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringSqe;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The memory the filter steps and the SQEs of SOCKET, OPENAT, OPENAT2 and CONNECT point into, in a side's user
 * memory (so a guest sees it at the same addresses): a {@code struct io_uring_bpf} and room for the longest
 * program, the paths, and per SQE index an {@code open_how} and a sockaddr. Both sides write the same bytes; only
 * the addresses differ, and no filter context holds one.
 */
final class FilterArgs {
    /** The paths an open SQE may name: every one fails without touching a file system (see WORLD.md). */
    static final String[] PATHS = {"/ringspec-absent/f", null, "", "/ringspec-absent/" + "n".repeat(4100),
        "(unmapped)", "/ringspec-absent/d/"};
    /** The path index of a NULL pointer and of an unmapped one. */
    static final int NULL_PATH = 1;
    static final int UNMAPPED_PATH = 4;
    /** An address no backend maps (the first page): copies from it fail with -EFAULT. */
    static final long UNMAPPED = 0x10;
    /** SQE indexes with argument memory of their own; a ring has at most this many SQE slots in generated runs. */
    static final int SLOTS = 32;
    static final int HOW_STRIDE = 64;
    static final int SOCKADDR_BYTES = 128;

    private final MemorySegment bpf;
    private final MemorySegment program;
    private final MemorySegment[] paths = new MemorySegment[PATHS.length];
    private final MemorySegment how;
    private final MemorySegment sockaddrs;

    FilterArgs(UserMemory memory) {
        this.bpf = memory.allocate(IoUringBpf.SIZE_BYTES, 8);
        this.program = memory.allocate((Filter.BPF_MAXINSNS + 2L) * SockFilter.SIZE_BYTES, 8);
        for (int i = 0; i < PATHS.length; i++) {
            if (i != NULL_PATH && i != UNMAPPED_PATH) {
                byte[] bytes = PATHS[i].getBytes(StandardCharsets.US_ASCII);
                paths[i] = memory.allocate(bytes.length + 1L, 8);
                MemorySegment.copy(bytes, 0, paths[i], JAVA_BYTE, 0, bytes.length);
            }
        }
        this.how = memory.allocate((long) SLOTS * HOW_STRIDE, 8);
        this.sockaddrs = memory.allocate((long) SLOTS * SOCKADDR_BYTES, 8);
    }

    static String describePath(int path) {
        return path >= 0 && path < PATHS.length
                ? (PATHS[path] == null ? "path NULL" : PATHS[path].length() > 40 ? "path of " + PATHS[path].length()
                        + " bytes" : "path \"" + PATHS[path] + "\"")
                : "path " + path;
    }

    private long pathAddress(int path) {
        if (path == UNMAPPED_PATH) {
            return UNMAPPED;
        }
        return path >= 0 && path < PATHS.length && paths[path] != null ? paths[path].address() : 0;
    }

    /** Fills the {@code struct io_uring_bpf} and the program of {@code f}; the argument to pass (NULL for form 1). */
    MemorySegment bpfArg(Step.BpfFilterArg f) {
        bpf.fill((byte) 0);
        program.fill((byte) 0);
        long[] insns = f.program();
        for (int i = 0; i < Math.min(insns.length, Filter.BPF_MAXINSNS + 1); i++) {
            long at = i * SockFilter.SIZE_BYTES;
            program.set(JAVA_SHORT, at + SockFilter.CODE_OFFSET, (short) BpfPrograms.code(insns[i]));
            program.set(JAVA_BYTE, at + SockFilter.JT_OFFSET, (byte) BpfPrograms.jt(insns[i]));
            program.set(JAVA_BYTE, at + SockFilter.JF_OFFSET, (byte) BpfPrograms.jf(insns[i]));
            program.set(JAVA_INT, at + SockFilter.K_OFFSET, BpfPrograms.k(insns[i]));
        }
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) f.cmdType());
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_FLAGS_OFFSET, (short) f.cmdFlags());
        bpf.set(JAVA_INT, IoUringBpf.RESV_OFFSET, f.resv());
        long filter = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, filter + IoUringBpfFilterStruct.OPCODE_OFFSET, f.opcode());
        bpf.set(JAVA_INT, filter + IoUringBpfFilterStruct.FLAGS_OFFSET, f.flags());
        bpf.set(JAVA_INT, filter + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, f.filterLen());
        bpf.set(JAVA_BYTE, filter + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) f.pduSize());
        if ((f.resvFlags() & 1) != 0) {
            bpf.set(JAVA_BYTE, filter + IoUringBpfFilterStruct.RESV_OFFSET + 1, (byte) 1);
        }
        if ((f.resvFlags() & 2) != 0) {
            bpf.set(JAVA_BYTE, filter + IoUringBpfFilterStruct.RESV2_OFFSET + 4, (byte) 1);
        }
        bpf.set(JAVA_LONG, filter + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, switch (f.argForm()) {
            case 0, 1 -> program.address();
            case 2 -> 0L;
            default -> UNMAPPED;
        });
        return f.argForm() == 1 ? MemorySegment.NULL : bpf;
    }

    /** The {@code struct io_uring_bpf} as the last registration left it (the kernel writes {@code filter} back). */
    MemorySegment bpf() {
        return bpf;
    }

    /** Writes the SQE {@code s} at its SQE index, its pointers aimed at this memory. */
    void writeSqe(SqRingView sq, int sqMask, Step.ArgSqe s) {
        int index = s.slot() & sqMask;
        int slot = index % SLOTS;
        SqeFields fields = switch (s) {
            case Step.WriteSocket k -> new SqeFields(IoUring.IORING_OP_SOCKET, k.flags(), 0, k.domain(),
                    Integer.toUnsignedLong(k.type()), 0, k.protocol(), k.rwFlags(), k.userData(), 0, 0);
            case Step.WriteOpenat o -> new SqeFields(IoUring.IORING_OP_OPENAT, o.flags(), 0, o.dfd(), 0,
                    pathAddress(o.path()), o.mode(), o.openFlags(), o.userData(), 0, 0);
            case Step.WriteOpenat2 o -> {
                MemorySegment h = how.asSlice((long) slot * HOW_STRIDE, HOW_STRIDE);
                h.fill((byte) 0);
                h.set(JAVA_LONG, 0, o.howFlags());
                h.set(JAVA_LONG, 8, o.mode());
                h.set(JAVA_LONG, 16, o.resolve());
                yield new SqeFields(IoUring.IORING_OP_OPENAT2, o.flags(), 0, o.dfd(), h.address(),
                        pathAddress(o.path()), o.howSize(), 0, o.userData(), 0, 0);
            }
            case Step.WriteConnect c -> new SqeFields(IoUring.IORING_OP_CONNECT, c.flags(), 0, c.fd(), c.addrLen(),
                    sockaddr(slot, c).address(), 0, 0, c.userData(), 0, 0);
        };
        fields.writeTo(sq, index);
        int fileIndex = switch (s) {
            case Step.WriteSocket k -> k.fileIndex();
            case Step.WriteOpenat o -> o.fileIndex();
            case Step.WriteOpenat2 o -> o.fileIndex();
            case Step.WriteConnect c -> c.fileIndex();
        };
        sq.sqes().set(JAVA_INT, sq.sqeOffset(index) + IoUringSqe.FILE_INDEX_OFFSET, fileIndex);
    }

    /** The sockaddr of {@code c}: family, big-endian port, then the address (see {@link Step.WriteConnect}). */
    private MemorySegment sockaddr(int slot, Step.WriteConnect c) {
        MemorySegment a = sockaddrs.asSlice((long) slot * SOCKADDR_BYTES, SOCKADDR_BYTES);
        for (int at = 4; at < SOCKADDR_BYTES; at += 4) {
            a.set(JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), at, c.address());
        }
        a.set(JAVA_SHORT, 0, (short) c.family());
        a.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) c.port());
        return a;
    }
}
