package dev.ringspec.bpf;

import dev.ringspec.uapi.Filter;

/**
 * The ancillary selectors of {@code linux/filter.h}: a socket filter's {@code BPF_LD|BPF_ABS} (any size) at
 * {@code SKF_AD_OFF + value} loads skb metadata instead of packet bytes. {@code bpf_anc_helper} lists exactly
 * these; any other K at or above {@code SKF_AD_OFF} is rejected by {@code bpf_check_classic}.
 */
public enum Ancillary {
    PROTOCOL(0),
    PKTTYPE(4),
    IFINDEX(8),
    NLATTR(12),
    NLATTR_NEST(16),
    MARK(20),
    QUEUE(24),
    HATYPE(28),
    RXHASH(32),
    CPU(36),
    ALU_XOR_X(40),
    VLAN_TAG(44),
    VLAN_TAG_PRESENT(48),
    PAY_OFFSET(52),
    RANDOM(56),
    VLAN_TPID(60);

    private static final Ancillary[] BY_VALUE = new Ancillary[Filter.SKF_AD_MAX];

    static {
        for (Ancillary a : values()) {
            BY_VALUE[a.value] = a;
        }
    }

    /** {@code SKF_AD_<name>}. */
    public final int value;

    Ancillary(int value) {
        this.value = value;
    }

    /** The K that selects this: {@code SKF_AD_OFF + value}. */
    public int k() {
        return Filter.SKF_AD_OFF + value;
    }

    /** The selector a load's K names, or null when K is not one of {@code bpf_anc_helper}'s. */
    public static Ancillary ofK(int k) {
        int value = k - Filter.SKF_AD_OFF;
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
    }
}
