package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The older argument of {@code IORING_REGISTER_FILES_UPDATE}; {@code fds} points to an array of {@code __s32}.
 * Superseded by {@link IoUringRsrcUpdate}, which has the same layout.
 *
 * <pre>{@code
 * struct io_uring_files_update {
 *     __u32           offset;
 *     __u32           resv;
 *     __aligned_u64   fds;
 * };
 * }</pre>
 */
public final class IoUringFilesUpdate {
    private IoUringFilesUpdate() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("offset"),
            JAVA_INT.withName("resv"),
            JAVA_LONG.withName("fds")
    ).withName("io_uring_files_update");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "offset");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long FDS_OFFSET = Layouts.offsetOf(LAYOUT, "fds");
}
