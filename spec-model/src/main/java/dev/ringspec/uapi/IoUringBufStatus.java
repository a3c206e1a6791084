package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_PBUF_STATUS}: the kernel's head of the ring of {@code buf_group}.
 *
 * <pre>{@code
 * struct io_uring_buf_status {
 *     __u32   buf_group;
 *     __u32   head;
 *     __u32   resv[8];
 * };
 * }</pre>
 */
public final class IoUringBufStatus {
    private IoUringBufStatus() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("buf_group"),
            JAVA_INT.withName("head"),
            sequenceLayout(8, JAVA_INT).withName("resv")
    ).withName("io_uring_buf_status");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long BUF_GROUP_OFFSET = Layouts.offsetOf(LAYOUT, "buf_group");
    public static final long HEAD_OFFSET = Layouts.offsetOf(LAYOUT, "head");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
}
