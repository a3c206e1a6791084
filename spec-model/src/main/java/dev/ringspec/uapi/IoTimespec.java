package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A timestamp with unsigned fields, as {@code SOCKET_URING_OP_TX_TIMESTAMP} reports it in the second half of a
 * 32-byte CQE.
 *
 * <pre>{@code
 * struct io_timespec {
 *     __u64   tv_sec;
 *     __u64   tv_nsec;
 * };
 * }</pre>
 */
public final class IoTimespec {
    private IoTimespec() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")
    ).withName("io_timespec");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long TV_SEC_OFFSET = Layouts.offsetOf(LAYOUT, "tv_sec");
    public static final long TV_NSEC_OFFSET = Layouts.offsetOf(LAYOUT, "tv_nsec");
}
