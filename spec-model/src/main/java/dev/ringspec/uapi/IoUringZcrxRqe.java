package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A zero-copy receive refill queue entry: gives a buffer back to the kernel.
 *
 * <pre>{@code
 * struct io_uring_zcrx_rqe {
 *     __u64   off;
 *     __u32   len;
 *     __u32   __pad;
 * };
 * }</pre>
 */
public final class IoUringZcrxRqe {
    private IoUringZcrxRqe() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("off"),
            JAVA_INT.withName("len"),
            JAVA_INT.withName("__pad")
    ).withName("io_uring_zcrx_rqe");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFF_OFFSET = Layouts.offsetOf(LAYOUT, "off");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "__pad");
}
