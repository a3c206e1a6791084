package dev.ringspec.vectors;

import dev.ringspec.guest.GuestBackendProvider;
import dev.ringspec.seam.BackendRegistry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector on this machine's kernel and on the Linux 7.2 and 7.3 guests (one boot per kernel, shared with the
 * JVM's other guest tests; skipped with the reason where io_uring, QEMU or the kernel cannot be had). Most vectors
 * need features this machine's kernel lacks, and are skipped there with the feature named.
 */
@Tag("kernel")
class VectorsOnKernelsTest {
    private static final VectorChecks CHECKS = new VectorChecks();

    @TestFactory
    Stream<DynamicNode> vectorsOnThisKernel() {
        return CHECKS.tests(BackendRegistry.select("native", BackendRegistry.registered()));
    }

    @TestFactory
    @Tag("qemu")
    @Tag("guest")
    Stream<DynamicNode> vectorsOnTheLinux7Guests() {
        return CHECKS.tests(List.of(GuestBackendProvider.backend("debian:7.2"), GuestBackendProvider.backend(
                "debian:7.3")));
    }

    @AfterAll
    static void printTally() {
        System.out.print(CHECKS.summary());
    }
}
