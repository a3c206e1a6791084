package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The answer to {@code IO_URING_QUERY_SCQ}: size and alignment of the SQ/CQ ring header.
 *
 * <pre>{@code
 * struct io_uring_query_scq {
 *     __u64   hdr_size;
 *     __u64   hdr_alignment;
 * };
 * }</pre>
 */
public final class IoUringQueryScq {
    private IoUringQueryScq() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("hdr_size"),
            JAVA_LONG.withName("hdr_alignment")
    ).withName("io_uring_query_scq");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long HDR_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "hdr_size");
    public static final long HDR_ALIGNMENT_OFFSET = Layouts.offsetOf(LAYOUT, "hdr_alignment");
}
