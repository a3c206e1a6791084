package dev.ringspec.cli;

import java.util.List;

/**
 * The exit statuses of {@code ringspec}, and the order in which a matrix of kernels picks its worst.
 *
 * <p>A kernel that cannot be used here (77) is never confused with one that was checked and diverged (1), nor with
 * one that was tried and failed (3): a divergence is what a check is run to find, so it outranks a guest that could
 * not be booted, which outranks a kernel that could not even be tried. A usage error (2) is the user's to fix first.
 */
final class ExitStatus {
    /** The command did its job, and a check found nothing new. */
    static final int OK = 0;
    /** A check found a new, reproducible divergence. */
    static final int DIVERGENCE = 1;
    /** Bad options: an unknown option or kernel spec, a path that does not exist, a file that is no kernel. */
    static final int USAGE = 2;
    /** A guest kernel was tried and failed: it did not boot, it died, or its agent stopped answering. */
    static final int GUEST_FAILED = 3;
    /** io_uring or a guest kernel cannot be used here: io_uring disabled or absent, QEMU missing, no download. */
    static final int UNAVAILABLE = 77;

    /** From best to worst. */
    private static final List<Integer> RANK = List.of(OK, UNAVAILABLE, DIVERGENCE, GUEST_FAILED, USAGE);

    private ExitStatus() {
    }

    /** The worse of two statuses; an unknown one (a program's own, from {@code run}) counts as a failure. */
    static int worst(int a, int b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(int status) {
        int r = RANK.indexOf(status);
        return r < 0 ? RANK.indexOf(GUEST_FAILED) : r;
    }
}
