package dev.ringspec.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.model.Clock;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import java.util.List;

/**
 * Runs one scenario on this machine's kernel and on the emulator with the 6.18 profile (this machine's kernel
 * line), each over user memory of its own, and requires the same CQEs: the emulator's opcode tests check it
 * against the real thing, never against values taken from the emulator. Skips (with the kernel's reason) where
 * io_uring cannot be used.
 */
public final class BothSides {

    /** A scenario: drives {@code kernel} over {@code memory} and answers the CQEs it reaped, in order. */
    @FunctionalInterface
    public interface Scenario {
        List<Cqe> run(IoUringKernel kernel, UserMemory memory) throws Exception;
    }

    private BothSides() {
    }

    /** The CQEs of {@code scenario} on the kernel, after checking the emulator reaps the same. */
    public static List<Cqe> sameOnBoth(Scenario scenario) throws Exception {
        return sameOnBoth(KernelProfile.LINUX_6_18, scenario);
    }

    /** The same with the emulator at {@code profile}. */
    public static List<Cqe> sameOnBoth(KernelProfile profile, Scenario scenario) throws Exception {
        return sameOnBoth(profile, List.of(), scenario);
    }

    /**
     * The same with {@code extra} opcodes in the emulator beside its own (see
     * {@link EmulatedIoUring#open(KernelProfile, UserMemory, Clock, List)}).
     */
    public static List<Cqe> sameOnBoth(KernelProfile profile, List<EmuOp> extra, Scenario scenario)
            throws Exception {
        return sameOn(NativeBackendProvider.backend(), profile, extra, scenario);
    }

    /** The same on the kernel of {@code kernel} (a guest's, say), skipped with its reason where it is unavailable. */
    public static List<Cqe> sameOn(Backend kernel, KernelProfile profile, List<EmuOp> extra, Scenario scenario)
            throws Exception {
        List<Cqe> onKernel = onKernel(kernel, scenario);
        List<Cqe> onEmulator = onEmulator(profile, extra, scenario);
        assertThat(onEmulator).as("the emulator's CQEs (profile %s) against %s's", profile.version(), kernel.name())
                .isEqualTo(onKernel);
        return onKernel;
    }

    /**
     * The CQEs of {@code scenario} on the kernel of {@code kernel}, skipped with its reason where it is unavailable:
     * for a scenario whose outcome differs where the kernel has a catalogued bug, compared by the caller.
     */
    public static List<Cqe> onKernel(Backend kernel, Scenario scenario) throws Exception {
        assumeTrue(kernel.availability().available(), kernel.availability().reason());
        try (UserMemory memory = new UserMemory()) {
            return scenario.run(kernel.open(memory), memory);
        }
    }

    /** The CQEs of {@code scenario} on the emulator at {@code profile}, with {@code extra} opcodes. */
    public static List<Cqe> onEmulator(KernelProfile profile, List<EmuOp> extra, Scenario scenario) throws Exception {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(profile, memory,
                Clock.SYSTEM, extra)) {
            return scenario.run(emulator, memory);
        }
    }
}
