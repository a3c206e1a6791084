package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * A wait argument kept in a registered region ({@code IORING_MEM_REGION_REG_WAIT_ARG});
 * {@code io_uring_enter(2)} with {@code IORING_ENTER_EXT_ARG_REG} names one instead of passing a pointer.
 *
 * <pre>{@code
 * struct io_uring_reg_wait {
 *     struct __kernel_timespec    ts;
 *     __u32   min_wait_usec;
 *     __u32   flags;
 *     __u64   sigmask;
 *     __u32   sigmask_sz;
 *     __u32   pad[3];
 *     __u64   pad2[2];
 * };
 * }</pre>
 */
public final class IoUringRegWait {
    private IoUringRegWait() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            KernelTimespec.LAYOUT.withName("ts"),
            JAVA_INT.withName("min_wait_usec"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"),
            sequenceLayout(3, JAVA_INT).withName("pad"),
            sequenceLayout(2, JAVA_LONG).withName("pad2")
    ).withName("io_uring_reg_wait");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long TS_OFFSET = Layouts.offsetOf(LAYOUT, "ts");
    public static final long MIN_WAIT_USEC_OFFSET = Layouts.offsetOf(LAYOUT, "min_wait_usec");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long SIGMASK_OFFSET = Layouts.offsetOf(LAYOUT, "sigmask");
    public static final long SIGMASK_SZ_OFFSET = Layouts.offsetOf(LAYOUT, "sigmask_sz");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");
    public static final long PAD2_OFFSET = Layouts.offsetOf(LAYOUT, "pad2");
}
