package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every model mutant a socket filter can show is caught against this kernel and shrunk to at most 8 instructions,
 * and the shrunk case agrees with the unmutated model: the mutant made the difference.
 */
@Tag("kernel")
class BpfMutantsKernelTest {
    @Test
    void everyMutantIsCaughtAndShrunk() {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            StringWriter text = new StringWriter();
            List<BpfMutantCheck.MutantResult> results = new BpfMutantCheck(SocketFilterModel::of, kernel, 1,
                    200_000).run(Arrays.asList(BpfMutant.values()), new PrintWriter(text, true));
            BpfMutantCheck.assertAllCaught(results);
            BpfOracle reference = new BpfOracle(kernel, SocketFilterModel.of(Set.of()));
            for (BpfMutantCheck.MutantResult r : results) {
                if (r.notApplicable() == null) {
                    assertThat(reference.check(r.finding().shrunk())).as(r.mutant() + "\n" + text)
                            .isInstanceOf(BpfOracle.Verdict.Agreed.class);
                }
            }
            assertThat(results.stream().filter(r -> r.notApplicable() == null).count()).as(text.toString())
                    .isGreaterThanOrEqualTo(8);
        }
    }

    @Test
    void aJumpPastTheEndIsRefusedByTheConverterAsByTheChecker() {
        // the reason JUMP_PAST_END_ACCEPTED is not run: with it, the model still refuses every program the kernel
        // refuses for a conditional jump one past the end, with the same errno
        SocketFilterModel model = SocketFilterModel.of(Set.of());
        SocketFilterModel mutant = SocketFilterModel.of(Set.of(BpfMutant.JUMP_PAST_END_ACCEPTED));
        List<SockFilter> program = List.of(SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
                SockFilter.stmt(BPF_RET | BPF_K, 1));
        assertThat(model.check(program).result()).isEqualTo(-Errno.EINVAL);
        assertThat(mutant.check(program).result()).isEqualTo(-Errno.EINVAL);
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            assertThat(kernel.attach(program)).isEqualTo(-Errno.EINVAL);
        }
        int seen = 0;
        for (long i = 0; i < 20_000; i++) {
            BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(5, i));
            if (c.program().size() <= Filter.BPF_MAXINSNS) {
                assertThat(mutant.check(c.program()).result()).as("seed %d", c.seed())
                        .isEqualTo(model.check(c.program()).result());
                seen++;
            }
        }
        assertThat(seen).isGreaterThan(19_000);
    }
}
