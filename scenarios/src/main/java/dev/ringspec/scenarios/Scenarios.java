package dev.ringspec.scenarios;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
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
}
