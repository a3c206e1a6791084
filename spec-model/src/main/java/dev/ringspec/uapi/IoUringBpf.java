package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_BPF_FILTER}; {@code cmd_type} ({@code IO_URING_BPF_CMD_*}) selects
 * the member of the union.
 *
 * <pre>{@code
 * struct io_uring_bpf {
 *     __u16   cmd_type;
 *     __u16   cmd_flags;
 *     __u32   resv;
 *     union {
 *         struct io_uring_bpf_filter  filter;
 *     };
 * };
 * }</pre>
 */
public final class IoUringBpf {
    private IoUringBpf() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("cmd_type"),
            JAVA_SHORT.withName("cmd_flags"),
            JAVA_INT.withName("resv"),
            unionLayout(
                    IoUringBpfFilterStruct.LAYOUT.withName("filter")
            ).withName("anon1")
    ).withName("io_uring_bpf");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long CMD_TYPE_OFFSET = Layouts.offsetOf(LAYOUT, "cmd_type");
    public static final long CMD_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "cmd_flags");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long FILTER_OFFSET = Layouts.offsetOf(LAYOUT, "filter");
}
