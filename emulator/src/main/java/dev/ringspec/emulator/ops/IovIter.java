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
     * {@code __import_iovec_ubuf}'s (copied, then {@code import_ubuf}: the length clamped to MAX_RW_COUNT and
     * {@code access_ok}, -EFAULT); more than UIO_MAXIOV entries are -EINVAL ({@code iovec_from_user}); otherwise the
     * array is copied ({@link #copyIovec}), then each entry must pass {@code access_ok} with its whole length.
     */
    static int importIovec(IssueContext ctx, long uvec, long nrSegs) {
        if (nrSegs > Rw.UIO_MAXIOV) {
            return -EINVAL;
        }
        long[] iov = new long[(int) nrSegs * 2];
        int ret = copyIovec(ctx, uvec, iov);
        if (ret != 0) {
            return ret;
        }
        if (nrSegs == 1) {
            iov[1] = Math.min(iov[1], Rw.MAX_RW_COUNT);
        }
        for (int seg = 0; seg < nrSegs; seg++) {
            if (!Rw.accessOk(iov[2 * seg], iov[2 * seg + 1])) {
                return -EFAULT;
            }
        }
        return 0;
    }

    /**
     * {@code copy_iovec_from_user}: the entries at {@code uvec} into {@code iov} (base, length pairs), one at a time,
     * each length before its base: -EFAULT where a word cannot be read, -EINVAL for a negative length, whichever
     * comes first (a negative length before the unreadable end of the array is -EINVAL).
     */
    static int copyIovec(IssueContext ctx, long uvec, long[] iov) {
        // user_access_begin: the whole array's range must pass access_ok
        if (iov.length > 0 && !Rw.accessOk(uvec, 8L * iov.length)) {
            return -EFAULT;
        }
        for (int seg = 0; seg < iov.length / 2; seg++) {
            MemorySegment len = ctx.userMemory(uvec + 16L * seg + 8, 8);
            if (len == null) {
                return -EFAULT;
            }
            iov[2 * seg + 1] = len.get(JAVA_LONG.withByteAlignment(1), 0);
            if (iov[2 * seg + 1] < 0) {
                return -EINVAL;
            }
            MemorySegment base = ctx.userMemory(uvec + 16L * seg, 8);
            if (base == null) {
                return -EFAULT;
            }
            iov[2 * seg] = base.get(JAVA_LONG.withByteAlignment(1), 0);
        }
        return 0;
    }

    /** {@code import_ubuf}: the length clamped to MAX_RW_COUNT, then {@code access_ok} (-EFAULT). */
    static int importUbuf(long buf, int len) {
        return Rw.accessOk(buf, Math.min(Integer.toUnsignedLong(len), Rw.MAX_RW_COUNT)) ? 0 : -EFAULT;
    }

    /** {@code iov_iter_truncate}: the first {@code bytes} of the memory {@code iov} ((base, length) pairs) names. */
    static long[] truncate(long[] iov, long bytes) {
        long[] out = iov.clone();
        long left = bytes;
        int pairs = 0;
        for (int i = 0; i < out.length; i += 2) {
            long take = Math.min(out[i + 1], left);
            out[i + 1] = take;
            left -= take;
            pairs++;
            if (left == 0) {
                break;
            }
        }
        return java.util.Arrays.copyOf(out, pairs * 2);
    }
}
