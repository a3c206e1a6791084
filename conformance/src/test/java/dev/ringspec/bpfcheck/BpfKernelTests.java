package dev.ringspec.bpfcheck;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.SocketFilterKernel;

/** What the kernel-touching cBPF tests share: the skip, with the reason, where socket filters cannot be used. */
final class BpfKernelTests {
    private BpfKernelTests() {
    }

    /** Opens a socket pair for filtering, or skips the calling test with the reason. */
    static SocketFilterKernel openOrSkip() {
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        assumeTrue(availability.available(), availability.reason());
        return SocketFilterKernel.open();
    }
}
