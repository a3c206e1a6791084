package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * What an io_uring BPF filter sees of a request ({@code io_uring/bpf_filter.h}); the union holds the
 * opcode-specific part, {@code pdu_size} bytes of it.
 *
 * <pre>{@code
 * struct io_uring_bpf_ctx {
 *     __u64   user_data;
 *     __u8    opcode;
 *     __u8    sqe_flags;
 *     __u8    pdu_size;
 *     __u8    pad[5];
 *     union {
 *         struct {
 *             __u32   family;
 *             __u32   type;
 *             __u32   protocol;
 *         } socket;
 *         struct {
 *             __u64   flags;
 *             __u64   mode;
 *             __u64   resolve;
 *         } open;
 *     };
 * };
 * }</pre>
 */
public final class IoUringBpfCtx {
    private IoUringBpfCtx() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("sqe_flags"),
            JAVA_BYTE.withName("pdu_size"),
            sequenceLayout(5, JAVA_BYTE).withName("pad"),
            unionLayout(
                    structLayout(
                            JAVA_INT.withName("family"),
                            JAVA_INT.withName("type"),
                            JAVA_INT.withName("protocol")
                    ).withName("socket"),
                    structLayout(
                            JAVA_LONG.withName("flags"),
                            JAVA_LONG.withName("mode"),
                            JAVA_LONG.withName("resolve")
                    ).withName("open")
            ).withName("anon1")
    ).withName("io_uring_bpf_ctx");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long USER_DATA_OFFSET = Layouts.offsetOf(LAYOUT, "user_data");
    public static final long OPCODE_OFFSET = Layouts.offsetOf(LAYOUT, "opcode");
    public static final long SQE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "sqe_flags");
    public static final long PDU_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "pdu_size");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");

    public static final long SOCKET_OFFSET = Layouts.offsetOf(LAYOUT, "socket");
    public static final long SOCKET_FAMILY_OFFSET = Layouts.offsetOf(LAYOUT, "socket.family");
    public static final long SOCKET_TYPE_OFFSET = Layouts.offsetOf(LAYOUT, "socket.type");
    public static final long SOCKET_PROTOCOL_OFFSET = Layouts.offsetOf(LAYOUT, "socket.protocol");
    public static final long OPEN_OFFSET = Layouts.offsetOf(LAYOUT, "open");
    public static final long OPEN_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "open.flags");
    public static final long OPEN_MODE_OFFSET = Layouts.offsetOf(LAYOUT, "open.mode");
    public static final long OPEN_RESOLVE_OFFSET = Layouts.offsetOf(LAYOUT, "open.resolve");
}
