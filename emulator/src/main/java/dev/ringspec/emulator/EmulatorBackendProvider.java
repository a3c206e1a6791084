package dev.ringspec.emulator;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendProvider;
import java.util.List;

/**
 * The emulator as backends, one per {@link KernelProfile}: {@code emulator-6.1} to {@code emulator-7.3}. Opt-in
 * (selected only when named in {@code ringspec.backends}) while its opcode table grows; each {@link Backend#open}
 * starts an emulator of its own. A selection may give it options ({@link EmulatorOptions#parse}), for example
 * {@code emulator-6.18?seed=7&faults=short-read@1&pedantic}.
 */
public final class EmulatorBackendProvider implements BackendProvider {
    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12,
            KernelProfile.LINUX_6_18, KernelProfile.LINUX_6_19, KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1,
            KernelProfile.LINUX_7_2, KernelProfile.LINUX_7_3);

    @Override
    public List<Backend> backends() {
        return PROFILES.stream().map(EmulatorBackendProvider::backend).toList();
    }

    /** The emulator with {@code profile}, named {@code emulator-<version>}. */
    public static Backend backend(KernelProfile profile) {
        return Backend.emulator("emulator-" + profile.version(), memory -> EmulatedIoUring.open(profile, memory))
                .withDescription("emulator, profile " + profile.version())
                .withAvailability(EmulatorBackendProvider::availability)
                .withProcess(RealProcess.INSTANCE)
                .withOptionsFactory((memory, options) -> EmulatedIoUring.open(EmulatorOptions.parse(profile, options),
                        memory))
                .optIn();
    }

    private static Backend.Availability availability() {
        String os = System.getProperty("os.name", "");
        return os.startsWith("Linux") ? Backend.Availability.AVAILABLE
                : Backend.Availability.unavailable("the emulator does real I/O through Linux syscalls; this is " + os);
    }
}
