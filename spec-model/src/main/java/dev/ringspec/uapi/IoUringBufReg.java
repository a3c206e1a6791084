package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_PBUF_RING} and {@code IORING_UNREGISTER_PBUF_RING}; {@code flags}
 * takes {@code IOU_PBUF_RING_*}.
 *
 * <pre>{@code
 * struct io_uring_buf_reg {
 *     __u64   ring_addr;
 *     __u32   ring_entries;
 *     __u16   bgid;
 *     __u16   flags;
 *     __u32   min_left;
 *     __u32   resv[5];
 * };
 * }</pre>
 */
public final class IoUringBufReg {
    private IoUringBufReg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("ring_addr"),
            JAVA_INT.withName("ring_entries"),
            JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("min_left"),
            sequenceLayout(5, JAVA_INT).withName("resv")
    ).withName("io_uring_buf_reg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long RING_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "ring_addr");
    public static final long RING_ENTRIES_OFFSET = Layouts.offsetOf(LAYOUT, "ring_entries");
    public static final long BGID_OFFSET = Layouts.offsetOf(LAYOUT, "bgid");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long MIN_LEFT_OFFSET = Layouts.offsetOf(LAYOUT, "min_left");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
}
