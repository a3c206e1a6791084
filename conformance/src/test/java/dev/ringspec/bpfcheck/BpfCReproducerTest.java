package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.lockstep.CPrograms;
import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.SockFilter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The C reproducer compiles with gcc and prints the kernel's answers beside the model's, as the oracle saw them. */
@Tag("kernel")
class BpfCReproducerTest {
    @TempDir
    Path dir;

    private static final BpfCase HALFWORD = new BpfCase(0, List.of(SockFilter.stmt(BPF_LD | BPF_H | BPF_ABS, 0),
            SockFilter.stmt(BPF_RET | BPF_A, 0)), new byte[] {1, 2, 3});

    @Test
    void aMutantsReproducerPrintsTheDifferenceAndTheModelsAgreement() throws Exception {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
            SocketFilterModel mutant = SocketFilterModel.of(Set.of(BpfMutant.HALFWORD_LITTLE_ENDIAN));
            List<String> differs = CPrograms.compileAndRun(BpfCheck.reproducer(mutant, HALFWORD, "halfword"),
                    "mutant.c", dir);
            // the kernel keeps 0x0102 = 258 bytes of three: all three; the instrumented program compares with 0x0201
            assertThat(differs).containsExactly("attach: kernel 0 model 0", "deliver: kernel 3",
                    "instrumented: kernel -11 model 3", "differs");
            List<String> agrees = CPrograms.compileAndRun(BpfCheck.reproducer(SocketFilterModel.of(Set.of()),
                    HALFWORD, "halfword"), "model.c", dir);
            assertThat(agrees).containsExactly("attach: kernel 0 model 0", "deliver: kernel 3",
                    "instrumented: kernel 3 model 3", "agrees");
            assertThat(new BpfOracle(kernel, mutant).check(HALFWORD)).isInstanceOf(BpfOracle.Verdict.Differed.class);
        }
    }

    @Test
    void aRejectedProgramsReproducerPrintsTheErrno() throws Exception {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
            BpfCase divByZero = new BpfCase(0, List.of(SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_K, 0),
                    SockFilter.stmt(BPF_RET | BPF_K, 1)), new byte[0]);
            List<String> lines = CPrograms.compileAndRun(BpfCheck.reproducer(SocketFilterModel.of(Set.of()),
                    divByZero, "div #0"), "reject.c", dir);
            assertThat(lines).containsExactly("attach: kernel -22 model -22", "agrees");
            assertThat(kernel.attach(divByZero.program())).isEqualTo(-22);
        }
    }
}
