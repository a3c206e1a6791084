package dev.ringspec.guest;

/**
 * A guest kernel cannot be used on this machine, through no fault of the kernel: QEMU is not installed, or the
 * kernel could not be downloaded and no copy is cached. The message is one sentence saying what to do.
 *
 * <p>The command line maps it to {@link #EXIT_CODE}, the same "cannot run here" status it uses when io_uring is
 * unavailable on the host, which test harnesses read as "skipped".
 */
public final class GuestUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The exit status for "a guest kernel cannot be used here" (77, the usual "skipped" of test harnesses). */
    public static final int EXIT_CODE = 77;

    /** Why a guest kernel cannot be used. */
    public enum Reason {
        /** No {@code qemu-system-x86_64}. */
        QEMU_MISSING,
        /** The Debian archive could not be reached (or refused the request) and nothing usable is cached. */
        DOWNLOAD_UNAVAILABLE
    }

    private final Reason reason;

    public GuestUnavailableException(Reason reason, String sentence) {
        super(sentence);
        this.reason = reason;
    }

    public GuestUnavailableException(Reason reason, String sentence, Throwable cause) {
        super(sentence, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public int exitCode() {
        return EXIT_CODE;
    }
}
