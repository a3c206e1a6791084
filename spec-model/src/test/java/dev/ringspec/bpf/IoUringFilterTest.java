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
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_ST;
import static dev.ringspec.uapi.Filter.BPF_TXA;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.RunResult.Ending;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The classic program of an io_uring filter: bpf_prog_create_from_user runs bpf_check_basics_ok and
 * bpf_check_classic (net/core/filter.c) before io_uring_check_cbpf_filter (io_uring/bpf_filter.c, Linux 7.2.13),
 * and the program runs on struct io_uring_bpf_ctx with LD W ABS as a native (little-endian) context load.
 */
class IoUringFilterTest {
    private static final SockFilter RET_A = stmt(BPF_RET | BPF_A, 0);

    /** user_data 0x1122334455667788, opcode 0x2d, sqe_flags 0x01, pdu_size 12, socket {2, 1, 6}. */
    private static byte[] ctx() {
        byte[] ctx = new byte[40];
        byte[] userData = {(byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
        System.arraycopy(userData, 0, ctx, 0, 8);
        ctx[8] = 0x2d;
        ctx[9] = 0x01;
        ctx[10] = 12;
        ctx[16] = 2;
        ctx[20] = 1;
        ctx[24] = 6;
        return ctx;
    }

    private static void assertRejected(CheckResult result, int index, String reasonPart) {
        assertThat(result.rejected()).as("%s", result).isTrue();
        assertThat(result.errno()).isEqualTo(Errno.EINVAL);
        assertThat(result.index()).isEqualTo(index);
        assertThat(result.reason()).contains(reasonPart);
    }

    private static RunResult run(SockFilter... insns) {
        List<SockFilter> program = prog(insns);
        assertThat(ClassicBpf.checkIoUringFilter(program).accepted()).as("the kernel accepts %s", program).isTrue();
        return ClassicBpf.runOnIoUringContext(ClassicProgram.of(program), ctx());
    }

    @Test
    void alignedWordLoadsWithinTheContextAreAllowed() {
        // io_uring_check_cbpf_filter: LD W ABS with k < sizeof(struct io_uring_bpf_ctx) and !(k & 3)
        for (int k = 0; k < 40; k += 4) {
            assertThat(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_W | BPF_ABS, k), RET_A)).accepted())
                    .as("k = %d", k).isTrue();
        }
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_W | BPF_ABS, 40), RET_A)), 0, "K = 40");
        assertRejected(ClassicBpf.checkIoUringFilter(prog(retK(1), stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_A)), 1,
                "K = 2");
        // K compared unsigned: SKF_NET_OFF passes bpf_check_classic and is far past 40 here
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_W | BPF_ABS, 0xfff00000), RET_A)), 0,
                "K = 4293918720");
        // K = -4 lies in the ancillary range, so bpf_check_classic rejects it first
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_W | BPF_ABS, -4), RET_A)), 0,
                "bpf_anc_helper");
    }

    @Test
    void otherLoadsAndModAreNotOnIoUringsList() {
        // io_uring_check_cbpf_filter: default -> -EINVAL; its list has no MOD, IND, MSH, or 8/16-bit ABS
        for (int code : new int[] {BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_IND,
                BPF_LD | BPF_B | BPF_IND, BPF_LDX | BPF_B | BPF_MSH, BPF_ALU | BPF_MOD | BPF_X}) {
            assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(code, 0), RET_A)), 0, "not allowed in an io_uring");
        }
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_A)), 0,
                "code 0x94");
        // the same program is fine as a socket filter
        assertThat(ClassicBpf.checkSocketFilter(prog(stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_A)).accepted()).isTrue();
    }

    @Test
    void anAncillaryLoadPassesTheClassicCheckAndFailsIoUrings() {
        // bpf_check_classic knows SKF_AD_PROTOCOL; io_uring_check_cbpf_filter sees K = 0xfffff000 >= 40
        List<SockFilter> program = prog(stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary.PROTOCOL.k()), RET_A);
        assertThat(ClassicBpf.check(program).accepted()).isTrue();
        assertRejected(ClassicBpf.checkIoUringFilter(program), 0, "io_uring_check_cbpf_filter");
    }

    @Test
    void theClassicCheckRunsFirst() {
        // bpf_prepare_filter: bpf_check_classic before the trans hook, so its answer wins even at a later index
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_H | BPF_ABS, 0),
                stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A)), 1, "K = 0");
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_ALU | BPF_MOD | BPF_K, 1),
                stmt(BPF_MISC | BPF_TXA, 0))), 1, "not a RET");
        assertRejected(ClassicBpf.checkIoUringFilter(prog(stmt(BPF_LD | BPF_B | BPF_ABS, 0),
                stmt(BPF_LD | BPF_MEM, 0), RET_A)), 1, "check_load_and_stores");
        assertRejected(ClassicBpf.checkIoUringFilter(null), -1, "NULL");
        assertRejected(ClassicBpf.checkIoUringFilter(List.of()), -1, "bpf_check_basics_ok");
    }

    @Test
    void lenBecomesTheConstantForty() {
        // io_uring_check_cbpf_filter: LD/LDX W LEN -> LD/LDX IMM sizeof(struct io_uring_bpf_ctx)
        List<SockFilter> program = prog(stmt(BPF_LD | BPF_W | BPF_LEN, 0), stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
                stmt(BPF_LD | BPF_W | BPF_ABS, 8), RET_A);
        assertThat(IoUringCbpfChecker.rewrite(program)).containsExactly(stmt(BPF_LD | BPF_IMM, 40),
                stmt(BPF_LDX | BPF_IMM, 40), stmt(BPF_LDX | BPF_W | BPF_ABS, 8), RET_A);
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_LEN, 0), RET_A).value()).isEqualTo(40);
        assertThat(run(stmt(BPF_LDX | BPF_W | BPF_LEN, 0), stmt(BPF_MISC | BPF_TXA, 0), RET_A).value()).isEqualTo(40);
    }

    @Test
    void contextLoadsAreNativeLittleEndianWords() {
        // bpf_convert_filter: BPF_LDX|BPF_W|BPF_ABS is A = *(u32 *)(ctx + K) on x86-64
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_ABS, 0), RET_A).value()).isEqualTo(0x55667788);
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_ABS, 4), RET_A).value()).isEqualTo(0x11223344);
        // opcode, sqe_flags, pdu_size, pad[0]
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_ABS, 8), RET_A).value()).isEqualTo(0x000c012d);
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_ABS, 16), RET_A).value()).isEqualTo(2);
        assertThat(run(stmt(BPF_LD | BPF_W | BPF_ABS, 36), RET_A).value()).isZero();
    }

    @Test
    void aFilterAllowingOnlyAfInetSockets() {
        // a typical filter: allow (1) when socket.family == AF_INET (2), deny (0) otherwise
        RunResult result = run(stmt(BPF_LD | BPF_W | BPF_ABS, 16), jump(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
                retK(1), retK(0));
        assertThat(result.ending()).isEqualTo(Ending.RETURNED);
        assertThat(result.value()).isEqualTo(1);
        assertThat(result.executed()).isEqualTo(3);
    }

    @Test
    void divisionByXZeroDenies() {
        // bpf_convert_filter's X == 0 test returns 0, which __io_uring_run_bpf_filters turns into -EACCES
        RunResult result = run(stmt(BPF_LD | BPF_W | BPF_ABS, 16), stmt(BPF_ALU | BPF_DIV | BPF_X, 0), retK(1));
        assertThat(result.ending()).isEqualTo(Ending.DIVIDED_BY_ZERO);
        assertThat(result.value()).isZero();
    }

    @Test
    void loadsIoUringRejectsAreOutsideTheModelWhenRunAnyway() {
        ClassicInterpreter interpreter = new ClassicInterpreter();
        IoUringContext context = IoUringContext.of(ctx());
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_A), context,
                java.util.Set.of()).ending()).isEqualTo(Ending.OUTSIDE_MODEL);
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_H | BPF_ABS, 0), RET_A), context,
                java.util.Set.of()).ending()).isEqualTo(Ending.OUTSIDE_MODEL);
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_LD | BPF_W | BPF_ABS, Ancillary.MARK.k()), RET_A),
                context, java.util.Set.of()).ending()).isEqualTo(Ending.OUTSIDE_MODEL);
        assertThat(interpreter.run(ClassicProgram.of(stmt(BPF_ST, 0), stmt(BPF_LD | BPF_MEM, 0), RET_A), context,
                java.util.Set.of()).ending()).isEqualTo(Ending.RETURNED);
    }
}
