package dev.ringspec.seam;

import dev.ringspec.uapi.Errno;

/**
 * One completion as read from the CQ ring: the 16 bytes of {@code struct io_uring_cqe} and, for a 32-byte CQE,
 * {@code big_cqe[0..1]} (zero otherwise).
 */
public record Cqe(long userData, int res, int flags, long big0, long big1) {

    @Override
    public String toString() {
        return "{ud " + userData + ", res " + Errno.describe(res) + ", flags 0x" + Integer.toHexString(flags)
                + (big0 != 0 || big1 != 0 ? ", big [0x" + Long.toHexString(big0) + ", 0x" + Long.toHexString(big1)
                        + "]" : "")
                + "}";
    }
}
