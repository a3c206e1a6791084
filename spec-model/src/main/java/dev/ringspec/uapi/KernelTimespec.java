package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The kernel's 64-bit timespec ({@code linux/time_types.h}), used by timeouts and waits.
 *
 * <pre>{@code
 * struct __kernel_timespec {
 *     __kernel_time64_t   tv_sec;
 *     long long           tv_nsec;
 * };
 * }</pre>
 */
public final class KernelTimespec {
    private KernelTimespec() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")
    ).withName("__kernel_timespec");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long TV_SEC_OFFSET = Layouts.offsetOf(LAYOUT, "tv_sec");
    public static final long TV_NSEC_OFFSET = Layouts.offsetOf(LAYOUT, "tv_nsec");
}
