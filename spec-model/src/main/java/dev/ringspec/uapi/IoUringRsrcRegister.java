package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_FILES2} and {@code IORING_REGISTER_BUFFERS2}: {@code nr} resources
 * from {@code data}, with optional {@code tags}, or an empty table with {@code IORING_RSRC_REGISTER_SPARSE}.
 *
 * <pre>{@code
 * struct io_uring_rsrc_register {
 *     __u32           nr;
 *     __u32           flags;
 *     __u64           resv2;
 *     __aligned_u64   data;
 *     __aligned_u64   tags;
 * };
 * }</pre>
 */
public final class IoUringRsrcRegister {
    private IoUringRsrcRegister() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("nr"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("resv2"),
            JAVA_LONG.withName("data"),
            JAVA_LONG.withName("tags")
    ).withName("io_uring_rsrc_register");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long NR_OFFSET = Layouts.offsetOf(LAYOUT, "nr");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
    public static final long DATA_OFFSET = Layouts.offsetOf(LAYOUT, "data");
    public static final long TAGS_OFFSET = Layouts.offsetOf(LAYOUT, "tags");
}
