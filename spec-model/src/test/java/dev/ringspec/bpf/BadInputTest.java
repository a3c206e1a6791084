package dev.ringspec.bpf;

import static dev.ringspec.bpf.Insns.retK;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.ringspec.bpf.RunResult.Ending;
import dev.ringspec.uapi.SockFilter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Bad input gets a clear exception naming the problem; the kernel's answers to bad programs are in the checkers. */
class BadInputTest {
    @Test
    void aProgramToRunHasOneToMaxinsnsInstructions() {
        assertThatNullPointerException().isThrownBy(() -> ClassicProgram.of((List<SockFilter>) null))
                .withMessageContaining("program");
        assertThatIllegalArgumentException().isThrownBy(() -> ClassicProgram.of(List.of()))
                .withMessageContaining("1 to 4096 instructions, not 0");
        assertThatIllegalArgumentException().isThrownBy(() -> ClassicProgram.of(Collections.nCopies(4097, retK(0))))
                .withMessageContaining("not 4097");
        List<SockFilter> withNull = new ArrayList<>(List.of(retK(0)));
        withNull.add(null);
        assertThatNullPointerException().isThrownBy(() -> ClassicProgram.of(withNull))
                .withMessageContaining("instruction 1");
    }

    @Test
    void anInstructionHasA16BitCodeAnd8BitOffsets() {
        assertThatIllegalArgumentException().isThrownBy(() -> new SockFilter(0x10000, 0, 0, 0))
                .withMessageContaining("16-bit code");
        assertThatIllegalArgumentException().isThrownBy(() -> new SockFilter(6, 256, 0, 0))
                .withMessageContaining("jt=256");
        assertThatIllegalArgumentException().isThrownBy(() -> new SockFilter(6, 0, -1, 0))
                .withMessageContaining("jf=-1");
    }

    @Test
    void theDataMustBeThere() {
        assertThatNullPointerException().isThrownBy(() -> UnixDatagram.of(null)).withMessageContaining("payload");
        assertThatNullPointerException().isThrownBy(() -> IoUringContext.of(null)).withMessageContaining("ctx");
        assertThatIllegalArgumentException().isThrownBy(() -> IoUringContext.of(new byte[39]))
                .withMessageContaining("40 bytes, not 39");
        ClassicProgram program = ClassicProgram.of(retK(0));
        ClassicInterpreter interpreter = new ClassicInterpreter();
        assertThatNullPointerException().isThrownBy(() -> interpreter.run(null, UnixDatagram.of(new byte[0]),
                Set.of())).withMessageContaining("program");
        assertThatNullPointerException().isThrownBy(() -> interpreter.run(program, null, Set.of()))
                .withMessageContaining("data");
        assertThatNullPointerException().isThrownBy(() -> interpreter.run(program, UnixDatagram.of(new byte[0]),
                null)).withMessageContaining("mutants");
        assertThatIllegalArgumentException().isThrownBy(() -> UnixDatagram.of(new byte[4]).load(0x20, 0, 3))
                .withMessageContaining("1, 2 or 4 bytes");
        assertThatIllegalArgumentException().isThrownBy(() -> UnixDatagram.of(new byte[4]).ancillary(2, 0, 0))
                .withMessageContaining("not an ancillary selector");
    }

    @Test
    void resultsAreConsistent() {
        assertThatIllegalArgumentException().isThrownBy(() -> new RunResult(Ending.OUTSIDE_MODEL, 0, 1, null))
                .withMessageContaining("note");
        assertThatIllegalArgumentException().isThrownBy(() -> new RunResult(Ending.RETURNED, 0, -1, null))
                .withMessageContaining("executed");
        assertThatIllegalArgumentException().isThrownBy(() -> new CheckResult(CheckResult.Verdict.REJECT, 0, 0, "x"))
                .withMessageContaining("errno");
        assertThatIllegalArgumentException().isThrownBy(() -> new CheckResult(CheckResult.Verdict.ACCEPT, 0, -2, "x"))
                .withMessageContaining("index");
    }
}
