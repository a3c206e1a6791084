package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The answer to {@code IO_URING_QUERY_ZCRX}: what zero-copy receive supports.
 *
 * <pre>{@code
 * struct io_uring_query_zcrx {
 *     __u64   register_flags;
 *     __u64   area_flags;
 *     __u32   nr_ctrl_opcodes;
 *     __u32   features;
 *     __u32   rq_hdr_size;
 *     __u32   rq_hdr_alignment;
 *     __u64   __resv2;
 * };
 * }</pre>
 */
public final class IoUringQueryZcrx {
    private IoUringQueryZcrx() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("register_flags"),
            JAVA_LONG.withName("area_flags"),
            JAVA_INT.withName("nr_ctrl_opcodes"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("rq_hdr_size"),
            JAVA_INT.withName("rq_hdr_alignment"),
            JAVA_LONG.withName("__resv2")
    ).withName("io_uring_query_zcrx");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long REGISTER_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "register_flags");
    public static final long AREA_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "area_flags");
    public static final long NR_CTRL_OPCODES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_ctrl_opcodes");
    public static final long FEATURES_OFFSET = Layouts.offsetOf(LAYOUT, "features");
    public static final long RQ_HDR_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "rq_hdr_size");
    public static final long RQ_HDR_ALIGNMENT_OFFSET = Layouts.offsetOf(LAYOUT, "rq_hdr_alignment");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "__resv2");
}
