package dev.ringspec.emulator;

import dev.ringspec.model.ModelIoUring;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;

/**
 * The ring descriptors the model takes and gives back, where a closing ring's descriptor is given back only once the
 * emulator has forgotten what it keeps under the ring's number ({@link #closeHolding}).
 *
 * <p>A real descriptor's number is the lowest free one: closed, it names the next ring set up on any thread at once.
 * The emulator keeps a ring's lock, its wait permit, its inode and its interrupts under that number, and a close that
 * gave the number back before removing them would remove the new ring's: a program that ends one ring while another
 * thread of it (or the hosting supervisor's ring-end thread against the program's next setup) makes the next could
 * then sleep in {@code io_cqring_wait} on a permit no wake reaches. The kernel has no such window: a ring's state hangs
 * off its file, which stays until the last reference is dropped, whatever number is reused meanwhile.
 */
final class HeldRingDescriptors implements ModelIoUring.RingDescriptors {
    private static final int NONE = -1;

    private final ModelIoUring.RingDescriptors real;
    /** On a thread inside {@link #closeHolding}: the descriptor the model gave back meanwhile, or {@link #NONE}. */
    private final ThreadLocal<int[]> held = new ThreadLocal<>();

    HeldRingDescriptors(ModelIoUring.RingDescriptors real) {
        this.real = real;
    }

    @Override
    public int open() {
        return real.open();
    }

    @Override
    public MemorySegment[] map(int fd, Arena arena, long ringsBytes, long sqesBytes) {
        return real.map(fd, arena, ringsBytes, sqesBytes);
    }

    /** Gives {@code fd} back now, or, inside {@link #closeHolding} on this thread, once its clean-up has run. */
    @Override
    public void close(int fd) {
        int[] h = held.get();
        if (h != null && h[0] == NONE) {
            h[0] = fd;
            return;
        }
        real.close(fd);
    }

    /**
     * Runs {@code close} (the model's close of one ring, which gives its descriptor back through {@link #close}),
     * then, if it answered 0, {@code forget}, and only then gives the descriptor back; answers what {@code close} did.
     */
    int closeHolding(IntSupplier close, Runnable forget) {
        int[] h = {NONE};
        held.set(h);
        int r;
        try {
            r = close.getAsInt();
        } finally {
            held.remove();
        }
        try {
            if (r == 0) {
                forget.run();
            }
        } finally {
            if (h[0] != NONE) {
                real.close(h[0]);
            }
        }
        return r;
    }
}
