package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_PROBE}: a header followed by {@code ops_len} entries of
 * {@link IoUringProbeOp}.
 *
 * <pre>{@code
 * struct io_uring_probe {
 *     __u8    last_op;
 *     __u8    ops_len;
 *     __u16   resv;
 *     __u32   resv2[3];
 *     struct io_uring_probe_op    ops[];
 * };
 * }</pre>
 */
public final class IoUringProbe {
    private IoUringProbe() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_BYTE.withName("last_op"),
            JAVA_BYTE.withName("ops_len"),
            JAVA_SHORT.withName("resv"),
            sequenceLayout(3, JAVA_INT).withName("resv2"),
            sequenceLayout(0, IoUringProbeOp.LAYOUT).withName("ops")
    ).withName("io_uring_probe");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long LAST_OP_OFFSET = Layouts.offsetOf(LAYOUT, "last_op");
    public static final long OPS_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "ops_len");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
    public static final long OPS_OFFSET = Layouts.offsetOf(LAYOUT, "ops");
}
