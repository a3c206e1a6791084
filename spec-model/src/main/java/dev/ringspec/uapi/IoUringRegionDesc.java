package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A memory region shared with the kernel, either user memory ({@code IORING_MEM_REGION_TYPE_USER}) or
 * kernel memory the application maps at {@code mmap_offset}.
 *
 * <pre>{@code
 * struct io_uring_region_desc {
 *     __u64   user_addr;
 *     __u64   size;
 *     __u32   flags;
 *     __u32   id;
 *     __u64   mmap_offset;
 *     __u64   __resv[4];
 * };
 * }</pre>
 */
public final class IoUringRegionDesc {
    private IoUringRegionDesc() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("user_addr"),
            JAVA_LONG.withName("size"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("id"),
            JAVA_LONG.withName("mmap_offset"),
            sequenceLayout(4, JAVA_LONG).withName("__resv")
    ).withName("io_uring_region_desc");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long USER_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "user_addr");
    public static final long SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "size");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long ID_OFFSET = Layouts.offsetOf(LAYOUT, "id");
    public static final long MMAP_OFFSET_OFFSET = Layouts.offsetOf(LAYOUT, "mmap_offset");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
