package dev.ringspec.lockstep;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.seam.UserMemory;

/**
 * A guest kernel booted for one test class ({@link KernelTests#bootGuest}: the test aborts with the reason where it
 * cannot be had), the memory its backend mirrors, and what the capability probe found in it.
 */
final class BootedGuest implements AutoCloseable {
    final GuestKernel kernel;
    final UserMemory memory;
    final KernelCapabilities caps;

    private BootedGuest(GuestKernel kernel, UserMemory memory) {
        this.kernel = kernel;
        this.memory = memory;
        this.caps = CapabilityProbe.probe(kernel.backend(memory), memory);
    }

    static BootedGuest boot() throws Exception {
        return new BootedGuest(KernelTests.bootGuest(), new UserMemory());
    }

    @Override
    public void close() {
        kernel.close();
        memory.close();
    }
}
