package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A zero-copy receive buffer area, user memory or a dma-buf ({@code IORING_ZCRX_AREA_DMABUF}).
 *
 * <pre>{@code
 * struct io_uring_zcrx_area_reg {
 *     __u64   addr;
 *     __u64   len;
 *     __u64   rq_area_token;
 *     __u32   flags;
 *     __u32   dmabuf_fd;
 *     __u64   __resv2[2];
 * };
 * }</pre>
 */
public final class IoUringZcrxAreaReg {
    private IoUringZcrxAreaReg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_LONG.withName("len"),
            JAVA_LONG.withName("rq_area_token"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dmabuf_fd"),
            sequenceLayout(2, JAVA_LONG).withName("__resv2")
    ).withName("io_uring_zcrx_area_reg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long RQ_AREA_TOKEN_OFFSET = Layouts.offsetOf(LAYOUT, "rq_area_token");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long DMABUF_FD_OFFSET = Layouts.offsetOf(LAYOUT, "dmabuf_fd");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "__resv2");
}
