package dev.ringspec.scenarios;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendRegistry;
import java.util.List;

/** Where scenarios get their backends, and how they skip where a backend lacks what they need. */
final class Scenarios {
    private Scenarios() {
    }

    /** The backends {@code -Dringspec.backends} selects; by default every registered one (see {@link BackendRegistry}). */
    static List<Backend> backends() {
        return BackendRegistry.selected();
    }

    /** Skips the calling scenario where the backend lacks {@code feature}, judged from its probed capabilities. */
    static void assumeFeature(Backend backend, Feature feature) {
        KernelCapabilities caps = backend.capabilities();
        assumeTrue(!caps.notModelled().contains(feature), () -> "the model does not model " + feature.name()
                + " yet: " + backend.name());
        assumeTrue(caps.has(feature), () -> backend.name() + " lacks " + feature.name() + " ("
                + feature.description() + ", since " + feature.since() + ")");
    }

    /**
     * Skips the calling scenario where the backend's NOP does not accept every bit of {@code nopFlags}, judged from
     * the {@code IORING_NOP_*} bits its probe found (6.1's NOP accepts none, 6.12's only INJECT_RESULT).
     */
    static void assumeNopFlags(Backend backend, int nopFlags) {
        int accepted = backend.capabilities().nopFlags();
        assumeTrue((accepted & nopFlags) == nopFlags, () -> backend.name() + "'s NOP lacks nop_flags 0x"
                + Integer.toHexString(nopFlags & ~accepted) + " (it accepts 0x" + Integer.toHexString(accepted) + ")");
    }

    /**
     * The model profile whose rules match what the backend showed ({@link KernelProfile#forCapabilities}: its
     * features, PROBE and QUERY answers, never its release string), for a scenario whose expectation is a rule that
     * differs between kernels rather than a feature one of them lacks.
     */
    static KernelProfile profile(Backend backend) {
        return KernelProfile.forCapabilities(backend.capabilities());
    }
}
