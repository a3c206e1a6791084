package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_NAPI} and {@code IORING_UNREGISTER_NAPI}: busy-poll settings.
 *
 * <pre>{@code
 * struct io_uring_napi {
 *     __u32   busy_poll_to;
 *     __u8    prefer_busy_poll;
 *     __u8    pad[3];
 *     __u64   resv;
 * };
 * }</pre>
 */
public final class IoUringNapi {
    private IoUringNapi() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("busy_poll_to"),
            JAVA_BYTE.withName("prefer_busy_poll"),
            sequenceLayout(3, JAVA_BYTE).withName("pad"),
            JAVA_LONG.withName("resv")
    ).withName("io_uring_napi");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long BUSY_POLL_TO_OFFSET = Layouts.offsetOf(LAYOUT, "busy_poll_to");
    public static final long PREFER_BUSY_POLL_OFFSET = Layouts.offsetOf(LAYOUT, "prefer_busy_poll");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
}
