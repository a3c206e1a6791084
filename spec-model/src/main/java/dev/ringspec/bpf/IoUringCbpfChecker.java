package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ADD;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_AND;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_IMM;
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
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MOD;
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
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.BPF_XOR;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The classic program of {@code IORING_REGISTER_BPF_FILTER}: {@code io_register_bpf_filter} calls
 * {@code bpf_prog_create_from_user(..., io_uring_check_cbpf_filter, false)}, so {@code bpf_check_basics_ok} and
 * the whole of {@code bpf_check_classic} run first, and only a program they accept reaches
 * {@code io_uring_check_cbpf_filter} (io_uring/bpf_filter.c). That one walks the instructions in order and returns
 * -EINVAL at the first that is not on its list: of the loads only {@code LD W ABS} with K below 40 and a multiple
 * of 4 (rewritten into the context load), {@code LD/LDX W LEN} (rewritten into K = 40), immediates and scratch
 * memory; no {@code MOD}, no {@code IND}, no {@code MSH}, no 8- or 16-bit loads, no ancillary loads. The rewritten
 * program is then converted like any other (its jumps always fit).
 */
public final class IoUringCbpfChecker {
    private IoUringCbpfChecker() {
    }

    private static final boolean[] ALLOWED = new boolean[0x100];

    static {
        int[] allowed = {
            BPF_RET | BPF_K, BPF_RET | BPF_A,
            BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X,
            BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X, BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
            BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X, BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X,
            BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
            BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
            BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
            BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
            BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
            BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
            BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
        };
        for (int code : allowed) {
            ALLOWED[code] = true;
        }
    }

    /** {@code bpf_prog_create_from_user} with io_uring's check, as {@code io_register_bpf_filter} calls it. */
    public static CheckResult check(List<SockFilter> program, Set<BpfMutant> mutants) {
        Objects.requireNonNull(mutants, "mutants");
        // bpf_prog_create_from_user: bpf_check_basics_ok -> -EINVAL
        CheckResult basics = ClassicChecker.bpfCheckBasicsOk(program);
        if (!basics.accepted()) {
            return basics;
        }
        // bpf_prepare_filter: bpf_check_classic before the trans hook
        CheckResult classic = ClassicChecker.bpfCheckClassic(program, mutants);
        if (!classic.accepted()) {
            return classic;
        }
        CheckResult own = ioUringCheckCbpfFilter(program, mutants);
        if (!own.accepted()) {
            return own;
        }
        // bpf_migrate_filter: bpf_convert_filter of the rewritten program (its jumps always fit; checked anyway)
        return ClassicConverter.bpfConvertFilter(rewrite(program));
    }

    /** {@code io_uring_check_cbpf_filter} alone, on a program {@code bpf_check_classic} accepted. */
    public static CheckResult ioUringCheckCbpfFilter(List<SockFilter> program, Set<BpfMutant> mutants) {
        for (int pc = 0; pc < program.size(); pc++) {
            SockFilter ftest = program.get(pc);
            int code = ftest.code();
            int k = ftest.k();
            if (code == (BPF_LD | BPF_W | BPF_ABS)) {
                // io_uring_check_cbpf_filter: K >= sizeof(struct io_uring_bpf_ctx) (unsigned) or K & 3 -> -EINVAL
                boolean misaligned = (k & 3) != 0 && !mutants.contains(BpfMutant.IO_URING_UNALIGNED_LOAD_ACCEPTED);
                if (Integer.compareUnsigned(k, IoUringContext.SIZE_BYTES) >= 0 || misaligned) {
                    return CheckResult.reject(Errno.EINVAL, pc, "io_uring_check_cbpf_filter: context load at K = "
                            + Integer.toUnsignedString(k) + " is not an aligned word within the 40-byte context");
                }
                continue;
            }
            boolean mod = code == (BPF_ALU | BPF_MOD | BPF_K) || code == (BPF_ALU | BPF_MOD | BPF_X);
            // io_uring_check_cbpf_filter: anything off its list -> -EINVAL
            if (!(code == (BPF_LD | BPF_W | BPF_LEN) || code == (BPF_LDX | BPF_W | BPF_LEN)
                    || (code < ALLOWED.length && ALLOWED[code])
                    || (mod && mutants.contains(BpfMutant.IO_URING_MOD_ACCEPTED)))) {
                return CheckResult.reject(Errno.EINVAL, pc, String.format(
                        "io_uring_check_cbpf_filter: code 0x%x is not allowed in an io_uring filter", code));
            }
        }
        return CheckResult.ACCEPTED;
    }

    /**
     * The program {@code io_uring_check_cbpf_filter} leaves behind: {@code LD W ABS} becomes the seccomp-style
     * context load {@code BPF_LDX|BPF_W|BPF_ABS}, and {@code LD/LDX W LEN} becomes {@code LD/LDX IMM 40}.
     */
    public static List<SockFilter> rewrite(List<SockFilter> program) {
        return program.stream().map(insn -> switch (insn.code()) {
            case BPF_LD | BPF_W | BPF_ABS -> new SockFilter(BPF_LDX | BPF_W | BPF_ABS, insn.jt(), insn.jf(), insn.k());
            case BPF_LD | BPF_W | BPF_LEN -> new SockFilter(BPF_LD | BPF_IMM, insn.jt(), insn.jf(),
                    IoUringContext.SIZE_BYTES);
            case BPF_LDX | BPF_W | BPF_LEN -> new SockFilter(BPF_LDX | BPF_IMM, insn.jt(), insn.jf(),
                    IoUringContext.SIZE_BYTES);
            default -> insn;
        }).toList();
    }
}
