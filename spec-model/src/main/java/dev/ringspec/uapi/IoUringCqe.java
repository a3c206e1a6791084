package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A completion queue entry: 16 bytes, or 32 on an {@code IORING_SETUP_CQE32} ring and for entries flagged
 * {@code IORING_CQE_F_32} on an {@code IORING_SETUP_CQE_MIXED} ring; {@code big_cqe[]} is the second 16 bytes.
 *
 * <pre>{@code
 * struct io_uring_cqe {
 *     __u64   user_data;
 *     __s32   res;
 *     __u32   flags;
 *     __u64   big_cqe[];
 * };
 * }</pre>
 */
public final class IoUringCqe {
    private IoUringCqe() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags"),
            sequenceLayout(0, JAVA_LONG).withName("big_cqe")
    ).withName("io_uring_cqe");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long USER_DATA_OFFSET = Layouts.offsetOf(LAYOUT, "user_data");
    public static final long RES_OFFSET = Layouts.offsetOf(LAYOUT, "res");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long BIG_CQE_OFFSET = Layouts.offsetOf(LAYOUT, "big_cqe");
}
