package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code io_uring_enter(2)} with {@code IORING_ENTER_EXT_ARG}; {@code ts} is a pointer to a
 * {@link KernelTimespec}, not the timespec itself.
 *
 * <pre>{@code
 * struct io_uring_getevents_arg {
 *     __u64   sigmask;
 *     __u32   sigmask_sz;
 *     __u32   min_wait_usec;
 *     __u64   ts;
 * };
 * }</pre>
 */
public final class IoUringGeteventsArg {
    private IoUringGeteventsArg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"),
            JAVA_INT.withName("min_wait_usec"),
            JAVA_LONG.withName("ts")
    ).withName("io_uring_getevents_arg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long SIGMASK_OFFSET = Layouts.offsetOf(LAYOUT, "sigmask");
    public static final long SIGMASK_SZ_OFFSET = Layouts.offsetOf(LAYOUT, "sigmask_sz");
    public static final long MIN_WAIT_USEC_OFFSET = Layouts.offsetOf(LAYOUT, "min_wait_usec");
    public static final long TS_OFFSET = Layouts.offsetOf(LAYOUT, "ts");
}
