package dev.ringspec.lockstep;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;

/** What every kernel-touching lockstep test shares: the skip where io_uring cannot be used, and the backends. */
final class KernelTests {
    private KernelTests() {
    }

    static void assumeIoUring() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
    }

    static Backend kernel(String name) {
        return Backend.kernel(name, memory -> new NativeIoUring());
    }

    static Backend faulty(FaultInjectingKernel.Fault fault) {
        return Backend.kernel("kernel with fault " + fault, memory -> new FaultInjectingKernel(new NativeIoUring(), fault));
    }
}
