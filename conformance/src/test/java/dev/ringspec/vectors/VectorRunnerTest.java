package dev.ringspec.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.fixtures.vectors.VectorParser;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelBackendProvider;
import dev.ringspec.seam.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runner reports each expectation that does not hold with the vector's line, and skips with the reason. */
class VectorRunnerTest {
    private static final Backend MODEL_7_2 = ModelBackendProvider.backend(KernelProfile.LINUX_7_2);
    private static final Backend MODEL_6_18 = ModelBackendProvider.backend(KernelProfile.LINUX_6_18);

    private static VectorResult run(Backend backend, String source) {
        return VectorRunner.run(VectorParser.parse("t.vec", "source io_uring/io_uring.c io_submit_sqes\n" + source),
                backend);
    }

    private static List<VectorResult.Failure> failures(String source) {
        VectorResult result = run(MODEL_7_2, source);
        assertThat(result).isInstanceOf(VectorResult.Ran.class);
        return ((VectorResult.Ran) result).failures();
    }

    @Test
    void aVectorThatHoldsHasNoFailures() {
        assertThat(failures("""
                setup sq=4
                expect setup=ok
                nop ud=1
                submit
                expect enter=1
                expect sq head=1 tail=1
                expect cq head=0 tail=1 overflow=0
                expect cqe ud=1 res=0
                expect cq empty
                """)).isEmpty();
    }

    @Test
    void eachFailedExpectationNamesItsLine() {
        List<VectorResult.Failure> failures = failures("""
                setup sq=4
                expect setup=ok
                nop ud=1
                nop ud=2
                submit
                expect enter=3
                expect sq head=1
                expect cqe ud=1 res=-EINVAL
                expect cqe ud=9 res=0
                """);
        assertThat(failures).extracting(VectorResult.Failure::line).containsExactly(7, 8, 9, 10);
        assertThat(failures.get(0).toString()).isEqualTo("line 7 `expect enter=3`: enter returned 2, expected 3");
        assertThat(failures.get(1).message()).isEqualTo("sq.head reads 2, expected 1");
        assertThat(failures.get(2).message()).startsWith("the CQE at the head is {ud 1, res 0");
        assertThat(failures.get(3).message()).startsWith("the CQE at the head is {ud 2,");
    }

    @Test
    void aCqeNoLineNamesIsReportedAtTheLastLine() {
        List<VectorResult.Failure> failures = failures("""
                setup sq=4
                expect setup=ok
                nop ud=1
                nop ud=2
                submit
                expect enter=2
                expect cqe ud=1 res=0
                """);
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst().line()).isEqualTo(8);
        assertThat(failures.getFirst().message()).startsWith("ring ring1 holds a CQE no `expect cqe` line names: {ud 2");
    }

    @Test
    void aStepOnARingThatWasNotCreatedEndsTheRun() {
        List<VectorResult.Failure> failures = failures("""
                setup sq=0
                expect setup=ok
                nop ud=1
                submit
                expect enter=1
                """);
        assertThat(failures).as("%s", failures).extracting(VectorResult.Failure::line).containsExactly(3, 4);
        assertThat(failures.get(0).message()).startsWith("setup returned -22 (EINVAL)");
        assertThat(failures.get(1).message()).isEqualTo("no ring is set up");
    }

    @Test
    void aBackendWithoutTheFeatureSkipsWithTheReason() {
        VectorResult result = run(MODEL_6_18, "requires SQ_REWIND\nsetup sq=4 flags=SQ_REWIND|NO_SQARRAY\n"
                + "expect setup=ok\n");
        assertThat(result).isEqualTo(new VectorResult.Skipped(
                "model-6.18 lacks SQ_REWIND (SQ rewind: every submit starts at SQE 0 (IORING_SETUP_SQ_REWIND), since 7.0)"));
        assertThat(run(MODEL_7_2, "requires kernel<7.0\nsetup sq=4\nexpect setup=ok\n"))
                .isEqualTo(new VectorResult.Skipped("model-7.2 is 7.2.0-model, not older than 7.0"));
        assertThat(run(MODEL_6_18, "lacks TASK_RESTRICTIONS\nsetup sq=4\nexpect setup=ok\n"))
                .isEqualTo(new VectorResult.Ran(List.of()));
    }

    @Test
    void versionsCompareByMajorAndMinor() {
        assertThat(VectorRunner.compareVersions("7.2.13+deb14-amd64", "7.2")).isZero();
        assertThat(VectorRunner.compareVersions("6.18.44-fc-v669", "7.0")).isNegative();
        assertThat(VectorRunner.compareVersions("7.3.0-rc7-amd64", "7.2")).isPositive();
        assertThat(VectorRunner.compareVersions("7.10", "7.2")).isPositive();
    }
}
