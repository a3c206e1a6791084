package dev.ringspec.lockstep;

import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
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

    /**
     * Boots the guest kernel the guest tests use (Debian's 7.2 unless {@code -Dringspec.guest.kernel} says
     * otherwise), or aborts the test with the reason QEMU or the kernel cannot be had.
     */
    static GuestKernel bootGuest() throws Exception {
        try {
            return GuestKernel.boot(System.getProperty("ringspec.guest.kernel", "debian:7.2"));
        } catch (GuestUnavailableException e) {
            return abort(e.getMessage());
        }
    }

    static Backend kernel(String name) {
        return Backend.kernel(name, memory -> new NativeIoUring());
    }

    static Backend faulty(FaultInjectingKernel.Fault fault) {
        return Backend.kernel("kernel with fault " + fault, memory -> new FaultInjectingKernel(new NativeIoUring(), fault));
    }
}
