package dev.ringspec.bpf;

/**
 * What a classic program reads besides its registers: the packet of a socket filter, or the context of an io_uring
 * filter. The interpreter computes the offset as the converted program does and asks this for the bytes; the data
 * decides what lies there, what is out of range and what the model cannot know.
 *
 * <p>Results are {@code long}: a loaded value is a zero-extended 32-bit number (0 to 2^32-1); the negative
 * constants below say why there is none. Implementations must not allocate: the oracle runs a million programs.
 */
public interface BpfData {
    /** The load is out of range: the kernel's converted program returns 0 ({@code bpf_skb_load_helper_*}). */
    long LOAD_FAILED = -1;
    /** What lies there is not determined by the model (a device field, a random number, another layout). */
    long OUTSIDE_MODEL = -2;
    /** The converted ancillary load exits the program, returning A unchanged (no {@code skb->dev}). */
    long EXIT_WITH_A = -3;

    /** What {@code BPF_LD|BPF_W|BPF_LEN} and {@code BPF_LDX|BPF_W|BPF_LEN} load. */
    int length();

    /**
     * A load of {@code sizeBytes} (1, 2 or 4) at {@code offset}.
     *
     * @param mode {@code BPF_ABS}, {@code BPF_IND} or {@code BPF_MSH} (the classic mode the load came from)
     * @param offset the offset as the kernel's helper sees it, an {@code int}: K for ABS and MSH, the 32-bit sum
     *        X + K for IND; negative values are the special bases {@code SKF_NET_OFF} and {@code SKF_LL_OFF}
     * @param sizeBytes 1, 2 or 4
     * @return the value, big-endian for a packet and native for a context, or {@link #LOAD_FAILED} or
     *         {@link #OUTSIDE_MODEL}
     */
    long load(int mode, int offset, int sizeBytes);

    /**
     * An ancillary load, {@code BPF_LD|BPF_ABS} at {@code SKF_AD_OFF + skfAd} ({@code convert_bpf_extensions}).
     *
     * @param skfAd the {@link Ancillary} selector's value ({@code SKF_AD_PROTOCOL}, ...)
     * @param a the accumulator (for {@code SKF_AD_ALU_XOR_X} and the helper calls)
     * @param x the index register
     * @return the new A, or {@link #EXIT_WITH_A} or {@link #OUTSIDE_MODEL}
     */
    long ancillary(int skfAd, int a, int x);
}
