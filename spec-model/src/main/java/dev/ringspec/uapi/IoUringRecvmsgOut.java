package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The header the kernel writes at the start of each buffer of a multishot {@code IORING_OP_RECVMSG}.
 *
 * <pre>{@code
 * struct io_uring_recvmsg_out {
 *     __u32   namelen;
 *     __u32   controllen;
 *     __u32   payloadlen;
 *     __u32   flags;
 * };
 * }</pre>
 */
public final class IoUringRecvmsgOut {
    private IoUringRecvmsgOut() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("namelen"),
            JAVA_INT.withName("controllen"),
            JAVA_INT.withName("payloadlen"),
            JAVA_INT.withName("flags")
    ).withName("io_uring_recvmsg_out");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long NAMELEN_OFFSET = Layouts.offsetOf(LAYOUT, "namelen");
    public static final long CONTROLLEN_OFFSET = Layouts.offsetOf(LAYOUT, "controllen");
    public static final long PAYLOADLEN_OFFSET = Layouts.offsetOf(LAYOUT, "payloadlen");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
}
