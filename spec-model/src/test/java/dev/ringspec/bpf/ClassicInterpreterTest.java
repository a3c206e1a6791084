package dev.ringspec.bpf;

import static dev.ringspec.bpf.Insns.jump;
import static dev.ringspec.bpf.Insns.retK;
import static dev.ringspec.bpf.Insns.stmt;
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
import static dev.ringspec.uapi.Filter.SKF_LL_OFF;
import static dev.ringspec.uapi.Filter.SKF_NET_OFF;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.RunResult.Ending;
import dev.ringspec.uapi.SockFilter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The interpreter on an AF_UNIX datagram. Expected values come from the eBPF that bpf_convert_filter
 * (net/core/filter.c) emits and from how ___bpf_prog_run (kernel/bpf/core.c) executes it: ALU32 operations,
 * unsigned division, shifts by X &amp; 31, unsigned jumps, and the convert_bpf_ld_abs helpers.
 */
class ClassicInterpreterTest {
    private static final byte[] PACKET = {0x01, 0x02, 0x03, 0x04, (byte) 0x85, (byte) 0xf6, 0x07, 0x08};

    private static RunResult run(byte[] packet, SockFilter... insns) {
        List<SockFilter> program = Arrays.asList(insns);
        assertThat(ClassicBpf.checkSocketFilter(program).accepted()).as("the kernel accepts %s", program).isTrue();
        return ClassicBpf.runOnDatagram(ClassicProgram.of(program), packet);
    }

    /** Runs {@code insns} followed by RET A and returns A. */
    private static int a(SockFilter... insns) {
        List<SockFilter> program = new ArrayList<>(Arrays.asList(insns));
        program.add(stmt(BPF_RET | BPF_A, 0));
        RunResult result = run(PACKET, program.toArray(SockFilter[]::new));
        assertThat(result.ending()).as("%s", result).isEqualTo(Ending.RETURNED);
        return result.value();
    }

    private static SockFilter ldImm(int k) {
        return stmt(BPF_LD | BPF_IMM, k);
    }

    private static SockFilter ldxImm(int k) {
        return stmt(BPF_LDX | BPF_IMM, k);
    }

    @Test
    void retKAndRetAReturnUnsigned32BitValues() {
        RunResult k = run(PACKET, retK(0xffffffff));
        assertThat(k.ending()).isEqualTo(Ending.RETURNED);
        assertThat(k.unsignedValue()).isEqualTo(4294967295L);
        assertThat(k.executed()).isEqualTo(1);
        assertThat(a(ldImm(0x12345678))).isEqualTo(0x12345678);
    }

    @Test
    void aAndXStartAtZero() {
        // bpf_convert_filter's prologue: A ^= A, X ^= X
        assertThat(a()).isZero();
        assertThat(a(stmt(BPF_MISC | BPF_TXA, 0))).isZero();
    }

    @Test
    void absoluteLoadsAreBigEndianFromThePacket() {
        // convert_bpf_ld_abs: LDX_MEM then BPF_ENDIAN(BPF_FROM_BE) for H and W
        assertThat(a(stmt(BPF_LD | BPF_W | BPF_ABS, 0))).isEqualTo(0x01020304);
        assertThat(a(stmt(BPF_LD | BPF_H | BPF_ABS, 1))).isEqualTo(0x0203);
        assertThat(a(stmt(BPF_LD | BPF_B | BPF_ABS, 4))).isEqualTo(0x85);
        assertThat(a(stmt(BPF_LD | BPF_W | BPF_ABS, 4))).isEqualTo(0x85f60708);
        assertThat(a(stmt(BPF_LD | BPF_H | BPF_ABS, 6))).isEqualTo(0x0708);
    }

    @Test
    void aLoadPastThePacketEndsTheProgramReturningZero() {
        // bpf_skb_load_helper_32: skb_copy_bits fails -> -EFAULT; JSGE A, 0 falls to A ^= A; EXIT
        RunResult w = run(PACKET, ldImm(9), stmt(BPF_LD | BPF_W | BPF_ABS, 5), retK(1));
        assertThat(w.ending()).isEqualTo(Ending.LOAD_FAILED);
        assertThat(w.value()).isZero();
        assertThat(w.executed()).isEqualTo(2);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_H | BPF_ABS, 7), retK(1)).ending()).isEqualTo(Ending.LOAD_FAILED);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_ABS, 8), retK(1)).ending()).isEqualTo(Ending.LOAD_FAILED);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_ABS, 0x7fffffff), retK(1)).ending())
                .isEqualTo(Ending.LOAD_FAILED);
        assertThat(run(new byte[0], stmt(BPF_LD | BPF_B | BPF_ABS, 0), retK(1)).ending()).isEqualTo(Ending.LOAD_FAILED);
    }

    @Test
    void indirectLoadsAddXAndKIn32Bits() {
        // convert_bpf_ld_abs: ARG4 = X + K, the helper's int offset takes the low 32 bits
        assertThat(a(ldxImm(2), stmt(BPF_LD | BPF_B | BPF_IND, 1))).isEqualTo(0x04);
        assertThat(a(ldxImm(4), stmt(BPF_LD | BPF_H | BPF_IND, 1))).isEqualTo(0xf607);
        assertThat(a(ldxImm(-1), stmt(BPF_LD | BPF_W | BPF_IND, 1))).isEqualTo(0x01020304);
        RunResult past = run(PACKET, ldxImm(6), stmt(BPF_LD | BPF_W | BPF_IND, 0), retK(1));
        assertThat(past.ending()).isEqualTo(Ending.LOAD_FAILED);
    }

    @Test
    void mshLoadsFourTimesTheLowNibbleIntoXAndKeepsA() {
        // bpf_convert_filter, BPF_LDX|BPF_MSH|BPF_B: X = 4 * (P[K] & 0xf), A restored
        assertThat(a(ldImm(77), stmt(BPF_LDX | BPF_B | BPF_MSH, 4), stmt(BPF_MISC | BPF_TXA, 0))).isEqualTo(20);
        assertThat(a(ldImm(77), stmt(BPF_LDX | BPF_B | BPF_MSH, 5))).isEqualTo(77);
        RunResult past = run(PACKET, ldImm(77), stmt(BPF_LDX | BPF_B | BPF_MSH, 8), stmt(BPF_RET | BPF_A, 0));
        assertThat(past.ending()).isEqualTo(Ending.LOAD_FAILED);
        assertThat(past.value()).isZero();
    }

    @Test
    void networkRelativeLoadsReadThePayloadAndLinkLayerLoadsFail() {
        // bpf_skb_load_helper_convert_offset: the datagram's network offset is 0 and its mac header is unset
        assertThat(a(stmt(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 2))).isEqualTo(0x03);
        assertThat(a(ldxImm(SKF_NET_OFF), stmt(BPF_LD | BPF_H | BPF_IND, 6))).isEqualTo(0x0708);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 8), retK(1)).ending())
                .isEqualTo(Ending.LOAD_FAILED);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_ABS, SKF_LL_OFF), retK(1)).ending())
                .isEqualTo(Ending.LOAD_FAILED);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_ABS, SKF_LL_OFF - 1), retK(1)).ending())
                .isEqualTo(Ending.LOAD_FAILED);
        // X + K = -1: in the SKF_NET_OFF range, 0xfffff bytes into the payload
        assertThat(run(PACKET, stmt(BPF_LD | BPF_B | BPF_IND, -1), retK(1)).ending()).isEqualTo(Ending.LOAD_FAILED);
    }

    @Test
    void lenLoadsThePacketLength() {
        // bpf_convert_filter: A = skb->len, X = skb->len
        assertThat(a(stmt(BPF_LD | BPF_W | BPF_LEN, 0))).isEqualTo(8);
        assertThat(a(stmt(BPF_LDX | BPF_W | BPF_LEN, 0), stmt(BPF_MISC | BPF_TXA, 0))).isEqualTo(8);
    }

    @Test
    void scratchMemoryHoldsWhatStAndStxWrote() {
        assertThat(a(ldImm(5), stmt(BPF_ST, 15), ldxImm(6), stmt(BPF_STX, 0), ldImm(0),
                stmt(BPF_LD | BPF_MEM, 15), stmt(BPF_LDX | BPF_MEM, 0), stmt(BPF_ALU | BPF_MUL | BPF_X, 0)))
                .isEqualTo(30);
    }

    @Test
    void aluOperationsWrapAt32Bits() {
        assertThat(a(ldImm(0xffffffff), stmt(BPF_ALU | BPF_ADD | BPF_K, 2))).isEqualTo(1);
        assertThat(a(ldxImm(3), stmt(BPF_ALU | BPF_SUB | BPF_X, 0))).isEqualTo(-3);
        assertThat(a(ldImm(5), stmt(BPF_ALU | BPF_SUB | BPF_K, 7))).isEqualTo(0xfffffffe);
        assertThat(a(ldImm(0x10000), stmt(BPF_ALU | BPF_MUL | BPF_K, 0x10000))).isZero();
        assertThat(a(ldImm(0x10001), ldxImm(0x10001), stmt(BPF_ALU | BPF_MUL | BPF_X, 0))).isEqualTo(0x00020001);
        assertThat(a(ldImm(0xf0), stmt(BPF_ALU | BPF_AND | BPF_K, 0x3c))).isEqualTo(0x30);
        assertThat(a(ldImm(0xf0), ldxImm(0x0f), stmt(BPF_ALU | BPF_OR | BPF_X, 0))).isEqualTo(0xff);
        assertThat(a(ldImm(0xff), stmt(BPF_ALU | BPF_XOR | BPF_K, 0x0f))).isEqualTo(0xf0);
        assertThat(a(ldImm(0xff), ldxImm(0xf0), stmt(BPF_ALU | BPF_AND | BPF_X, 0))).isEqualTo(0xf0);
        assertThat(a(ldImm(0xff), ldxImm(0xff), stmt(BPF_ALU | BPF_XOR | BPF_X, 0))).isZero();
        assertThat(a(ldImm(0xf0), stmt(BPF_ALU | BPF_OR | BPF_K, 0x0f))).isEqualTo(0xff);
        assertThat(a(ldImm(1), stmt(BPF_ALU | BPF_ADD | BPF_X, 0))).isEqualTo(1);
        // ALU_NEG: DST = (u32) -DST
        assertThat(a(ldImm(1), stmt(BPF_ALU | BPF_NEG, 0))).isEqualTo(0xffffffff);
        assertThat(a(ldImm(0x80000000), stmt(BPF_ALU | BPF_NEG, 0))).isEqualTo(0x80000000);
    }

    @Test
    void divisionAndModuloAreUnsigned() {
        // ALU_DIV_K / ALU_MOD_K with off 0: (u32) DST / (u32) IMM
        assertThat(a(ldImm(0xffffffff), stmt(BPF_ALU | BPF_DIV | BPF_K, 2))).isEqualTo(0x7fffffff);
        assertThat(a(ldImm(7), stmt(BPF_ALU | BPF_DIV | BPF_K, 0xffffffff))).isZero();
        assertThat(a(ldImm(0xffffffff), stmt(BPF_ALU | BPF_MOD | BPF_K, 10))).isEqualTo(5);
        assertThat(a(ldImm(100), ldxImm(7), stmt(BPF_ALU | BPF_DIV | BPF_X, 0))).isEqualTo(14);
        assertThat(a(ldImm(100), ldxImm(7), stmt(BPF_ALU | BPF_MOD | BPF_X, 0))).isEqualTo(2);
        // 2^32 - 100 = 4294967196 = 7 * 613566742 + 2 (a signed remainder would be -2)
        assertThat(a(ldImm(-100), ldxImm(7), stmt(BPF_ALU | BPF_MOD | BPF_X, 0))).isEqualTo(2);
    }

    @Test
    void divisionOrModuloByXZeroReturnsZero() {
        // bpf_convert_filter: MOV32 X, X; JNE X, 0, +2; A ^= A; EXIT
        for (int op : new int[] {BPF_DIV, BPF_MOD}) {
            RunResult result = run(PACKET, ldImm(9), stmt(BPF_ALU | op | BPF_X, 0), retK(7));
            assertThat(result.ending()).isEqualTo(Ending.DIVIDED_BY_ZERO);
            assertThat(result.value()).isZero();
            assertThat(result.executed()).isEqualTo(2);
        }
    }

    @Test
    void shiftsByXUseTheLowFiveBits() {
        // ALU_LSH_X / ALU_RSH_X: DST = (u32) DST << ((u32) SRC & 31); the x86-64 JIT's shl r32, cl masks alike
        assertThat(a(ldImm(1), ldxImm(33), stmt(BPF_ALU | BPF_LSH | BPF_X, 0))).isEqualTo(2);
        assertThat(a(ldImm(0x80), ldxImm(32), stmt(BPF_ALU | BPF_RSH | BPF_X, 0))).isEqualTo(0x80);
        assertThat(a(ldImm(0x80000000), ldxImm(31), stmt(BPF_ALU | BPF_RSH | BPF_X, 0))).isEqualTo(1);
        assertThat(a(ldImm(0x80000000), stmt(BPF_ALU | BPF_RSH | BPF_K, 4))).isEqualTo(0x08000000);
        assertThat(a(ldImm(3), stmt(BPF_ALU | BPF_LSH | BPF_K, 31))).isEqualTo(0x80000000);
    }

    /** Runs {A = a; X = x; the jump; RET 10; RET 20}: 10 falls through, 20 is one past. */
    private static int branch(int a, int x, SockFilter jump) {
        return run(PACKET, ldImm(a), ldxImm(x), jump, retK(10), retK(20)).value();
    }

    @Test
    void jumpsCompareUnsigned() {
        // bpf_convert_filter: a negative K goes through MOV32_IMM into TMP (zero-extended), jumps are unsigned
        assertThat(branch(1, 0, jump(BPF_JMP | BPF_JGT | BPF_K, 0xffffffff, 0, 1))).isEqualTo(20);
        assertThat(branch(0xffffffff, 0, jump(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 1))).isEqualTo(10);
        assertThat(branch(5, 5, jump(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0))).isEqualTo(20);
        assertThat(branch(4, 5, jump(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 0))).isEqualTo(10);
        assertThat(branch(6, 0, jump(BPF_JMP | BPF_JSET | BPF_K, 4, 1, 0))).isEqualTo(20);
        assertThat(branch(6, 9, jump(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0))).isEqualTo(10);
        assertThat(branch(-7, 0, jump(BPF_JMP | BPF_JEQ | BPF_K, -7, 1, 0))).isEqualTo(20);
        assertThat(branch(3, 4, jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0))).isEqualTo(10);
        assertThat(branch(2, 0, jump(BPF_JMP | BPF_JGE | BPF_K, 3, 0, 1))).isEqualTo(20);
        assertThat(branch(4, 3, jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1))).isEqualTo(10);
        assertThat(branch(0x80000000, 1, jump(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0))).isEqualTo(20);
    }

    @Test
    void jaSkipsKInstructionsAndCountsOnlyWhatRuns() {
        RunResult result = run(PACKET, stmt(BPF_JMP | BPF_JA, 2), retK(1), retK(2), retK(3));
        assertThat(result.value()).isEqualTo(3);
        assertThat(result.executed()).isEqualTo(2);
    }

    @Test
    void taxAndTxaCopyBetweenAAndX() {
        assertThat(a(ldImm(42), stmt(BPF_MISC | BPF_TAX, 0), ldImm(0), stmt(BPF_MISC | BPF_TXA, 0))).isEqualTo(42);
    }

    @Test
    void ancillaryLoadsOnAUnixDatagram() {
        // convert_bpf_extensions: protocol, pkt_type, mark, queue_mapping, hash, vlan fields all read 0 here
        for (Ancillary zero : new Ancillary[] {Ancillary.PROTOCOL, Ancillary.PKTTYPE, Ancillary.MARK,
                Ancillary.QUEUE, Ancillary.RXHASH, Ancillary.VLAN_TAG, Ancillary.VLAN_TAG_PRESENT,
                Ancillary.VLAN_TPID}) {
            assertThat(a(ldImm(99), stmt(BPF_LD | BPF_B | BPF_ABS, zero.k()))).as("%s", zero).isZero();
        }
        // SKF_AD_ALU_XOR_X: A ^= X
        assertThat(a(ldImm(0x0f), ldxImm(0xff), stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary.ALU_XOR_X.k())))
                .isEqualTo(0xf0);
        // SKF_AD_IFINDEX with skb->dev NULL: JNE TMP, 0 falls to EXIT, which returns R0 = A
        RunResult noDevice = run(PACKET, ldImm(7), stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary.IFINDEX.k()), retK(1));
        assertThat(noDevice.ending()).isEqualTo(Ending.NO_DEVICE);
        assertThat(noDevice.value()).isEqualTo(7);
        assertThat(run(PACKET, stmt(BPF_LD | BPF_H | BPF_ABS, Ancillary.HATYPE.k()), retK(1)).ending())
                .isEqualTo(Ending.NO_DEVICE);
        RunResult cpu = run(PACKET, stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary.CPU.k()), retK(1));
        assertThat(cpu.ending()).isEqualTo(Ending.OUTSIDE_MODEL);
        assertThat(cpu.note()).contains("does not determine");
    }

    @Test
    void runsTheKernelWouldNotRunAreOutsideTheModel() {
        ClassicInterpreter interpreter = new ClassicInterpreter();
        UnixDatagram packet = UnixDatagram.of(PACKET);
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_MEM, 0), retK(0)), packet, java.util.Set.of())
                .note()).contains("never written");
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_IMM, 0)), packet, java.util.Set.of())
                .note()).contains("past the last");
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_RET | BPF_X, 0)), packet, java.util.Set.of())
                .note()).contains("rejects");
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_JMP | BPF_JA, -1), retK(0)), packet, java.util.Set.of())
                .note()).contains("past the last");
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_ALU | BPF_DIV | BPF_K, 0), retK(0)), packet,
                java.util.Set.of()).ending()).isEqualTo(Ending.OUTSIDE_MODEL);
    }

    @Test
    void scratchWrittenInOneRunIsNotVisibleInTheNext() {
        ClassicInterpreter interpreter = new ClassicInterpreter();
        UnixDatagram packet = UnixDatagram.of(PACKET);
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_ST, 0), retK(0)), packet, java.util.Set.of()).value())
                .isZero();
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_MEM, 0), retK(0)), packet, java.util.Set.of())
                .ending()).isEqualTo(Ending.OUTSIDE_MODEL);
    }
}
