package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_FILE_ALLOC_RANGE}: {@code IORING_FILE_INDEX_ALLOC} allocates direct
 * descriptors from {@code [off, off + len)}.
 *
 * <pre>{@code
 * struct io_uring_file_index_range {
 *     __u32   off;
 *     __u32   len;
 *     __u64   resv;
 * };
 * }</pre>
 */
public final class IoUringFileIndexRange {
    private IoUringFileIndexRange() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("off"),
            JAVA_INT.withName("len"),
            JAVA_LONG.withName("resv")
    ).withName("io_uring_file_index_range");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFF_OFFSET = Layouts.offsetOf(LAYOUT, "off");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
}
