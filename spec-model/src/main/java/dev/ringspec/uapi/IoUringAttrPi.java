package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * The protection-information attribute of a read or write: {@code sqe->attr_ptr} points to it when
 * {@code sqe->attr_type_mask} has {@code IORING_RW_ATTR_FLAG_PI}.
 *
 * <pre>{@code
 * struct io_uring_attr_pi {
 *     __u16   flags;
 *     __u16   app_tag;
 *     __u32   len;
 *     __u64   addr;
 *     __u64   seed;
 *     __u64   rsvd;
 * };
 * }</pre>
 */
public final class IoUringAttrPi {
    private IoUringAttrPi() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("flags"),
            JAVA_SHORT.withName("app_tag"),
            JAVA_INT.withName("len"),
            JAVA_LONG.withName("addr"),
            JAVA_LONG.withName("seed"),
            JAVA_LONG.withName("rsvd")
    ).withName("io_uring_attr_pi");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long APP_TAG_OFFSET = Layouts.offsetOf(LAYOUT, "app_tag");
    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");
    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long SEED_OFFSET = Layouts.offsetOf(LAYOUT, "seed");
    public static final long RSVD_OFFSET = Layouts.offsetOf(LAYOUT, "rsvd");
}
