package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_X;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;

import java.util.List;

/**
 * What {@code bpf_convert_filter} (net/core/filter.c) does to a checked program that can fail: it lays out the
 * eBPF translation (x86-64: {@code CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS}, little-endian bitfields) and every
 * jump must fit the 16-bit eBPF offset. The second call makes two passes; in the first the targets' addresses are
 * still 0 (the array is zeroed), so a jump whose own address is beyond 32767 fails even when its target is near.
 * The translation's length also decides what a socket filter is charged ({@code bpf_prog_size}).
 */
public final class ClassicConverter {
    private ClassicConverter() {
    }

    private static final int S16_MIN = Short.MIN_VALUE;
    private static final int S16_MAX = Short.MAX_VALUE;

    /** The eBPF instructions of {@code program} (prologue included), or -1 when a jump does not fit. */
    public static int convertedLength(List<SockFilter> program) {
        Layout layout = layout(program);
        return jumpsFit(program, layout) < 0 ? layout.length : -1;
    }

    /** {@code bpf_convert_filter}'s -EINVAL for a jump whose eBPF offset does not fit 16 bits, or accepted. */
    public static CheckResult bpfConvertFilter(List<SockFilter> program) {
        Layout layout = layout(program);
        int bad = jumpsFit(program, layout);
        return bad < 0 ? CheckResult.ACCEPTED : CheckResult.reject(Errno.EINVAL, bad,
                "bpf_convert_filter: the jump's eBPF offset does not fit in 16 bits (BPF_EMIT_JMP)");
    }

    private record Layout(int[] addrs, int length) {
    }

    private static Layout layout(List<SockFilter> program) {
        int n = program.size();
        boolean seenLdAbs = false;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            SockFilter insn = program.get(i);
            sizes[i] = size(insn);
            int code = insn.code();
            boolean ldPacket = Filter.bpfClass(code) == BPF_LD
                    && (Filter.bpfMode(code) == BPF_ABS || Filter.bpfMode(code) == BPF_IND);
            if ((ldPacket && !isExtension(insn)) || code == (BPF_LDX | BPF_B | BPF_MSH)) {
                seenLdAbs = true;
            }
        }
        // bpf_convert_filter: the prologue clears A and X and saves CTX; with LD ABS it also caches data and headlen
        int at = 3 + (seenLdAbs ? 4 : 0);
        int[] addrs = new int[n];
        for (int i = 0; i < n; i++) {
            addrs[i] = at;
            at += sizes[i];
        }
        return new Layout(addrs, at);
    }

    /** The first instruction whose jump does not fit in either pass, or -1. */
    private static int jumpsFit(List<SockFilter> program, Layout layout) {
        int[] addrs = layout.addrs;
        for (int i = 0; i < program.size(); i++) {
            SockFilter insn = program.get(i);
            int code = insn.code();
            if (Filter.bpfClass(code) != BPF_JMP) {
                continue;
            }
            if (code == (BPF_JMP | BPF_JA)) {
                if (!fits(addrs, i, i + insn.k() + 1, 0)) {
                    return i;
                }
                continue;
            }
            int before = Filter.bpfSrc(code) == BPF_K && insn.k() < 0 ? 1 : 0;
            if (insn.jf() == 0) {
                if (!fits(addrs, i, i + insn.jt() + 1, before)) {
                    return i;
                }
            } else if (insn.jt() == 0 && Filter.bpfOp(code) != BPF_JSET) {
                if (!fits(addrs, i, i + insn.jf() + 1, before)) {
                    return i;
                }
            } else if (!fits(addrs, i, i + insn.jt() + 1, before) || !fits(addrs, i, i + insn.jf() + 1, before + 1)) {
                return i;
            }
        }
        return -1;
    }

    /** BPF_EMIT_JMP in both passes: first with the target's address still 0, then with the real one. */
    private static boolean fits(int[] addrs, int i, int target, int indexInExpansion) {
        // BPF_EMIT_JMP: target >= len -> -EINVAL (only a mutant's checker lets one through)
        if (target >= addrs.length) {
            return false;
        }
        int first = -addrs[i] - 1 - indexInExpansion;
        int second = addrs[target] - addrs[i] - 1 - indexInExpansion;
        return first >= S16_MIN && first <= S16_MAX && second >= S16_MIN && second <= S16_MAX;
    }

    private static boolean isExtension(SockFilter insn) {
        return Filter.bpfMode(insn.code()) == BPF_ABS && Ancillary.ofK(insn.k()) != null;
    }

    /** How many eBPF instructions one classic instruction becomes. */
    private static int size(SockFilter insn) {
        int code = insn.code();
        int k = insn.k();
        return switch (Filter.bpfClass(code)) {
            case BPF_ALU -> code == (BPF_ALU | BPF_DIV | BPF_X) || code == (BPF_ALU | BPF_MOD | BPF_X) ? 5 : 1;
            case BPF_LD -> {
                int mode = Filter.bpfMode(code);
                if (mode == BPF_ABS && isExtension(insn)) {
                    yield extensionSize(Ancillary.ofK(k));
                }
                yield mode == BPF_ABS || mode == BPF_IND ? ldAbsSize(code, k) : 1;
            }
            // X = A, the byte load, A &= 0xf, A <<= 2, TMP = X, X = A, A = TMP
            case BPF_LDX -> code == (BPF_LDX | BPF_B | BPF_MSH) ? 1 + ldAbsSize(BPF_LD | BPF_ABS | BPF_B, k) + 5 : 1;
            case BPF_JMP -> {
                if (code == (BPF_JMP | BPF_JA)) {
                    yield 1;
                }
                int tmp = Filter.bpfSrc(code) == BPF_K && k < 0 ? 1 : 0;
                boolean one = insn.jf() == 0 || (insn.jt() == 0 && Filter.bpfOp(code) != BPF_JSET);
                yield tmp + (one ? 1 : 2);
            }
            case BPF_RET -> Filter.bpfRval(code) == BPF_K ? 2 : 1;
            default -> 1;
        };
    }

    /** convert_bpf_ld_abs with unaligned access allowed: the inline fast path for ABS K >= 0, then the helper call. */
    private static int ldAbsSize(int code, int k) {
        boolean indirect = Filter.bpfMode(code) == BPF_IND;
        boolean endian = Filter.bpfSize(code) != BPF_B;
        int count = 0;
        if (!indirect && k >= 0) {
            count += 1 + (k != 0 ? 1 : 0) + 1 + (k <= S16_MAX ? 1 : 3) + (endian ? 1 : 0) + 1;
        }
        // three argument moves, the offset (MOV imm, or MOV X plus ADD K), the call, JSGE, XOR, EXIT
        count += 3 + (indirect ? 1 + (k != 0 ? 1 : 0) : 1) + 4;
        return count;
    }

    private static int extensionSize(Ancillary selector) {
        return switch (selector) {
            case PROTOCOL, VLAN_TPID, PKTTYPE -> 2;
            case IFINDEX, HATYPE, PAY_OFFSET, NLATTR, NLATTR_NEST, CPU, RANDOM -> 4;
            case VLAN_TAG_PRESENT -> 3;
            case MARK, RXHASH, QUEUE, VLAN_TAG, ALU_XOR_X -> 1;
        };
    }
}
