package dev.ringspec.lockstep;

import static org.junit.jupiter.api.Assumptions.abort;

import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;

/** The guest kernel of the lockstep tests that boot one. */
final class GuestTests {
    private GuestTests() {
    }

    /**
     * Boots Debian's 7.2 unless {@code -Dringspec.guest.kernel} names another; aborts the test class with the reason
     * where QEMU or the kernel cannot be had.
     */
    static GuestKernel bootOrAbort() throws Exception {
        try {
            return GuestKernel.boot(System.getProperty("ringspec.guest.kernel", "debian:7.2"));
        } catch (GuestUnavailableException e) {
            abort(e.getMessage());
            throw new AssertionError("unreachable");
        }
    }
}
