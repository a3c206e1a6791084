package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The zero-copy receive part of a 32-byte CQE: where in the area the data landed.
 *
 * <pre>{@code
 * struct io_uring_zcrx_cqe {
 *     __u64   off;
 *     __u64   __pad;
 * };
 * }</pre>
 */
public final class IoUringZcrxCqe {
    private IoUringZcrxCqe() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("off"),
            JAVA_LONG.withName("__pad")
    ).withName("io_uring_zcrx_cqe");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFF_OFFSET = Layouts.offsetOf(LAYOUT, "off");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "__pad");
}
