package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * One entry of an {@code IORING_REGISTER_QUERY} chain ({@code io_uring/query.h}): the query in, the
 * {@code result} out; {@code next_entry} links the next header.
 *
 * <pre>{@code
 * struct io_uring_query_hdr {
 *     __u64   next_entry;
 *     __u64   query_data;
 *     __u32   query_op;
 *     __u32   size;
 *     __s32   result;
 *     __u32   __resv[3];
 * };
 * }</pre>
 */
public final class IoUringQueryHdr {
    private IoUringQueryHdr() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("next_entry"),
            JAVA_LONG.withName("query_data"),
            JAVA_INT.withName("query_op"),
            JAVA_INT.withName("size"),
            JAVA_INT.withName("result"),
            sequenceLayout(3, JAVA_INT).withName("__resv")
    ).withName("io_uring_query_hdr");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long NEXT_ENTRY_OFFSET = Layouts.offsetOf(LAYOUT, "next_entry");
    public static final long QUERY_DATA_OFFSET = Layouts.offsetOf(LAYOUT, "query_data");
    public static final long QUERY_OP_OFFSET = Layouts.offsetOf(LAYOUT, "query_op");
    public static final long SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "size");
    public static final long RESULT_OFFSET = Layouts.offsetOf(LAYOUT, "result");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
