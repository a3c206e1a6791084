package dev.ringspec.bpf;

import static dev.ringspec.bpf.Insns.jump;
import static dev.ringspec.bpf.Insns.prog;
import static dev.ringspec.bpf.Insns.retK;
import static dev.ringspec.bpf.Insns.stmt;
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JGT;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.uapi.SockFilter;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every mutant changes an answer the kernel gives: a program the kernel rejects and the mutant accepts (or the
 * reverse), or a run whose return value differs. The kernel's answers are those of ClassicCheckerTest,
 * ClassicInterpreterTest and IoUringFilterTest; the switch is exhaustive, so a new mutant needs a case here.
 */
class BpfMutantTest {
    private static final SockFilter RET_A = stmt(BPF_RET | BPF_A, 0);
    private static final byte[] PACKET = {0x01, 0x02, 0x03, 0x04};

    private record Run(List<SockFilter> program, boolean ioUring) {
    }

    private static int value(Run run, Set<BpfMutant> mutants) {
        ClassicProgram program = ClassicProgram.of(run.program());
        RunResult result = run.ioUring()
                ? ClassicBpf.runOnIoUringContext(program, new byte[40], mutants)
                : ClassicBpf.runOnDatagram(program, PACKET, mutants);
        assertThat(result.insideModel()).as("%s", result).isTrue();
        return result.value();
    }

    @ParameterizedTest
    @EnumSource(BpfMutant.class)
    void eachMutantChangesAnAnswerTheKernelGives(BpfMutant mutant) {
        Set<BpfMutant> one = EnumSet.of(mutant);
        assertThat(mutant.breaks).matches("(net/core|kernel/bpf|io_uring)/\\w+\\.c \\w+.*");
        switch (mutant) {
            case DIV_BY_ZERO_X_CONTINUES, MOD_BY_ZERO_X_KEEPS_A, OUT_OF_RANGE_LOAD_READS_ZERO, HALFWORD_LITTLE_ENDIAN,
                 SHIFT_X_UNMASKED, RET_A_RETURNS_X, JUMP_COMPARES_SIGNED, IO_URING_LEN_IS_ZERO -> {
                Run run = runFor(mutant);
                assertThat(run.ioUring() ? ClassicBpf.checkIoUringFilter(run.program())
                        : ClassicBpf.checkSocketFilter(run.program())).satisfies(r -> assertThat(r.accepted()).isTrue());
                int kernel = value(run, Set.of());
                int mutated = value(run, one);
                assertThat(mutated).as("kernel %d", kernel).isNotEqualTo(kernel);
                assertThat(kernel).isEqualTo(kernelValue(mutant));
            }
            case JUMP_PAST_END_ACCEPTED -> {
                // bpf_check_classic alone shows it; bpf_convert_filter then refuses the target >= len with -EINVAL
                List<SockFilter> program = rejectedFor(mutant);
                assertThat(ClassicBpf.check(program).rejected()).isTrue();
                assertThat(ClassicBpf.check(program, one).accepted()).isTrue();
                assertThat(ClassicBpf.checkSocketFilter(program, one).errno()).isEqualTo(22);
            }
            case JUMP_TO_LAST_REJECTED -> {
                List<SockFilter> program = prog(jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), retK(1), retK(2));
                assertThat(ClassicBpf.checkSocketFilter(program).accepted()).isTrue();
                assertThat(ClassicBpf.checkSocketFilter(program, one).rejected()).isTrue();
            }
            case UNINITIALISED_SCRATCH_ACCEPTED, SHIFT_BY_32_ACCEPTED, UNKNOWN_ANCILLARY_ACCEPTED -> {
                List<SockFilter> program = rejectedFor(mutant);
                assertThat(ClassicBpf.checkSocketFilter(program).rejected()).isTrue();
                assertThat(ClassicBpf.checkSocketFilter(program, one).accepted()).isTrue();
            }
            case IO_URING_UNALIGNED_LOAD_ACCEPTED, IO_URING_MOD_ACCEPTED -> {
                List<SockFilter> program = rejectedFor(mutant);
                assertThat(ClassicBpf.checkIoUringFilter(program).rejected()).isTrue();
                assertThat(ClassicBpf.checkIoUringFilter(program, one).accepted()).isTrue();
            }
        }
    }

    private static Run runFor(BpfMutant mutant) {
        return switch (mutant) {
            case DIV_BY_ZERO_X_CONTINUES -> new Run(prog(stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
                    stmt(BPF_LD | BPF_IMM, 5), RET_A), false);
            case MOD_BY_ZERO_X_KEEPS_A -> new Run(prog(stmt(BPF_LD | BPF_IMM, 9), stmt(BPF_ALU | BPF_MOD | BPF_X, 0),
                    RET_A), false);
            case OUT_OF_RANGE_LOAD_READS_ZERO -> new Run(prog(stmt(BPF_LD | BPF_B | BPF_ABS, 100), retK(1)), false);
            case HALFWORD_LITTLE_ENDIAN -> new Run(prog(stmt(BPF_LD | BPF_H | BPF_ABS, 0), RET_A), false);
            case SHIFT_X_UNMASKED -> new Run(prog(stmt(BPF_LD | BPF_IMM, 1), stmt(BPF_LDX | BPF_IMM, 33),
                    stmt(BPF_ALU | BPF_LSH | BPF_X, 0), RET_A), false);
            case RET_A_RETURNS_X -> new Run(prog(stmt(BPF_LD | BPF_IMM, 1), stmt(BPF_LDX | BPF_IMM, 2), RET_A), false);
            case JUMP_COMPARES_SIGNED -> new Run(prog(stmt(BPF_LD | BPF_IMM, -1),
                    jump(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 1), retK(10), retK(20)), false);
            case IO_URING_LEN_IS_ZERO -> new Run(prog(stmt(BPF_LD | BPF_W | BPF_LEN, 0), RET_A), true);
            default -> throw new IllegalArgumentException(mutant + " is a checker mutant");
        };
    }

    /** What the kernel returns for {@link #runFor}, worked out from net/core/filter.c and kernel/bpf/core.c. */
    private static int kernelValue(BpfMutant mutant) {
        return switch (mutant) {
            case DIV_BY_ZERO_X_CONTINUES, MOD_BY_ZERO_X_KEEPS_A, OUT_OF_RANGE_LOAD_READS_ZERO -> 0;
            case HALFWORD_LITTLE_ENDIAN -> 0x0102;
            case SHIFT_X_UNMASKED -> 2;
            case RET_A_RETURNS_X -> 1;
            case JUMP_COMPARES_SIGNED -> 10;
            case IO_URING_LEN_IS_ZERO -> 40;
            default -> throw new IllegalArgumentException(mutant + " is a checker mutant");
        };
    }

    private static List<SockFilter> rejectedFor(BpfMutant mutant) {
        return switch (mutant) {
            case UNINITIALISED_SCRATCH_ACCEPTED -> prog(stmt(BPF_LD | BPF_MEM, 0), RET_A);
            case JUMP_PAST_END_ACCEPTED -> prog(jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_A);
            case SHIFT_BY_32_ACCEPTED -> prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET_A);
            case UNKNOWN_ANCILLARY_ACCEPTED -> prog(stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 64), RET_A);
            case IO_URING_UNALIGNED_LOAD_ACCEPTED -> prog(stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_A);
            case IO_URING_MOD_ACCEPTED -> prog(stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_A);
            default -> throw new IllegalArgumentException(mutant + " is an interpreter mutant");
        };
    }
}
