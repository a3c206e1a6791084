package dev.ringspec.uapi;

/**
 * The classic-BPF constants of {@code linux/bpf_common.h} and {@code linux/filter.h}: instruction classes, sizes,
 * modes, operations, sources, the return-value and miscellaneous selectors, and the special offsets of socket
 * filters. A classic instruction is {@link SockFilter}; the code is {@code class | size | mode} for loads,
 * {@code class | op | src} for ALU and jumps, {@code class | rval} for returns.
 */
public final class Filter {
    private Filter() {
    }

    // bpf_common.h: instruction classes, BPF_CLASS(code) = code & 0x07
    public static final int BPF_LD = 0x00;
    public static final int BPF_LDX = 0x01;
    public static final int BPF_ST = 0x02;
    public static final int BPF_STX = 0x03;
    public static final int BPF_ALU = 0x04;
    public static final int BPF_JMP = 0x05;
    public static final int BPF_RET = 0x06;
    public static final int BPF_MISC = 0x07;

    // ld/ldx sizes, BPF_SIZE(code) = code & 0x18
    public static final int BPF_W = 0x00;
    public static final int BPF_H = 0x08;
    public static final int BPF_B = 0x10;

    // ld/ldx modes, BPF_MODE(code) = code & 0xe0
    public static final int BPF_IMM = 0x00;
    public static final int BPF_ABS = 0x20;
    public static final int BPF_IND = 0x40;
    public static final int BPF_MEM = 0x60;
    public static final int BPF_LEN = 0x80;
    public static final int BPF_MSH = 0xa0;

    // alu and jump operations, BPF_OP(code) = code & 0xf0
    public static final int BPF_ADD = 0x00;
    public static final int BPF_SUB = 0x10;
    public static final int BPF_MUL = 0x20;
    public static final int BPF_DIV = 0x30;
    public static final int BPF_OR = 0x40;
    public static final int BPF_AND = 0x50;
    public static final int BPF_LSH = 0x60;
    public static final int BPF_RSH = 0x70;
    public static final int BPF_NEG = 0x80;
    public static final int BPF_MOD = 0x90;
    public static final int BPF_XOR = 0xa0;

    public static final int BPF_JA = 0x00;
    public static final int BPF_JEQ = 0x10;
    public static final int BPF_JGT = 0x20;
    public static final int BPF_JGE = 0x30;
    public static final int BPF_JSET = 0x40;

    // sources, BPF_SRC(code) = code & 0x08
    public static final int BPF_K = 0x00;
    public static final int BPF_X = 0x08;

    /** The longest classic program the kernel takes (bpf_common.h). */
    public static final int BPF_MAXINSNS = 4096;

    // filter.h: ret - BPF_K and BPF_X also apply, BPF_RVAL(code) = code & 0x18
    public static final int BPF_A = 0x10;

    // misc operations, BPF_MISCOP(code) = code & 0xf8
    public static final int BPF_TAX = 0x00;
    public static final int BPF_TXA = 0x80;

    /** Words of scratch memory, {@code M[0]} to {@code M[15]} (filter.h). */
    public static final int BPF_MEMWORDS = 16;

    // socket filters: ancillary data and the network and link-layer header bases for BPF_ABS loads
    public static final int SKF_AD_OFF = -0x1000;
    public static final int SKF_AD_MAX = 64;
    public static final int SKF_NET_OFF = -0x100000;
    public static final int SKF_LL_OFF = -0x200000;

    public static int bpfClass(int code) {
        return code & 0x07;
    }

    public static int bpfSize(int code) {
        return code & 0x18;
    }

    public static int bpfMode(int code) {
        return code & 0xe0;
    }

    public static int bpfOp(int code) {
        return code & 0xf0;
    }

    public static int bpfSrc(int code) {
        return code & 0x08;
    }

    public static int bpfRval(int code) {
        return code & 0x18;
    }

    public static int bpfMiscop(int code) {
        return code & 0xf8;
    }
}
