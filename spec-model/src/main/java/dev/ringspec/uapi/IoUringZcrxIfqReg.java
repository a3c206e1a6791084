package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_ZCRX_IFQ}: bind a network receive queue to the ring.
 *
 * <pre>{@code
 * struct io_uring_zcrx_ifq_reg {
 *     __u32   if_idx;
 *     __u32   if_rxq;
 *     __u32   rq_entries;
 *     __u32   flags;
 *     __u64   area_ptr;
 *     __u64   region_ptr;
 *     struct io_uring_zcrx_offsets    offsets;
 *     __u32   zcrx_id;
 *     __u32   rx_buf_len;
 *     __u64   __resv[3];
 * };
 * }</pre>
 */
public final class IoUringZcrxIfqReg {
    private IoUringZcrxIfqReg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("if_idx"),
            JAVA_INT.withName("if_rxq"),
            JAVA_INT.withName("rq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("area_ptr"),
            JAVA_LONG.withName("region_ptr"),
            IoUringZcrxOffsets.LAYOUT.withName("offsets"),
            JAVA_INT.withName("zcrx_id"),
            JAVA_INT.withName("rx_buf_len"),
            sequenceLayout(3, JAVA_LONG).withName("__resv")
    ).withName("io_uring_zcrx_ifq_reg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long IF_IDX_OFFSET = Layouts.offsetOf(LAYOUT, "if_idx");
    public static final long IF_RXQ_OFFSET = Layouts.offsetOf(LAYOUT, "if_rxq");
    public static final long RQ_ENTRIES_OFFSET = Layouts.offsetOf(LAYOUT, "rq_entries");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long AREA_PTR_OFFSET = Layouts.offsetOf(LAYOUT, "area_ptr");
    public static final long REGION_PTR_OFFSET = Layouts.offsetOf(LAYOUT, "region_ptr");
    public static final long OFFSETS_OFFSET = Layouts.offsetOf(LAYOUT, "offsets");
    public static final long ZCRX_ID_OFFSET = Layouts.offsetOf(LAYOUT, "zcrx_id");
    public static final long RX_BUF_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "rx_buf_len");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
