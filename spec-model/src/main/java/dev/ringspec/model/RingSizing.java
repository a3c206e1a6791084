package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;

/**
 * How many SQ and CQ entries a ring gets: {@code io_uring_fill_params} in io_uring/io_uring.c, shared by setup and
 * {@code IORING_REGISTER_RESIZE_RINGS}. The checks read in the kernel's order.
 *
 * @param result 0, or the {@code -errno} of the first failed check
 */
public record RingSizing(int result, int sqEntries, int cqEntries) {
    /** {@code IORING_MAX_ENTRIES}. */
    public static final int MAX_SQ_ENTRIES = 32768;
    /** {@code IORING_MAX_CQ_ENTRIES}. */
    public static final int MAX_CQ_ENTRIES = 2 * MAX_SQ_ENTRIES;

    /**
     * @param entries the {@code entries} argument of setup, or {@code p.sq_entries} of a resize (unsigned)
     * @param flags the setup flags (only CQSIZE and CLAMP matter here)
     * @param cqEntries {@code p.cq_entries} as the caller passed it (unsigned; read only with CQSIZE)
     */
    public static RingSizing of(int entries, int flags, int cqEntries) {
        // io_uring_fill_params: entries == 0 -> -EINVAL
        if (entries == 0) {
            return failed(-EINVAL);
        }
        long sq = Integer.toUnsignedLong(entries);
        // io_uring_fill_params: entries > IORING_MAX_ENTRIES -> clamp with CLAMP, else -EINVAL
        if (sq > MAX_SQ_ENTRIES) {
            if ((flags & IORING_SETUP_CLAMP) == 0) {
                return failed(-EINVAL);
            }
            sq = MAX_SQ_ENTRIES;
        }
        sq = roundUpPowerOfTwo(sq);
        long cq;
        if ((flags & IORING_SETUP_CQSIZE) != 0) {
            cq = Integer.toUnsignedLong(cqEntries);
            // io_uring_fill_params: CQSIZE with cq_entries == 0 -> -EINVAL
            if (cq == 0) {
                return failed(-EINVAL);
            }
            // io_uring_fill_params: cq_entries > IORING_MAX_CQ_ENTRIES -> clamp with CLAMP, else -EINVAL
            if (cq > MAX_CQ_ENTRIES) {
                if ((flags & IORING_SETUP_CLAMP) == 0) {
                    return failed(-EINVAL);
                }
                cq = MAX_CQ_ENTRIES;
            }
            cq = roundUpPowerOfTwo(cq);
            // io_uring_fill_params: cq_entries < sq_entries -> -EINVAL
            if (cq < sq) {
                return failed(-EINVAL);
            }
        } else {
            cq = 2 * sq;
        }
        return new RingSizing(0, (int) sq, (int) cq);
    }

    public boolean ok() {
        return result == 0;
    }

    private static RingSizing failed(int errno) {
        return new RingSizing(errno, 0, 0);
    }

    static long roundUpPowerOfTwo(long n) {
        return n <= 1 ? 1 : Long.highestOneBit(n - 1) << 1;
    }
}
