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
import static dev.ringspec.uapi.Filter.BPF_MAXINSNS;
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

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The classic-BPF checker of {@code net/core/filter.c}: {@code bpf_check_basics_ok}, then
 * {@code bpf_check_classic} with {@code chk_code_allowed} and {@code check_load_and_stores}, each rule in the
 * kernel's order. Every caller of the classic checker (socket filters, seccomp, io_uring) runs these first; what
 * each adds is in {@link SocketFilterChecker} and {@link IoUringCbpfChecker}.
 */
public final class ClassicChecker {
    private ClassicChecker() {
    }

    /** {@code chk_code_allowed}'s table: the opcodes a classic program may use, indexed by code. */
    private static final boolean[] CODES = new boolean[(BPF_LDX | BPF_B | BPF_MSH) + 1];

    static {
        int[] allowed = {
            BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X,
            BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X, BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
            BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
            BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X,
            BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X, BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X,
            BPF_ALU | BPF_NEG,
            BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_LEN,
            BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND, BPF_LD | BPF_IMM,
            BPF_LD | BPF_MEM, BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM,
            BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A,
            BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
            BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
            BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
        };
        for (int code : allowed) {
            CODES[code] = true;
        }
    }

    /** {@code chk_code_allowed}: whether a classic program may use {@code code} at all. */
    public static boolean chkCodeAllowed(int code) {
        return code >= 0 && code < CODES.length && CODES[code];
    }

    /** {@code bpf_check_basics_ok} then {@code bpf_check_classic}, as every classic attach starts. */
    public static CheckResult check(List<SockFilter> program, Set<BpfMutant> mutants) {
        Objects.requireNonNull(mutants, "mutants");
        CheckResult basics = bpfCheckBasicsOk(program);
        return basics.accepted() ? bpfCheckClassic(program, mutants) : basics;
    }

    /**
     * {@code bpf_check_basics_ok}: a program is there and has 1 to {@code BPF_MAXINSNS} instructions. A null
     * list is the kernel's NULL filter pointer; a null instruction is a caller's bug and throws.
     */
    public static CheckResult bpfCheckBasicsOk(List<SockFilter> program) {
        // bpf_check_basics_ok: filter == NULL -> -EINVAL
        if (program == null) {
            return CheckResult.reject(Errno.EINVAL, -1, "bpf_check_basics_ok: no filter (NULL)");
        }
        // bpf_check_basics_ok: flen == 0 || flen > BPF_MAXINSNS -> -EINVAL
        if (program.isEmpty() || program.size() > BPF_MAXINSNS) {
            return CheckResult.reject(Errno.EINVAL, -1, "bpf_check_basics_ok: " + program.size()
                    + " instructions, not 1 to " + BPF_MAXINSNS);
        }
        for (int i = 0; i < program.size(); i++) {
            if (program.get(i) == null) {
                throw new NullPointerException("instruction " + i + " of the program is null");
            }
        }
        return CheckResult.ACCEPTED;
    }

    /**
     * {@code bpf_check_classic} on a program that passed {@link #bpfCheckBasicsOk}: each instruction in order,
     * then the last must be a RET, then {@code check_load_and_stores}. The first failure is the answer.
     */
    public static CheckResult bpfCheckClassic(List<SockFilter> program, Set<BpfMutant> mutants) {
        int flen = program.size();
        for (int pc = 0; pc < flen; pc++) {
            SockFilter ftest = program.get(pc);
            int code = ftest.code();
            int k = ftest.k();
            // bpf_check_classic: chk_code_allowed -> -EINVAL
            if (!chkCodeAllowed(code)) {
                return CheckResult.reject(Errno.EINVAL, pc, String.format(
                        "chk_code_allowed: code 0x%x is not a classic instruction", code));
            }
            switch (code) {
                case BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_MOD | BPF_K -> {
                    // bpf_check_classic: division by a constant 0 -> -EINVAL
                    if (k == 0) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: DIV or MOD by K = 0");
                    }
                }
                case BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K -> {
                    // bpf_check_classic: shift by K >= 32 (unsigned) -> -EINVAL
                    int limit = mutants.contains(BpfMutant.SHIFT_BY_32_ACCEPTED) ? 33 : 32;
                    if (Integer.compareUnsigned(k, limit) >= 0) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: shift by K = "
                                + Integer.toUnsignedString(k) + " >= 32");
                    }
                }
                case BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX -> {
                    // bpf_check_classic: scratch index K >= BPF_MEMWORDS (unsigned) -> -EINVAL
                    if (Integer.compareUnsigned(k, BPF_MEMWORDS) >= 0) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: scratch index K = "
                                + Integer.toUnsignedString(k) + " >= BPF_MEMWORDS");
                    }
                }
                case BPF_JMP | BPF_JA -> {
                    // bpf_check_classic: JA K >= flen - pc - 1 (unsigned) -> -EINVAL
                    if (Integer.compareUnsigned(k, flen - pc - 1) >= 0) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: JA K = "
                                + Integer.toUnsignedString(k) + " jumps past the last instruction");
                    }
                }
                case BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
                     BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
                     BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X -> {
                    // bpf_check_classic: pc + jt + 1 >= flen or pc + jf + 1 >= flen -> -EINVAL
                    int end = mutants.contains(BpfMutant.JUMP_PAST_END_ACCEPTED) ? flen + 1 : flen;
                    if (pc + ftest.jt() + 1 >= end || pc + ftest.jf() + 1 >= end) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: jt = " + ftest.jt()
                                + " or jf = " + ftest.jf() + " jumps past the last instruction");
                    }
                }
                case BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS -> {
                    // bpf_check_classic: K >= SKF_AD_OFF (unsigned) not known to bpf_anc_helper -> -EINVAL
                    if (Integer.compareUnsigned(k, SKF_AD_OFF) >= 0 && Ancillary.ofK(k) == null
                            && !mutants.contains(BpfMutant.UNKNOWN_ANCILLARY_ACCEPTED)) {
                        return CheckResult.reject(Errno.EINVAL, pc, "bpf_check_classic: K = SKF_AD_OFF + "
                                + (k - SKF_AD_OFF) + " is not an ancillary load bpf_anc_helper knows");
                    }
                }
                default -> {
                }
            }
        }
        // bpf_check_classic: the last instruction must be RET K or RET A -> -EINVAL
        int last = program.get(flen - 1).code();
        if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) {
            return CheckResult.reject(Errno.EINVAL, flen - 1, "bpf_check_classic: the last instruction is not a RET");
        }
        if (mutants.contains(BpfMutant.UNINITIALISED_SCRATCH_ACCEPTED)) {
            return CheckResult.ACCEPTED;
        }
        return checkLoadAndStores(program);
    }

    /**
     * {@code check_load_and_stores}: walks the instructions in order with one bit per scratch word, set by ST and
     * STX; a jump narrows the set at its targets to what is written here and makes the next instruction's set
     * "everything" (so code only reached by falling past a JA counts as initialised, as in the kernel); a LD or
     * LDX of a word whose bit is clear is -EINVAL.
     */
    static CheckResult checkLoadAndStores(List<SockFilter> program) {
        int flen = program.size();
        int[] masks = new int[flen];
        Arrays.fill(masks, 0xffff);
        int memvalid = 0;
        for (int pc = 0; pc < flen; pc++) {
            memvalid &= masks[pc];
            SockFilter insn = program.get(pc);
            switch (insn.code()) {
                case BPF_ST, BPF_STX -> memvalid |= 1 << insn.k();
                case BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM -> {
                    // check_load_and_stores: M[K] not written on every path here -> -EINVAL
                    if ((memvalid & (1 << insn.k())) == 0) {
                        return CheckResult.reject(Errno.EINVAL, pc, "check_load_and_stores: M[" + insn.k()
                                + "] is read before it is written on some path");
                    }
                }
                case BPF_JMP | BPF_JA -> {
                    narrow(masks, pc + 1 + insn.k(), memvalid);
                    memvalid = 0xffff;
                }
                case BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
                     BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
                     BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X -> {
                    narrow(masks, pc + 1 + insn.jt(), memvalid);
                    narrow(masks, pc + 1 + insn.jf(), memvalid);
                    memvalid = 0xffff;
                }
                default -> {
                }
            }
        }
        return CheckResult.ACCEPTED;
    }

    /** A jump's target learns what is written here; a mutant's target past the end has no mask. */
    private static void narrow(int[] masks, int target, int memvalid) {
        if (target < masks.length) {
            masks[target] &= memvalid;
        }
    }
}
