package dev.ringspec.uapi;

/** The constants of {@code include/uapi/linux/io_uring/bpf_filter.h}, with the kernel's names. */
public final class IoUringBpfFilter {
    private IoUringBpfFilter() {
    }

    // BPF filter constants (io_uring/bpf_filter.h)
    public static final int IO_URING_BPF_FILTER_DENY_REST = 1;
    public static final int IO_URING_BPF_FILTER_SZ_STRICT = 2;
    public static final int IO_URING_BPF_CMD_FILTER = 1;
}
