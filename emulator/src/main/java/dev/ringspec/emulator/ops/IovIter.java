package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.model.IssueContext;
import java.lang.foreign.MemorySegment;

/**
 * lib/iov_iter.c's checks of an iovec array the application hands in, as the kernel makes them when it imports the
 * array (net.c's preps import a msghdr's iovecs; the real call later reads them again, unchanged in the fuzz's and
 * the tests' worlds).
 */
final class IovIter {
    private IovIter() {
    }

    /**
     * {@code __import_iovec} of {@code nrSegs} entries at {@code uvec}: 0, or its error. One entry is
     * {@code __import_iovec_ubuf}'s (copied (-EFAULT), a negative length -EINVAL, then {@code import_ubuf}: the length
     * clamped to MAX_RW_COUNT and {@code access_ok}, -EFAULT); more than UIO_MAXIOV entries are -EINVAL
     * ({@code iovec_from_user}); otherwise the array is copied entry by entry (-EFAULT, -EINVAL for a negative
     * length), then each entry must pass {@code access_ok} with its whole length (-EFAULT).
     */
    static int importIovec(IssueContext ctx, long uvec, long nrSegs) {
        if (nrSegs == 0) {
            return 0;
        }
        if (nrSegs > Rw.UIO_MAXIOV) {
            return -EINVAL;
        }
        long[] lengths = new long[(int) nrSegs];
        long[] bases = new long[(int) nrSegs];
        for (int seg = 0; seg < nrSegs; seg++) {
            MemorySegment entry = ctx.userMemory(uvec + 16L * seg, 16);
            if (entry == null) {
                return -EFAULT;
            }
            bases[seg] = entry.get(JAVA_LONG.withByteAlignment(1), 0);
            lengths[seg] = entry.get(JAVA_LONG.withByteAlignment(1), 8);
            if (lengths[seg] < 0) {
                return -EINVAL;
            }
        }
        if (nrSegs == 1) {
            lengths[0] = Math.min(lengths[0], Rw.MAX_RW_COUNT);
        }
        for (int seg = 0; seg < nrSegs; seg++) {
            if (!Rw.accessOk(bases[seg], lengths[seg])) {
                return -EFAULT;
            }
        }
        return 0;
    }

    /** {@code import_ubuf}: the length clamped to MAX_RW_COUNT, then {@code access_ok} (-EFAULT). */
    static int importUbuf(long buf, int len) {
        return Rw.accessOk(buf, Math.min(Integer.toUnsignedLong(len), Rw.MAX_RW_COUNT)) ? 0 : -EFAULT;
    }
}
