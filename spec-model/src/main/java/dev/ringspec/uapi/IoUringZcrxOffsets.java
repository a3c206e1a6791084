package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * Where the kernel put the zero-copy receive refill ring fields, as byte offsets into its region.
 *
 * <pre>{@code
 * struct io_uring_zcrx_offsets {
 *     __u32   head;
 *     __u32   tail;
 *     __u32   rqes;
 *     __u32   __resv2;
 *     __u64   __resv[2];
 * };
 * }</pre>
 */
public final class IoUringZcrxOffsets {
    private IoUringZcrxOffsets() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("rqes"),
            JAVA_INT.withName("__resv2"),
            sequenceLayout(2, JAVA_LONG).withName("__resv")
    ).withName("io_uring_zcrx_offsets");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long HEAD_OFFSET = Layouts.offsetOf(LAYOUT, "head");
    public static final long TAIL_OFFSET = Layouts.offsetOf(LAYOUT, "tail");
    public static final long RQES_OFFSET = Layouts.offsetOf(LAYOUT, "rqes");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "__resv2");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
