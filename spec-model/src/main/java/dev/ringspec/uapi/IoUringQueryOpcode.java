package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The answer to {@code IO_URING_QUERY_OPCODES}: how many opcodes and which flags the kernel knows. It needs no
 * ring.
 *
 * <pre>{@code
 * struct io_uring_query_opcode {
 *     __u32   nr_request_opcodes;
 *     __u32   nr_register_opcodes;
 *     __u64   feature_flags;
 *     __u64   ring_setup_flags;
 *     __u64   enter_flags;
 *     __u64   sqe_flags;
 *     __u32   nr_query_opcodes;
 *     __u32   __pad;
 * };
 * }</pre>
 */
public final class IoUringQueryOpcode {
    private IoUringQueryOpcode() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("nr_request_opcodes"),
            JAVA_INT.withName("nr_register_opcodes"),
            JAVA_LONG.withName("feature_flags"),
            JAVA_LONG.withName("ring_setup_flags"),
            JAVA_LONG.withName("enter_flags"),
            JAVA_LONG.withName("sqe_flags"),
            JAVA_INT.withName("nr_query_opcodes"),
            JAVA_INT.withName("__pad")
    ).withName("io_uring_query_opcode");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long NR_REQUEST_OPCODES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_request_opcodes");
    public static final long NR_REGISTER_OPCODES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_register_opcodes");
    public static final long FEATURE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "feature_flags");
    public static final long RING_SETUP_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "ring_setup_flags");
    public static final long ENTER_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "enter_flags");
    public static final long SQE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "sqe_flags");
    public static final long NR_QUERY_OPCODES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_query_opcodes");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "__pad");
}
