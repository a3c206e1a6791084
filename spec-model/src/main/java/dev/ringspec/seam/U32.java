package dev.ringspec.seam;

/**
 * Arithmetic on the rings' free-running u32 counters. A head or tail is a counter; a slot is an index
 * ({@code index = counter & mask}). Distances are {@code tail - head} in int arithmetic, which wraps mod 2^32.
 */
public final class U32 {
    private U32() {
    }

    /** How many entries lie between two counters: {@code tail - head}, taken as unsigned. */
    public static long distance(int tail, int head) {
        return Integer.toUnsignedLong(tail - head);
    }

    /** Compares two counters as unsigned 32-bit values. */
    public static int compare(int a, int b) {
        return Integer.compareUnsigned(a, b);
    }

    /** The smaller of two unsigned values. */
    public static int min(int a, int b) {
        return Integer.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /** The unsigned value as a long, for printing and for arithmetic that must not wrap. */
    public static long value(int counter) {
        return Integer.toUnsignedLong(counter);
    }
}
