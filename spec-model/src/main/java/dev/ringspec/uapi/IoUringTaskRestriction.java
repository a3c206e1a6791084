package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * Per-task restrictions, registered with {@code io_uring_register(-1, IORING_REGISTER_RESTRICTIONS, arg, 1)}:
 * a header followed by {@code nr_res} entries of {@link IoUringRestriction}.
 *
 * <pre>{@code
 * struct io_uring_task_restriction {
 *     __u16   flags;
 *     __u16   nr_res;
 *     __u32   resv[3];
 *     struct io_uring_restriction restrictions[0];
 * };
 * }</pre>
 */
public final class IoUringTaskRestriction {
    private IoUringTaskRestriction() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("flags"),
            JAVA_SHORT.withName("nr_res"),
            sequenceLayout(3, JAVA_INT).withName("resv"),
            sequenceLayout(0, IoUringRestriction.LAYOUT).withName("restrictions")
    ).withName("io_uring_task_restriction");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long NR_RES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_res");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long RESTRICTIONS_OFFSET = Layouts.offsetOf(LAYOUT, "restrictions");
}
