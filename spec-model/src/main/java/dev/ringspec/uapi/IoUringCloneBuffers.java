package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_CLONE_BUFFERS}: copy registered buffers from the ring
 * {@code src_fd}.
 *
 * <pre>{@code
 * struct io_uring_clone_buffers {
 *     __u32   src_fd;
 *     __u32   flags;
 *     __u32   src_off;
 *     __u32   dst_off;
 *     __u32   nr;
 *     __u32   pad[3];
 * };
 * }</pre>
 */
public final class IoUringCloneBuffers {
    private IoUringCloneBuffers() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("src_fd"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("src_off"),
            JAVA_INT.withName("dst_off"),
            JAVA_INT.withName("nr"),
            sequenceLayout(3, JAVA_INT).withName("pad")
    ).withName("io_uring_clone_buffers");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long SRC_FD_OFFSET = Layouts.offsetOf(LAYOUT, "src_fd");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long SRC_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "src_off");
    public static final long DST_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "dst_off");
    public static final long NR_OFFSET = Layouts.offsetOf(LAYOUT, "nr");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");
}
