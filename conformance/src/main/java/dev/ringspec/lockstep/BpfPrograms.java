package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.bpfClass;
import static dev.ringspec.uapi.Filter.bpfMode;
import static dev.ringspec.uapi.Filter.bpfOp;
import static dev.ringspec.uapi.Filter.bpfSize;
import static dev.ringspec.uapi.Filter.bpfSrc;

import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringBpfFilter;
import java.util.Arrays;
import java.util.Objects;

/**
 * Classic-BPF instructions as the filter steps carry them: one {@code struct sock_filter} per long, {@code code} in
 * bits 48 to 63, {@code jt} in 40 to 47, {@code jf} in 32 to 39 and {@code k} in the low 32 bits, so a program is a
 * {@code long[]} the JSON replay, the JUnit reproducer and the C reproducer all write as numbers.
 */
final class BpfPrograms {
    private BpfPrograms() {
    }

    static long insn(int code, int jt, int jf, int k) {
        return (long) (code & 0xffff) << 48 | (long) (jt & 0xff) << 40 | (long) (jf & 0xff) << 32
                | Integer.toUnsignedLong(k);
    }

    /** A statement: {@code BPF_STMT(code, k)}. */
    static long stmt(int code, int k) {
        return insn(code, 0, 0, k);
    }

    static int code(long insn) {
        return (int) (insn >>> 48) & 0xffff;
    }

    static int jt(long insn) {
        return (int) (insn >>> 40) & 0xff;
    }

    static int jf(long insn) {
        return (int) (insn >>> 32) & 0xff;
    }

    static int k(long insn) {
        return (int) insn;
    }

    /** Whether two filter arguments agree in every field and instruction (a record compares arrays by identity). */
    static boolean sameArguments(Step.BpfFilterArg a, Step.BpfFilterArg b) {
        return a.nrArgs() == b.nrArgs() && a.argForm() == b.argForm() && a.cmdType() == b.cmdType()
                && a.cmdFlags() == b.cmdFlags() && a.resv() == b.resv() && a.opcode() == b.opcode()
                && a.flags() == b.flags() && a.filterLen() == b.filterLen() && a.pduSize() == b.pduSize()
                && a.resvFlags() == b.resvFlags() && Arrays.equals(a.program(), b.program());
    }

    static int hash(Step.BpfFilterArg a) {
        return Objects.hash(a.nrArgs(), a.argForm(), a.cmdType(), a.cmdFlags(), a.resv(), a.opcode(), a.flags(),
                a.filterLen(), a.pduSize(), a.resvFlags(), Arrays.hashCode(a.program()));
    }

    /** A filter step in one line: the struct's fields that are not the usual ones, and the program disassembled. */
    static String describe(Step.BpfFilterArg f) {
        StringBuilder b = new StringBuilder(f instanceof Step.RegisterTaskBpfFilter ? "registerTaskBpfFilter("
                : "registerBpfFilter(");
        b.append("opcode ").append(f.opcode());
        if (f.flags() != 0) {
            b.append(", flags ");
            b.append((f.flags() & IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST) != 0 ? "DENY_REST" : "");
            b.append((f.flags() & IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT) != 0 ? "|SZ_STRICT" : "");
            int other = f.flags() & ~(IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST
                    | IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT);
            b.append(other != 0 ? "|0x" + Integer.toHexString(other) : "");
        }
        b.append(", pdu_size ").append(f.pduSize()).append(", filter_len ").append(f.filterLen());
        if (f.nrArgs() != 1) {
            b.append(", nr_args ").append(f.nrArgs());
        }
        b.append(switch (f.argForm()) {
            case 0 -> "";
            case 1 -> ", NULL argument";
            case 2 -> ", NULL filter_ptr";
            default -> ", unmapped filter_ptr";
        });
        if (f.cmdType() != IoUringBpfFilter.IO_URING_BPF_CMD_FILTER || f.cmdFlags() != 0 || f.resv() != 0) {
            b.append(", cmd_type ").append(f.cmdType()).append(", cmd_flags ").append(f.cmdFlags()).append(", resv ")
                    .append(f.resv());
        }
        if (f.resvFlags() != 0) {
            b.append(", resv bits 0x").append(Integer.toHexString(f.resvFlags()));
        }
        b.append(": ");
        long[] program = f.program();
        for (int i = 0; i < program.length; i++) {
            b.append(i == 0 ? "" : "; ").append(disassemble(program[i]));
        }
        return b.append(")").toString();
    }

    /** One instruction in the usual assembler's words ({@code ld [4]}, {@code jeq #7, 0, 1}, {@code ret #0}). */
    static String disassemble(long insn) {
        int code = code(insn);
        int k = k(insn);
        String kx = bpfSrc(code) == BPF_X ? "x" : "#" + Integer.toUnsignedString(k);
        return switch (bpfClass(code)) {
            case Filter.BPF_LD, Filter.BPF_LDX -> {
                String op = (bpfClass(code) == Filter.BPF_LDX ? "ldx" : "ld") + switch (bpfSize(code)) {
                    case Filter.BPF_H -> "h";
                    case Filter.BPF_B -> "b";
                    default -> "";
                };
                yield op + " " + switch (bpfMode(code)) {
                    case BPF_IMM -> "#" + Integer.toUnsignedString(k);
                    case BPF_ABS -> "[" + k + "]";
                    case BPF_IND -> "[x + " + k + "]";
                    case BPF_MEM -> "M[" + k + "]";
                    case BPF_LEN -> "len";
                    case BPF_MSH -> "4*([" + k + "]&0xf)";
                    default -> "mode 0x" + Integer.toHexString(bpfMode(code));
                };
            }
            case Filter.BPF_ST -> "st M[" + k + "]";
            case Filter.BPF_STX -> "stx M[" + k + "]";
            case Filter.BPF_ALU -> alu(bpfOp(code)) + (bpfOp(code) == Filter.BPF_NEG ? "" : " " + kx);
            case Filter.BPF_JMP -> bpfOp(code) == Filter.BPF_JA ? "ja +" + k
                    : jump(bpfOp(code)) + " " + kx + ", " + jt(insn) + ", " + jf(insn);
            case Filter.BPF_RET -> "ret " + ((code & 0x18) == BPF_A ? "a" : "#" + Integer.toUnsignedString(k));
            default -> (code & 0xf8) == 0 ? "tax" : (code & 0xf8) == 0x80 ? "txa" : "misc 0x"
                    + Integer.toHexString(code);
        } + (isKnownShape(code) ? "" : " (code 0x" + Integer.toHexString(code) + ")");
    }

    private static boolean isKnownShape(int code) {
        return code < 0x100;
    }

    private static String alu(int op) {
        return switch (op) {
            case Filter.BPF_ADD -> "add";
            case Filter.BPF_SUB -> "sub";
            case Filter.BPF_MUL -> "mul";
            case Filter.BPF_DIV -> "div";
            case Filter.BPF_OR -> "or";
            case Filter.BPF_AND -> "and";
            case Filter.BPF_LSH -> "lsh";
            case Filter.BPF_RSH -> "rsh";
            case Filter.BPF_NEG -> "neg";
            case Filter.BPF_MOD -> "mod";
            case Filter.BPF_XOR -> "xor";
            default -> "alu 0x" + Integer.toHexString(op);
        };
    }

    private static String jump(int op) {
        return switch (op) {
            case Filter.BPF_JEQ -> "jeq";
            case Filter.BPF_JGT -> "jgt";
            case Filter.BPF_JGE -> "jge";
            case Filter.BPF_JSET -> "jset";
            default -> "jmp 0x" + Integer.toHexString(op);
        };
    }

    /** The pdu_size the 7.x kernels give {@code opcode}'s filter context ({@code io_issue_defs}), else 0. */
    static int pduSize(int opcode) {
        return switch (opcode) {
            case IoUring.IORING_OP_SOCKET -> 12;
            case IoUring.IORING_OP_OPENAT, IoUring.IORING_OP_OPENAT2, IoUring.IORING_OP_CONNECT -> 24;
            default -> 0;
        };
    }
}
