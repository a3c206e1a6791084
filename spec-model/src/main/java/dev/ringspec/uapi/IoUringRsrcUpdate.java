package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_FILES_UPDATE}: replace registered files from {@code offset} on.
 *
 * <pre>{@code
 * struct io_uring_rsrc_update {
 *     __u32           offset;
 *     __u32           resv;
 *     __aligned_u64   data;
 * };
 * }</pre>
 */
public final class IoUringRsrcUpdate {
    private IoUringRsrcUpdate() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("offset"),
            JAVA_INT.withName("resv"),
            JAVA_LONG.withName("data")
    ).withName("io_uring_rsrc_update");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "offset");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long DATA_OFFSET = Layouts.offsetOf(LAYOUT, "data");
}
