package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * One buffer of a provided-buffer ring.
 *
 * <pre>{@code
 * struct io_uring_buf {
 *     __u64   addr;
 *     __u32   len;
 *     __u16   bid;
 *     __u16   resv;
 * };
 * }</pre>
 */
public final class IoUringBuf {
    private IoUringBuf() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv")
    ).withName("io_uring_buf");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long BID_OFFSET = Layouts.offsetOf(LAYOUT, "bid");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
}
