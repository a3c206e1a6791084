package dev.ringspec.bpf;

import static dev.ringspec.bpf.Insns.jump;
import static dev.ringspec.bpf.Insns.prog;
import static dev.ringspec.bpf.Insns.repeat;
import static dev.ringspec.bpf.Insns.retK;
import static dev.ringspec.bpf.Insns.stmt;
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ADD;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JGT;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * What SO_ATTACH_FILTER adds after bpf_check_classic: bpf_convert_filter's eBPF layout and its 16-bit jump offsets,
 * and __sk_filter_charge against net.core.optmem_max (net/core/filter.c, Linux 7.2.13; x86-64 has efficient
 * unaligned access, so convert_bpf_ld_abs emits its inline fast path for every ABS with K >= 0). The eBPF counts
 * below are added up by hand from convert_bpf_ld_abs, convert_bpf_extensions and bpf_convert_filter.
 */
class SocketFilterCheckerTest {
    private static final SockFilter RET_A = stmt(BPF_RET | BPF_A, 0);
    /** LD B ABS [0]: fast path MOV, JSLT, LDX, JA (4) plus helper call MOV x3, MOV imm, CALL, JSGE, XOR, EXIT (8). */
    private static final SockFilter LDB0 = stmt(BPF_LD | BPF_B | BPF_ABS, 0);

    @Test
    void convertedLengthCountsTheEbpfTranslation() {
        // prologue: XOR A, XOR X, MOV CTX = 3; with a packet load also D, H, TMP loads and SUB = 7
        assertThat(ClassicConverter.convertedLength(prog(retK(0)))).isEqualTo(3 + 2);
        // LD W ABS [0]: MOV, JSLT, LDX, ENDIAN, JA + 8 = 13
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_LD | BPF_W | BPF_ABS, 0), RET_A)))
                .isEqualTo(7 + 13 + 1);
        // LD H ABS [40000]: MOV, SUB, JSLT, MOV D, ADD, LDX (K > S16_MAX), ENDIAN, JA + 8 = 16
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_LD | BPF_H | BPF_ABS, 40000), RET_A)))
                .isEqualTo(7 + 16 + 1);
        // LD B IND [X + 5]: no fast path; MOV x3, MOV X, ADD K, CALL, JSGE, XOR, EXIT = 9
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_LD | BPF_B | BPF_IND, 5), RET_A)))
                .isEqualTo(7 + 9 + 1);
        // LDX MSH [0]: MOV X = A, the 12 of LD B ABS [0], AND, LSH, MOV, MOV, MOV = 18
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_LDX | BPF_B | BPF_MSH, 0), RET_A)))
                .isEqualTo(7 + 18 + 1);
        // JEQ #-1 with jt and jf both set: MOV32 TMP, JEQ, JA = 3
        assertThat(ClassicConverter.convertedLength(prog(jump(BPF_JMP | BPF_JEQ | BPF_K, -1, 1, 1), retK(0),
                retK(1)))).isEqualTo(3 + 3 + 2 + 2);
        // JSET with jt = 0 cannot be inverted: JSET, JA = 2; JGT with jt = 0 becomes JLE = 1
        assertThat(ClassicConverter.convertedLength(prog(jump(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1), retK(0),
                retK(1)))).isEqualTo(3 + 2 + 2 + 2);
        assertThat(ClassicConverter.convertedLength(prog(jump(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 1), retK(0),
                retK(1)))).isEqualTo(3 + 1 + 2 + 2);
        // DIV X and MOD X: MOV32 X, JNE, XOR, EXIT, the operation = 5 each
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
                stmt(BPF_ALU | BPF_MOD | BPF_X, 0), RET_A))).isEqualTo(3 + 5 + 5 + 1);
        // an ancillary load is no packet load: no cached data; VLAN_TAG_PRESENT is LDX, JEQ, MOV = 3
        assertThat(ClassicConverter.convertedLength(prog(stmt(BPF_LD | BPF_W | BPF_ABS,
                Ancillary.VLAN_TAG_PRESENT.k()), RET_A))).isEqualTo(3 + 3 + 1);
    }

    @Test
    void aJumpBeyondEbpfAddress32767IsEinvalInTheFirstPass() {
        // bpf_convert_filter: in the first pass addrs[target] is still 0, so off = -addrs[i] - 1 must be >= S16_MIN.
        // After n loads of 12 and the prologue of 7, the jump sits at 7 + 12n: n = 2730 gives 32767 (off -32768),
        // n = 2731 gives 32779.
        CheckResult fits = ClassicBpf.checkSocketFilter(repeat(LDB0, 2730, jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
                retK(0)));
        CheckResult tooFar = ClassicBpf.checkSocketFilter(repeat(LDB0, 2731, jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0),
                retK(0)));
        assertThat(tooFar.rejected()).as("%s", tooFar).isTrue();
        assertThat(tooFar.errno()).isEqualTo(Errno.EINVAL);
        assertThat(tooFar.index()).isEqualTo(2731);
        assertThat(tooFar.reason()).contains("bpf_convert_filter");
        // the one that converts is 32770 eBPF instructions, 262160 bytes: far above optmem_max
        assertThat(fits.errno()).as("%s", fits).isEqualTo(Errno.ENOMEM);
        assertThat(ClassicBpf.check(repeat(LDB0, 2731, jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0), retK(0)))
                .accepted()).as("bpf_check_classic alone accepts it").isTrue();
    }

    @Test
    void theChargeMustStayBelowOptmemMax() {
        // __sk_filter_charge: bpf_prog_size = header + 8 * eBPF instructions < optmem_max (131072 here)
        // 1000 loads: 7 + 12000 + 2 = 12009 instructions, 96072 bytes plus the header
        assertThat(ClassicBpf.checkSocketFilter(repeat(LDB0, 1000, retK(0))).accepted()).isTrue();
        // 1400 loads: 7 + 16800 + 2 = 16809 instructions, 134472 bytes even without the header
        CheckResult big = ClassicBpf.checkSocketFilter(repeat(LDB0, 1400, retK(0)));
        assertThat(big.rejected()).isTrue();
        assertThat(big.errno()).isEqualTo(Errno.ENOMEM);
        assertThat(big.index()).isEqualTo(-1);
        // with a larger optmem_max the same program attaches
        assertThat(SocketFilterChecker.skAttachFilter(repeat(LDB0, 1400, retK(0)), 1 << 20, Set.of()).accepted())
                .isTrue();
    }

    @Test
    void theChargeCountsA96ByteHeader() {
        // bpf_prog_size = offsetof(struct bpf_prog, insns) + 8 * len; 3 loads (36), 3265 DIV X (16325), j ALU,
        // RET K (2), prologue 7: 16370 + j instructions. 96 + 8 * 16371 = 131064 < 131072; 16372 gives 131072.
        // This machine (6.18.44) answered the same: j = 1 attaches, j = 2 gets -ENOMEM.
        for (int j = 0; j < 4; j++) {
            List<SockFilter> program = new ArrayList<>(repeat(LDB0, 3));
            program.addAll(repeat(stmt(BPF_ALU | BPF_DIV | BPF_X, 0), 3265));
            program.addAll(repeat(stmt(BPF_ALU | BPF_ADD | BPF_K, 1), j, retK(0)));
            assertThat(ClassicConverter.convertedLength(program)).isEqualTo(16370 + j);
            CheckResult result = ClassicBpf.checkSocketFilter(program);
            assertThat(result.accepted()).as("j = %d: %s", j, result).isEqualTo(j < 2);
            if (j >= 2) {
                assertThat(result.errno()).isEqualTo(Errno.ENOMEM);
            }
        }
    }

    @Test
    void theClassicCheckComesFirst() {
        assertThat(ClassicBpf.checkSocketFilter(null).errno()).isEqualTo(Errno.EINVAL);
        CheckResult result = ClassicBpf.checkSocketFilter(repeat(LDB0, 1400, stmt(BPF_ALU | BPF_MOD | BPF_K, 0),
                retK(0)));
        assertThat(result.errno()).isEqualTo(Errno.EINVAL);
        assertThat(result.index()).isEqualTo(1400);
    }

    @Test
    void anOptmemMaxMustBePositive() {
        assertThatIllegalArgumentException().isThrownBy(() -> SocketFilterChecker.skAttachFilter(prog(retK(0)), 0,
                Set.of())).withMessageContaining("optmem_max");
    }

    @Test
    void deliveredLengthFollowsSkFilterTrimCap() {
        // sk_filter_trim_cap(sk, skb, 1): 0 drops, else pskb_trim(skb, max(1, pkt_len)) when shorter
        assertThat(ClassicBpf.deliveredLength(100, 0)).isEqualTo(-1);
        assertThat(ClassicBpf.deliveredLength(100, 1)).isEqualTo(1);
        assertThat(ClassicBpf.deliveredLength(100, 60)).isEqualTo(60);
        assertThat(ClassicBpf.deliveredLength(100, -1)).isEqualTo(100);
        assertThat(ClassicBpf.deliveredLength(0, 5)).isZero();
    }

    @Test
    void theLongestProgramOfReturnsAttaches() {
        // 4096 RET K: 3 + 2 * 4096 = 8195 instructions, 65560 bytes: accepted
        assertThat(ClassicBpf.checkSocketFilter(repeat(retK(0), 4096)).accepted()).isTrue();
        assertThat(ClassicBpf.checkSocketFilter(repeat(retK(0), 4097)).errno()).isEqualTo(Errno.EINVAL);
    }
}
