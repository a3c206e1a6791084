package dev.ringspec.bpf;

import static dev.ringspec.bpf.Insns.jump;
import static dev.ringspec.bpf.Insns.prog;
import static dev.ringspec.bpf.Insns.repeat;
import static dev.ringspec.bpf.Insns.retK;
import static dev.ringspec.bpf.Insns.stmt;
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JGT;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_NEG;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_RSH;
import static dev.ringspec.uapi.Filter.BPF_ST;
import static dev.ringspec.uapi.Filter.BPF_STX;
import static dev.ringspec.uapi.Filter.BPF_TXA;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static dev.ringspec.uapi.Filter.SKF_LL_OFF;
import static dev.ringspec.uapi.Filter.SKF_NET_OFF;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * bpf_check_basics_ok, bpf_check_classic, chk_code_allowed and check_load_and_stores (net/core/filter.c, Linux
 * 7.2.13); the expected answers are read off those functions.
 */
class ClassicCheckerTest {
    private static final SockFilter RET0 = retK(0);

    private static CheckResult check(List<SockFilter> program) {
        return ClassicBpf.check(program);
    }

    private static void assertRejected(CheckResult result, int index, String reasonPart) {
        assertThat(result.rejected()).as("%s", result).isTrue();
        assertThat(result.errno()).isEqualTo(Errno.EINVAL);
        assertThat(result.result()).isEqualTo(-22);
        assertThat(result.index()).isEqualTo(index);
        assertThat(result.reason()).contains(reasonPart);
    }

    @Test
    void basicsRejectNullEmptyAndLongerThanMaxinsnsWithEinval() {
        // bpf_check_basics_ok: filter == NULL, flen == 0, flen > BPF_MAXINSNS
        assertRejected(check(null), -1, "NULL");
        assertRejected(check(List.of()), -1, "0 instructions");
        assertRejected(check(repeat(RET0, 4097)), -1, "4097 instructions");
        assertThat(check(repeat(RET0, 4096)).accepted()).isTrue();
    }

    @Test
    void aNullInstructionIsACallersBugNotAKernelAnswer() {
        List<SockFilter> program = new ArrayList<>();
        program.add(RET0);
        program.add(null);
        assertThatNullPointerException().isThrownBy(() -> check(program)).withMessageContaining("instruction 1");
        assertThatNullPointerException().isThrownBy(() -> ClassicBpf.check(prog(RET0), null))
                .withMessageContaining("mutants");
    }

    @Test
    void chkCodeAllowedHasExactlyTheFortyNineClassicCodes() {
        // chk_code_allowed's table: 21 ALU, 13 loads, 2 stores, 2 misc, 2 returns, 9 jumps
        int allowed = 0;
        for (int code = 0; code <= 0xffff; code++) {
            if (ClassicChecker.chkCodeAllowed(code)) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(49);
        assertThat(ClassicChecker.chkCodeAllowed(BPF_LDX | BPF_W | BPF_ABS)).as("seccomp's rewritten load").isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(BPF_ALU | BPF_NEG | BPF_X)).isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(BPF_LD | BPF_H | BPF_MEM)).isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(BPF_LDX | BPF_H | BPF_MSH)).isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(BPF_RET | BPF_X)).isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(0x8000 | BPF_RET)).isFalse();
        assertThat(ClassicChecker.chkCodeAllowed(-1)).isFalse();
    }

    @Test
    void anUnknownCodeIsEinvalAtItsIndexBeforeLaterRules() {
        // bpf_check_classic: the first instruction that fails chk_code_allowed stops the walk
        assertRejected(check(prog(stmt(BPF_LD | BPF_IMM, 1), stmt(BPF_RET | BPF_X, 0), stmt(BPF_LD | BPF_IMM, 0))),
                1, "0x0e");
    }

    @Test
    void divisionAndModuloByConstantZeroAreRejected() {
        // bpf_check_classic: BPF_ALU|BPF_DIV|BPF_K and BPF_MOD|BPF_K with k == 0
        assertRejected(check(prog(stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET0)), 0, "K = 0");
        assertRejected(check(prog(stmt(BPF_ALU | BPF_MOD | BPF_K, 0), RET0)), 0, "K = 0");
        assertThat(check(prog(stmt(BPF_ALU | BPF_DIV | BPF_K, 1), stmt(BPF_ALU | BPF_MOD | BPF_K, -1), RET0))
                .accepted()).isTrue();
        // DIV X is checked at run time, not here
        assertThat(check(prog(stmt(BPF_ALU | BPF_DIV | BPF_X, 0), RET0)).accepted()).isTrue();
    }

    @Test
    void shiftsByConstantThirtyTwoOrMoreAreRejected() {
        // bpf_check_classic: LSH/RSH K with k >= 32, k unsigned
        assertThat(check(prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 31), stmt(BPF_ALU | BPF_RSH | BPF_K, 31), RET0))
                .accepted()).isTrue();
        assertRejected(check(prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET0)), 0, ">= 32");
        assertRejected(check(prog(RET0, stmt(BPF_ALU | BPF_RSH | BPF_K, -1), RET0)), 1, "4294967295");
        // shifts by X are not checked
        assertThat(check(prog(stmt(BPF_ALU | BPF_LSH | BPF_X, 0), RET0)).accepted()).isTrue();
    }

    @Test
    void scratchIndexMustBeBelowMemwords() {
        // bpf_check_classic: LD/LDX MEM, ST, STX with k >= BPF_MEMWORDS (16), k unsigned
        assertThat(check(prog(stmt(BPF_ST, 15), stmt(BPF_LD | BPF_MEM, 15), RET0)).accepted()).isTrue();
        assertRejected(check(prog(stmt(BPF_ST, 16), RET0)), 0, "BPF_MEMWORDS");
        assertRejected(check(prog(stmt(BPF_STX, -1), RET0)), 0, "BPF_MEMWORDS");
        assertRejected(check(prog(stmt(BPF_ST, 0), stmt(BPF_LDX | BPF_MEM, 16), RET0)), 1, "BPF_MEMWORDS");
    }

    @Test
    void jaMustLandOnALaterInstruction() {
        // bpf_check_classic: JA with k >= flen - pc - 1 (unsigned)
        assertThat(check(prog(stmt(BPF_JMP | BPF_JA, 1), RET0, RET0)).accepted()).isTrue();
        assertRejected(check(prog(stmt(BPF_JMP | BPF_JA, 2), RET0, RET0)), 0, "JA K = 2");
        assertRejected(check(prog(stmt(BPF_JMP | BPF_JA, -1), RET0)), 0, "JA K = 4294967295");
    }

    @Test
    void conditionalJumpsMustLandInsideOnBothBranches() {
        // bpf_check_classic: pc + jt + 1 >= flen || pc + jf + 1 >= flen
        assertThat(check(prog(jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET0, RET0)).accepted()).isTrue();
        assertRejected(check(prog(jump(BPF_JMP | BPF_JGT | BPF_X, 0, 2, 0), RET0, RET0)), 0, "jt = 2");
        assertRejected(check(prog(RET0, jump(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 1), RET0)), 1, "jf = 1");
        // a jump as the last instruction has nowhere to go, even with 0 offsets
        assertRejected(check(prog(RET0, jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0))), 1, "jt = 0");
    }

    @Test
    void absoluteLoadsAtOrAboveSkfAdOffMustBeKnownAncillaryLoads() {
        // bpf_check_classic with bpf_anc_helper: any size of LD ABS; K compared unsigned with SKF_AD_OFF
        for (Ancillary a : Ancillary.values()) {
            assertThat(check(prog(stmt(BPF_LD | BPF_B | BPF_ABS, a.k()), RET0)).accepted()).as("%s", a).isTrue();
        }
        assertRejected(check(prog(stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 2), RET0)), 0, "SKF_AD_OFF + 2");
        assertRejected(check(prog(stmt(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + 64), RET0)), 0, "SKF_AD_OFF + 64");
        assertRejected(check(prog(stmt(BPF_LD | BPF_B | BPF_ABS, -1), RET0)), 0, "SKF_AD_OFF + 4095");
        // the network and link-layer bases lie below SKF_AD_OFF and pass; IND and MSH are not checked at all
        assertThat(check(prog(stmt(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF), stmt(BPF_LD | BPF_W | BPF_ABS, SKF_LL_OFF),
                stmt(BPF_LD | BPF_B | BPF_IND, -1), stmt(BPF_LDX | BPF_B | BPF_MSH, -1), RET0)).accepted()).isTrue();
        assertThat(check(prog(stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF - 1), RET0)).accepted()).isTrue();
    }

    @Test
    void theLastInstructionMustBeARet() {
        // bpf_check_classic: filter[flen - 1] must be RET K or RET A, checked after the walk
        assertRejected(check(prog(stmt(BPF_MISC | BPF_TXA, 0))), 0, "not a RET");
        assertRejected(check(prog(RET0, stmt(BPF_ALU | BPF_NEG, 0))), 1, "not a RET");
        assertThat(check(prog(stmt(BPF_RET | BPF_A, 0))).accepted()).isTrue();
        // an earlier rule wins: the bad shift at 0 is reported, not the missing RET at 1
        assertRejected(check(prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 40), stmt(BPF_ALU | BPF_NEG, 0))), 0, ">= 32");
    }

    @Test
    void scratchMustBeWrittenOnEveryPathBeforeItIsRead() {
        // check_load_and_stores: read with no write
        assertRejected(check(prog(stmt(BPF_LD | BPF_MEM, 3), RET0)), 0, "M[3]");
        // written on the fall-through path only: the jump target's mask lacks M[0]
        assertRejected(check(prog(
                jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                stmt(BPF_ST, 0),
                stmt(BPF_LDX | BPF_MEM, 0),
                RET0)), 2, "M[0]");
        // written before the branch: both targets inherit it
        assertThat(check(prog(
                stmt(BPF_STX, 0),
                jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                stmt(BPF_ST, 1),
                stmt(BPF_LD | BPF_MEM, 0),
                RET0)).accepted()).isTrue();
        // written on both paths: accepted
        assertThat(check(prog(
                jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
                stmt(BPF_ST, 5),
                stmt(BPF_JMP | BPF_JA, 1),
                stmt(BPF_ST, 5),
                stmt(BPF_LD | BPF_MEM, 5),
                RET0)).accepted()).isTrue();
    }

    @Test
    void codeOnlyReachedPastAJaCountsAsInitialised() {
        // check_load_and_stores: after a JA memvalid becomes ~0, so the unreachable read at 1 passes
        assertThat(check(prog(stmt(BPF_JMP | BPF_JA, 1), stmt(BPF_LD | BPF_MEM, 7), RET0)).accepted()).isTrue();
    }

    @Test
    void mutantsLoosenTheirOneRule() {
        Set<BpfMutant> none = Set.of();
        List<SockFilter> uninitialised = prog(stmt(BPF_LD | BPF_MEM, 3), RET0);
        assertThat(ClassicBpf.check(uninitialised, none).rejected()).isTrue();
        assertThat(ClassicBpf.check(uninitialised, EnumSet.of(BpfMutant.UNINITIALISED_SCRATCH_ACCEPTED)).accepted())
                .isTrue();
        List<SockFilter> pastEnd = prog(jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET0);
        assertThat(ClassicBpf.check(pastEnd, none).rejected()).isTrue();
        assertThat(ClassicBpf.check(pastEnd, EnumSet.of(BpfMutant.JUMP_PAST_END_ACCEPTED)).accepted()).isTrue();
        List<SockFilter> shift32 = prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET0);
        assertThat(ClassicBpf.check(shift32, EnumSet.of(BpfMutant.SHIFT_BY_32_ACCEPTED)).accepted()).isTrue();
        assertThat(ClassicBpf.check(prog(stmt(BPF_ALU | BPF_LSH | BPF_K, 33), RET0),
                EnumSet.of(BpfMutant.SHIFT_BY_32_ACCEPTED)).rejected()).isTrue();
        List<SockFilter> unknownAnc = prog(stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 2), RET0);
        assertThat(ClassicBpf.check(unknownAnc, EnumSet.of(BpfMutant.UNKNOWN_ANCILLARY_ACCEPTED)).accepted()).isTrue();
    }

    @Test
    void checkResultSaysWhatAndWhere() {
        CheckResult result = check(prog(stmt(BPF_ST, 16), RET0));
        assertThat(result).hasToString("-22 (EINVAL) at insn 0: bpf_check_classic: scratch index K = 16 >= BPF_MEMWORDS");
        assertThat(CheckResult.ACCEPTED.result()).isZero();
        assertThat(check(prog(stmt(BPF_RET | BPF_A, 0), stmt(BPF_LD | BPF_H | BPF_IND, 0), RET0)).accepted()).isTrue();
        assertThat(check(prog(stmt(BPF_LD | BPF_B | BPF_ABS, 0), RET0)).accepted()).isTrue();
    }
}
