package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ADD;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_AND;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JGE;
import static dev.ringspec.uapi.Filter.BPF_JGT;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MEMWORDS;
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_MUL;
import static dev.ringspec.uapi.Filter.BPF_NEG;
import static dev.ringspec.uapi.Filter.BPF_OR;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_RSH;
import static dev.ringspec.uapi.Filter.BPF_ST;
import static dev.ringspec.uapi.Filter.BPF_STX;
import static dev.ringspec.uapi.Filter.BPF_SUB;
import static dev.ringspec.uapi.Filter.BPF_TAX;
import static dev.ringspec.uapi.Filter.BPF_TXA;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.BPF_XOR;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;

import dev.ringspec.bpf.RunResult.Ending;

import java.util.Objects;
import java.util.Set;

/**
 * Runs a classic program as the kernel runs it: {@code bpf_convert_filter} turns it into eBPF, which the eBPF
 * interpreter ({@code kernel/bpf/core.c}) or the x86-64 JIT executes. A and X are 32 bits; every ALU operation is
 * an {@code ALU32} one (unsigned division, shifts by {@code X & 31}); jumps compare unsigned; {@code DIV X} and
 * {@code MOD X} with X = 0 return 0; a failed packet load returns 0. The data ({@link BpfData}) supplies LEN and
 * the loads.
 *
 * <p>Anything the kernel would never run (an instruction the checker rejects, a jump past the end, a read of
 * scratch memory never written) ends the run outside the model rather than guessing. No allocation per
 * instruction; an instance reuses its scratch memory and is not thread-safe.
 */
public final class ClassicInterpreter {
    private static final String UNKNOWN_CODE = "an instruction bpf_check_classic rejects";
    private static final String PAST_END = "a jump or fall-through past the last instruction";
    private static final String SCRATCH_UNWRITTEN = "a read of scratch memory never written (kernel stack content)";
    private static final String SCRATCH_RANGE = "a scratch index at or above BPF_MEMWORDS";
    private static final String CONSTANT_RANGE = "DIV or MOD by K = 0, or a shift by K >= 32";
    private static final String DATA_UNKNOWN = "a load whose value the data does not determine";

    private final int[] mem = new int[BPF_MEMWORDS];

    /** Runs {@code program} on {@code data} with {@code mutants} (empty: the kernel). */
    public RunResult run(ClassicProgram program, BpfData data, Set<BpfMutant> mutants) {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(mutants, "mutants");
        return mutants.isEmpty() ? execute(program, data, null) : execute(program, data, mutants);
    }

    private RunResult execute(ClassicProgram p, BpfData data, Set<BpfMutant> m) {
        short[] codes = p.code;
        int[] ks = p.k;
        int n = codes.length;
        int[] mem = this.mem;
        int written = 0;
        int a = 0;
        int x = 0;
        int pc = 0;
        int executed = 0;
        while (true) {
            if (pc >= n) {
                return RunResult.outsideModel(PAST_END, executed);
            }
            int code = codes[pc] & 0xffff;
            int k = ks[pc];
            executed++;
            switch (code) {
                case BPF_LD | BPF_IMM -> a = k;
                case BPF_LDX | BPF_IMM -> x = k;
                case BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM -> {
                    if (k < 0 || k >= BPF_MEMWORDS) {
                        return RunResult.outsideModel(SCRATCH_RANGE, executed);
                    }
                    if ((written & (1 << k)) == 0) {
                        return RunResult.outsideModel(SCRATCH_UNWRITTEN, executed);
                    }
                    if (code == (BPF_LD | BPF_MEM)) {
                        a = mem[k];
                    } else {
                        x = mem[k];
                    }
                }
                case BPF_ST, BPF_STX -> {
                    if (k < 0 || k >= BPF_MEMWORDS) {
                        return RunResult.outsideModel(SCRATCH_RANGE, executed);
                    }
                    mem[k] = code == BPF_ST ? a : x;
                    written |= 1 << k;
                }
                case BPF_LD | BPF_W | BPF_LEN -> a = length(data, m);
                case BPF_LDX | BPF_W | BPF_LEN -> x = length(data, m);
                case BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS -> {
                    long v;
                    // convert_bpf_extensions: a K bpf_anc_helper knows loads skb metadata
                    if (Integer.compareUnsigned(k, SKF_AD_OFF) >= 0 && Ancillary.ofK(k) != null) {
                        v = data.ancillary(k - SKF_AD_OFF, a, x);
                        if (v == BpfData.EXIT_WITH_A) {
                            return new RunResult(Ending.NO_DEVICE, a, executed, null);
                        }
                    } else {
                        v = load(data, BPF_ABS, k, code, m);
                    }
                    if (v < 0) {
                        if (v == BpfData.OUTSIDE_MODEL) {
                            return RunResult.outsideModel(DATA_UNKNOWN, executed);
                        }
                        if (m == null || !m.contains(BpfMutant.OUT_OF_RANGE_LOAD_READS_ZERO)) {
                            return new RunResult(Ending.LOAD_FAILED, 0, executed, null);
                        }
                        v = 0;
                    }
                    a = (int) v;
                }
                case BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND -> {
                    // convert_bpf_ld_abs: ARG4 = X + K, passed to the helper as an int
                    long v = load(data, BPF_IND, x + k, code, m);
                    if (v < 0) {
                        if (v == BpfData.OUTSIDE_MODEL) {
                            return RunResult.outsideModel(DATA_UNKNOWN, executed);
                        }
                        if (m == null || !m.contains(BpfMutant.OUT_OF_RANGE_LOAD_READS_ZERO)) {
                            return new RunResult(Ending.LOAD_FAILED, 0, executed, null);
                        }
                        v = 0;
                    }
                    a = (int) v;
                }
                case BPF_LDX | BPF_B | BPF_MSH -> {
                    // bpf_convert_filter: X = 4 * (P[K] & 0xf) through the same byte load as LD B ABS
                    long v = data.load(BPF_MSH, k, 1);
                    if (v < 0) {
                        if (v == BpfData.OUTSIDE_MODEL) {
                            return RunResult.outsideModel(DATA_UNKNOWN, executed);
                        }
                        if (m == null || !m.contains(BpfMutant.OUT_OF_RANGE_LOAD_READS_ZERO)) {
                            return new RunResult(Ending.LOAD_FAILED, 0, executed, null);
                        }
                        v = 0;
                    }
                    x = ((int) v & 0xf) << 2;
                }
                case BPF_ALU | BPF_ADD | BPF_K -> a += k;
                case BPF_ALU | BPF_ADD | BPF_X -> a += x;
                case BPF_ALU | BPF_SUB | BPF_K -> a -= k;
                case BPF_ALU | BPF_SUB | BPF_X -> a -= x;
                case BPF_ALU | BPF_MUL | BPF_K -> a *= k;
                case BPF_ALU | BPF_MUL | BPF_X -> a *= x;
                case BPF_ALU | BPF_AND | BPF_K -> a &= k;
                case BPF_ALU | BPF_AND | BPF_X -> a &= x;
                case BPF_ALU | BPF_OR | BPF_K -> a |= k;
                case BPF_ALU | BPF_OR | BPF_X -> a |= x;
                case BPF_ALU | BPF_XOR | BPF_K -> a ^= k;
                case BPF_ALU | BPF_XOR | BPF_X -> a ^= x;
                case BPF_ALU | BPF_NEG -> a = -a;
                case BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_MOD | BPF_K -> {
                    if (k == 0) {
                        return RunResult.outsideModel(CONSTANT_RANGE, executed);
                    }
                    a = code == (BPF_ALU | BPF_DIV | BPF_K)
                            ? Integer.divideUnsigned(a, k) : Integer.remainderUnsigned(a, k);
                }
                case BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_X -> {
                    boolean div = code == (BPF_ALU | BPF_DIV | BPF_X);
                    if (x == 0) {
                        // bpf_convert_filter: if X == 0 then A = 0, exit
                        if (m != null && div && m.contains(BpfMutant.DIV_BY_ZERO_X_CONTINUES)) {
                            a = 0;
                        } else if (m != null && !div && m.contains(BpfMutant.MOD_BY_ZERO_X_KEEPS_A)) {
                            break;
                        } else {
                            return new RunResult(Ending.DIVIDED_BY_ZERO, 0, executed, null);
                        }
                    } else {
                        a = div ? Integer.divideUnsigned(a, x) : Integer.remainderUnsigned(a, x);
                    }
                }
                case BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K -> {
                    if (k < 0 || k >= 32) {
                        return RunResult.outsideModel(CONSTANT_RANGE, executed);
                    }
                    a = code == (BPF_ALU | BPF_LSH | BPF_K) ? a << k : a >>> k;
                }
                case BPF_ALU | BPF_LSH | BPF_X -> a = shiftX(a, x, true, m);
                case BPF_ALU | BPF_RSH | BPF_X -> a = shiftX(a, x, false, m);
                case BPF_MISC | BPF_TAX -> x = a;
                case BPF_MISC | BPF_TXA -> a = x;
                case BPF_RET | BPF_K -> {
                    return RunResult.returned(k, executed);
                }
                case BPF_RET | BPF_A -> {
                    return RunResult.returned(m != null && m.contains(BpfMutant.RET_A_RETURNS_X) ? x : a, executed);
                }
                case BPF_JMP | BPF_JA -> {
                    long target = pc + 1L + Integer.toUnsignedLong(k);
                    if (target >= n) {
                        return RunResult.outsideModel(PAST_END, executed);
                    }
                    pc = (int) target;
                    continue;
                }
                case BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGT | BPF_K,
                     BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X,
                     BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X -> {
                    int operand = (code & BPF_X) != 0 ? x : k;
                    boolean taken = switch (code & 0xf0) {
                        case BPF_JEQ -> a == operand;
                        case BPF_JGT -> compare(a, operand, m) > 0;
                        case BPF_JGE -> compare(a, operand, m) >= 0;
                        default -> (a & operand) != 0;
                    };
                    pc += 1 + ((taken ? p.jt[pc] : p.jf[pc]) & 0xff);
                    continue;
                }
                default -> {
                    return RunResult.outsideModel(UNKNOWN_CODE, executed);
                }
            }
            pc++;
        }
    }

    private static int length(BpfData data, Set<BpfMutant> m) {
        if (m != null && data instanceof IoUringContext && m.contains(BpfMutant.IO_URING_LEN_IS_ZERO)) {
            return 0;
        }
        return data.length();
    }

    private static long load(BpfData data, int mode, int offset, int code, Set<BpfMutant> m) {
        int size = switch (code & 0x18) {
            case BPF_W -> 4;
            case BPF_H -> 2;
            default -> 1;
        };
        long v = data.load(mode, offset, size);
        if (v >= 0 && size == 2 && m != null && m.contains(BpfMutant.HALFWORD_LITTLE_ENDIAN)) {
            v = Short.toUnsignedInt(Short.reverseBytes((short) v));
        }
        return v;
    }

    /** {@code ALU_LSH_X} / {@code ALU_RSH_X} of {@code ___bpf_prog_run}: the count is {@code X & 31}. */
    private static int shiftX(int a, int x, boolean left, Set<BpfMutant> m) {
        if (m != null && m.contains(BpfMutant.SHIFT_X_UNMASKED)) {
            long count = Integer.toUnsignedLong(x);
            if (count >= 32) {
                return 0;
            }
        }
        return left ? a << x : a >>> x;
    }

    private static int compare(int a, int operand, Set<BpfMutant> m) {
        return m != null && m.contains(BpfMutant.JUMP_COMPARES_SIGNED)
                ? Integer.compare(a, operand) : Integer.compareUnsigned(a, operand);
    }
}
