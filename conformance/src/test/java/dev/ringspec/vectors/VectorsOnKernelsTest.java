package dev.ringspec.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.fixtures.vectors.VectorParser;
import dev.ringspec.guest.GuestBackendProvider;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendRegistry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector on this machine's kernel and on the Linux 7.2 and 7.3 guests (one boot per kernel, shared with the
 * JVM's other guest tests; skipped with the reason where io_uring, QEMU or the kernel cannot be had). Most vectors
 * need features this machine's kernel lacks, and are skipped there with the feature named.
 */
@Tag("kernel")
class VectorsOnKernelsTest {
    private static final VectorChecks CHECKS = new VectorChecks();
    private static final Backend GUEST_7_2 = GuestBackendProvider.backend("debian:7.2");
    private static final Backend GUEST_7_3 = GuestBackendProvider.backend("debian:7.3");

    @TestFactory
    Stream<DynamicNode> vectorsOnThisKernel() {
        return CHECKS.tests(BackendRegistry.select("native", BackendRegistry.registered()));
    }

    @TestFactory
    @Tag("qemu")
    @Tag("guest")
    Stream<DynamicNode> vectorsOnTheLinux7Guests() {
        return CHECKS.tests(List.of(GUEST_7_2, GUEST_7_3));
    }

    // A vector run on a kernel can fail: a denied NOP expected to succeed is reported at its line.
    @Test
    @Tag("qemu")
    @Tag("guest")
    void aWrongExpectationFailsOnAKernel() {
        assumeTrue(GUEST_7_2.availability().available(), GUEST_7_2.availability().reason());
        VectorResult result = VectorRunner.run(VectorParser.parse("wrong.vec", """
                source io_uring/bpf_filter.c __io_uring_run_bpf_filters
                requires BPF_FILTER
                setup sq=4
                expect setup=ok
                filter opcode=NOP
                  ret #0
                end
                expect register=0
                nop ud=1
                submit
                expect enter=1
                expect cqe ud=1 res=0
                """), GUEST_7_2);
        assertThat(result).isEqualTo(new VectorResult.Ran(List.of(new VectorResult.Failure(12,
                "expect cqe ud=1 res=0", "the CQE at the head is {ud 1, res -13 (EACCES), flags 0x0}, expected "
                        + "{ud 1, res 0, flags 0x0}"))));
    }

    @AfterAll
    static void printTally() {
        System.out.print(CHECKS.summary());
    }
}
