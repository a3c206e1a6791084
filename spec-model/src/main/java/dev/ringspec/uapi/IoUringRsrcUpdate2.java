package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_FILES_UPDATE2} and {@code IORING_REGISTER_BUFFERS_UPDATE}: replace
 * {@code nr} registered resources from {@code offset} on, with tags.
 *
 * <pre>{@code
 * struct io_uring_rsrc_update2 {
 *     __u32           offset;
 *     __u32           resv;
 *     __aligned_u64   data;
 *     __aligned_u64   tags;
 *     __u32           nr;
 *     __u32           resv2;
 * };
 * }</pre>
 */
public final class IoUringRsrcUpdate2 {
    private IoUringRsrcUpdate2() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("offset"),
            JAVA_INT.withName("resv"),
            JAVA_LONG.withName("data"),
            JAVA_LONG.withName("tags"),
            JAVA_INT.withName("nr"),
            JAVA_INT.withName("resv2")
    ).withName("io_uring_rsrc_update2");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "offset");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long DATA_OFFSET = Layouts.offsetOf(LAYOUT, "data");
    public static final long TAGS_OFFSET = Layouts.offsetOf(LAYOUT, "tags");
    public static final long NR_OFFSET = Layouts.offsetOf(LAYOUT, "nr");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
}
