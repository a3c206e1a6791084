package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_SYNC_CANCEL}: cancel the matching requests and wait for them, at most
 * {@code timeout}.
 *
 * <pre>{@code
 * struct io_uring_sync_cancel_reg {
 *     __u64   addr;
 *     __s32   fd;
 *     __u32   flags;
 *     struct __kernel_timespec    timeout;
 *     __u8    opcode;
 *     __u8    pad[7];
 *     __u64   pad2[3];
 * };
 * }</pre>
 */
public final class IoUringSyncCancelReg {
    private IoUringSyncCancelReg() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("fd"),
            JAVA_INT.withName("flags"),
            KernelTimespec.LAYOUT.withName("timeout"),
            JAVA_BYTE.withName("opcode"),
            sequenceLayout(7, JAVA_BYTE).withName("pad"),
            sequenceLayout(3, JAVA_LONG).withName("pad2")
    ).withName("io_uring_sync_cancel_reg");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long FD_OFFSET = Layouts.offsetOf(LAYOUT, "fd");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long TIMEOUT_OFFSET = Layouts.offsetOf(LAYOUT, "timeout");
    public static final long OPCODE_OFFSET = Layouts.offsetOf(LAYOUT, "opcode");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");
    public static final long PAD2_OFFSET = Layouts.offsetOf(LAYOUT, "pad2");
}
