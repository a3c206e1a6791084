package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * A provided-buffer ring: an array of {@link IoUringBuf} whose first entry's {@code resv} is the ring tail,
 * so the tail costs no extra space.
 *
 * <pre>{@code
 * struct io_uring_buf_ring {
 *     union {
 *         struct {
 *             __u64   resv1;
 *             __u32   resv2;
 *             __u16   resv3;
 *             __u16   tail;
 *         };
 *         struct io_uring_buf bufs[0];
 *     };
 * };
 * }</pre>
 */
public final class IoUringBufRing {
    private IoUringBufRing() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            unionLayout(
                    structLayout(
                            JAVA_LONG.withName("resv1"),
                            JAVA_INT.withName("resv2"),
                            JAVA_SHORT.withName("resv3"),
                            JAVA_SHORT.withName("tail")
                    ).withName("anon2"),
                    sequenceLayout(0, IoUringBuf.LAYOUT).withName("bufs")
            ).withName("anon1")
    ).withName("io_uring_buf_ring");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long RESV1_OFFSET = Layouts.offsetOf(LAYOUT, "resv1");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
    public static final long RESV3_OFFSET = Layouts.offsetOf(LAYOUT, "resv3");
    public static final long TAIL_OFFSET = Layouts.offsetOf(LAYOUT, "tail");
    public static final long BUFS_OFFSET = Layouts.offsetOf(LAYOUT, "bufs");
}
