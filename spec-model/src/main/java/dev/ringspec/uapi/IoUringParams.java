package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code io_uring_setup(2)}: entries, flags and SQPOLL settings in; entries, features and the
 * ring offsets out.
 *
 * <pre>{@code
 * struct io_uring_params {
 *     __u32   sq_entries;
 *     __u32   cq_entries;
 *     __u32   flags;
 *     __u32   sq_thread_cpu;
 *     __u32   sq_thread_idle;
 *     __u32   features;
 *     __u32   wq_fd;
 *     __u32   resv[3];
 *     struct io_sqring_offsets    sq_off;
 *     struct io_cqring_offsets    cq_off;
 * };
 * }</pre>
 */
public final class IoUringParams {
    private IoUringParams() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"),
            sequenceLayout(3, JAVA_INT).withName("resv"),
            IoSqringOffsets.LAYOUT.withName("sq_off"),
            IoCqringOffsets.LAYOUT.withName("cq_off")
    ).withName("io_uring_params");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long SQ_ENTRIES_OFFSET = Layouts.offsetOf(LAYOUT, "sq_entries");
    public static final long CQ_ENTRIES_OFFSET = Layouts.offsetOf(LAYOUT, "cq_entries");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long SQ_THREAD_CPU_OFFSET = Layouts.offsetOf(LAYOUT, "sq_thread_cpu");
    public static final long SQ_THREAD_IDLE_OFFSET = Layouts.offsetOf(LAYOUT, "sq_thread_idle");
    public static final long FEATURES_OFFSET = Layouts.offsetOf(LAYOUT, "features");
    public static final long WQ_FD_OFFSET = Layouts.offsetOf(LAYOUT, "wq_fd");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long SQ_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "sq_off");
    public static final long CQ_OFF_OFFSET = Layouts.offsetOf(LAYOUT, "cq_off");
}
