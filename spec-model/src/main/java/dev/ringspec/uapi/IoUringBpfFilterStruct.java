package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * One BPF filter for one opcode ({@code io_uring/bpf_filter.h}).
 *
 * <p>The class is not named {@code IoUringBpfFilter}: that name holds the constants of the header
 * {@code io_uring/bpf_filter.h}, as {@link IoUring} does for {@code io_uring.h}.
 *
 * <pre>{@code
 * struct io_uring_bpf_filter {
 *     __u32   opcode;
 *     __u32   flags;
 *     __u32   filter_len;
 *     __u8    pdu_size;
 *     __u8    resv[3];
 *     __u64   filter_ptr;
 *     __u64   resv2[5];
 * };
 * }</pre>
 */
public final class IoUringBpfFilterStruct {
    private IoUringBpfFilterStruct() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("opcode"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("filter_len"),
            JAVA_BYTE.withName("pdu_size"),
            sequenceLayout(3, JAVA_BYTE).withName("resv"),
            JAVA_LONG.withName("filter_ptr"),
            sequenceLayout(5, JAVA_LONG).withName("resv2")
    ).withName("io_uring_bpf_filter");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OPCODE_OFFSET = Layouts.offsetOf(LAYOUT, "opcode");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long FILTER_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "filter_len");
    public static final long PDU_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "pdu_size");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long FILTER_PTR_OFFSET = Layouts.offsetOf(LAYOUT, "filter_ptr");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
}
