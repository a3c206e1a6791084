package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_MEM_REGION}: {@code region_uptr} points to an
 * {@link IoUringRegionDesc}.
 *
 * <pre>{@code
 * struct io_uring_mem_region_reg {
 *     __u64   region_uptr;
 *     __u64   flags;
 *     __u64   __resv[2];
 * };
 * }</pre>
 */
public final class IoUringMemRegionReg {
    private IoUringMemRegionReg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("region_uptr"),
            JAVA_LONG.withName("flags"),
            sequenceLayout(2, JAVA_LONG).withName("__resv")
    ).withName("io_uring_mem_region_reg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long REGION_UPTR_OFFSET = Layouts.offsetOf(LAYOUT, "region_uptr");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
