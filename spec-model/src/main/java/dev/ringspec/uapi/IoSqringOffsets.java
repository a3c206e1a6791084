package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * Where {@code io_uring_setup(2)} put each submission ring field: byte offsets into the SQ ring mapping
 * ({@code IORING_OFF_SQ_RING}), filled in {@code io_uring_params.sq_off}.
 *
 * <pre>{@code
 * struct io_sqring_offsets {
 *     __u32   head;
 *     __u32   tail;
 *     __u32   ring_mask;
 *     __u32   ring_entries;
 *     __u32   flags;
 *     __u32   dropped;
 *     __u32   array;
 *     __u32   resv1;
 *     __u64   user_addr;
 * };
 * }</pre>
 */
public final class IoSqringOffsets {
    private IoSqringOffsets() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr")
    ).withName("io_sqring_offsets");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long HEAD_OFFSET = Layouts.offsetOf(LAYOUT, "head");
    public static final long TAIL_OFFSET = Layouts.offsetOf(LAYOUT, "tail");
    public static final long RING_MASK_OFFSET = Layouts.offsetOf(LAYOUT, "ring_mask");
    public static final long RING_ENTRIES_OFFSET = Layouts.offsetOf(LAYOUT, "ring_entries");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long DROPPED_OFFSET = Layouts.offsetOf(LAYOUT, "dropped");
    public static final long ARRAY_OFFSET = Layouts.offsetOf(LAYOUT, "array");
    public static final long RESV1_OFFSET = Layouts.offsetOf(LAYOUT, "resv1");
    public static final long USER_ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "user_addr");
}
