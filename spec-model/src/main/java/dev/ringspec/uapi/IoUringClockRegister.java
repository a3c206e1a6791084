package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_CLOCK}: the clock that wait timeouts are measured on.
 *
 * <pre>{@code
 * struct io_uring_clock_register {
 *     __u32   clockid;
 *     __u32   __resv[3];
 * };
 * }</pre>
 */
public final class IoUringClockRegister {
    private IoUringClockRegister() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("clockid"),
            sequenceLayout(3, JAVA_INT).withName("__resv")
    ).withName("io_uring_clock_register");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long CLOCKID_OFFSET = Layouts.offsetOf(LAYOUT, "clockid");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}
