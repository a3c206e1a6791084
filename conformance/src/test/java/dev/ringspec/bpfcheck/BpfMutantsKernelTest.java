package dev.ringspec.bpfcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.nativerunner.SocketFilterKernel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
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
            BpfOracle reference = new BpfOracle(kernel, SocketFilterModel.of(java.util.Set.of()));
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
}
