package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * One restriction of {@code IORING_REGISTER_RESTRICTIONS}; {@code opcode} ({@code IORING_RESTRICTION_*})
 * tells which member of the union holds the value.
 *
 * <pre>{@code
 * struct io_uring_restriction {
 *     __u16   opcode;
 *     union {
 *         __u8    register_op;
 *         __u8    sqe_op;
 *         __u8    sqe_flags;
 *     };
 *     __u8    resv;
 *     __u32   resv2[3];
 * };
 * }</pre>
 */
public final class IoUringRestriction {
    private IoUringRestriction() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("opcode"),
            unionLayout(
                    JAVA_BYTE.withName("register_op"),
                    JAVA_BYTE.withName("sqe_op"),
                    JAVA_BYTE.withName("sqe_flags")
            ).withName("anon1"),
            JAVA_BYTE.withName("resv"),
            sequenceLayout(3, JAVA_INT).withName("resv2")
    ).withName("io_uring_restriction");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OPCODE_OFFSET = Layouts.offsetOf(LAYOUT, "opcode");

    public static final long REGISTER_OP_OFFSET = Layouts.offsetOf(LAYOUT, "register_op");
    public static final long SQE_OP_OFFSET = Layouts.offsetOf(LAYOUT, "sqe_op");
    public static final long SQE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "sqe_flags");

    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "resv");
    public static final long RESV2_OFFSET = Layouts.offsetOf(LAYOUT, "resv2");
}
