package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_X;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.SockFilter;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Deleting instructions keeps every jump on its instruction; shrinking reaches the smallest program that still differs. */
class BpfShrinkerTest {
    private static final SockFilter LD1 = SockFilter.stmt(BPF_LD | BPF_IMM, 1);
    private static final SockFilter LD2 = SockFilter.stmt(BPF_LD | BPF_IMM, 2);
    private static final SockFilter RET7 = SockFilter.stmt(BPF_RET | BPF_K, 7);
    private static final SockFilter RET8 = SockFilter.stmt(BPF_RET | BPF_K, 8);

    @Test
    void aJumpOverADeletedInstructionStillLandsOnItsTarget() {
        // 0: jeq #0, 2, 3 -> 3 (ret 7) or 4 (ret 8); 1: ld #1; 2: ld #2; 3: ret 7; 4: ret 8
        List<SockFilter> program = List.of(SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 3), LD1, LD2, RET7, RET8);
        assertThat(BpfShrinker.delete(program, 1)).containsExactly(
                SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 2), LD2, RET7, RET8);
        // ja +2 from 0 lands on 3; without instruction 2 it lands on ret 7 at 2
        List<SockFilter> ja = List.of(SockFilter.jump(BPF_JMP | BPF_JA, 2, 0, 0), LD1, LD2, RET7);
        assertThat(BpfShrinker.delete(ja, 2)).containsExactly(SockFilter.jump(BPF_JMP | BPF_JA, 1, 0, 0), LD1, RET7);
    }

    @Test
    void aJumpToTheDeletedInstructionLandsOnItsSuccessorAndOnePastTheEndStaysSo() {
        List<SockFilter> program = List.of(SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 3), LD1, LD2, RET7);
        // jt -> 2 (ld #2, deleted) now lands on ret 7 (index 2); jf -> 4 (one past the end) stays one past the end
        assertThat(BpfShrinker.delete(program, 2)).containsExactly(
                SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 2), LD1, RET7);
    }

    @Test
    void constantsShrinkTowardsZero() {
        assertThat(BpfShrinker.smaller(0)).isEmpty();
        assertThat(BpfShrinker.smaller(1)).containsExactly(0);
        assertThat(BpfShrinker.smaller(-4096)).containsExactly(0, 1, -1, -2048, -4095);
        assertThat(BpfShrinker.smaller(Integer.MIN_VALUE)).contains(0, -1, Integer.MIN_VALUE / 2);
    }

    @Test
    void aDivisionByZeroShrinksToTwoInstructionsAndAnEmptyPacket() {
        SocketFilterModel model = SocketFilterModel.of(Set.of());
        // the property: the model accepts the program and its run ends by a division by an X of zero
        BpfShrinker shrinker = new BpfShrinker(c -> model.check(c.program()).accepted()
                && model.run(c.program(), c.packet()).ending() == RunResult.Ending.DIVIDED_BY_ZERO,
                Duration.ofSeconds(30));
        List<SockFilter> program = List.of(LD2, SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_K, 3),
                SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 9, 0, 1), LD1, SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
                RET8);
        BpfCase c = new BpfCase(5, program, new byte[] {1, 2, 3, 4, 5});
        BpfShrinker.Result r = shrinker.shrink(c);
        assertThat(r.timedOut()).isFalse();
        // div x with X = 0 as the machine starts it, then the return the checker needs
        assertThat(r.shrunk().program()).containsExactly(SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
                SockFilter.stmt(BPF_RET | BPF_K, 0));
        assertThat(r.shrunk().packet()).isEmpty();
    }
}
