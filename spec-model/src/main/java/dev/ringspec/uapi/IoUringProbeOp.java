package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * One opcode of an {@link IoUringProbe}; {@code flags} has {@code IO_URING_OP_SUPPORTED} if the kernel
 * implements it.
 *
 * <pre>{@code
 * struct io_uring_probe_op {
 *     __u8    op;
 *     __u8    resv;
 *     __u16   flags;
 *     __u32   resv2;
 * };
 * }</pre>
 */
public final class IoUringProbeOp {
    private IoUringProbeOp() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_BYTE.withName("op"),
            JAVA_BYTE.withName("resv"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2")
    ).withName("io_uring_probe_op");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OP_OFFSET = Layouts.offsetOf(LAYOUT, "op");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
}
