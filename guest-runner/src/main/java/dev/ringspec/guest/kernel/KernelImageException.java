package dev.ringspec.guest.kernel;

/** A kernel image the user named is not one QEMU can boot: not a bzImage, truncated, or unreadable. */
public final class KernelImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public KernelImageException(String sentence) {
        super(sentence);
    }
}
