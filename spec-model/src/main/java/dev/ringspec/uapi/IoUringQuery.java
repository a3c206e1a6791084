package dev.ringspec.uapi;

/** The constants of {@code include/uapi/linux/io_uring/query.h}, with the kernel's names. */
public final class IoUringQuery {
    private IoUringQuery() {
    }

    // Query ops (io_uring/query.h)
    public static final int IO_URING_QUERY_OPCODES = 0;
    public static final int IO_URING_QUERY_ZCRX = 1;
    public static final int IO_URING_QUERY_SCQ = 2;
    public static final int __IO_URING_QUERY_MAX = 3;
}
