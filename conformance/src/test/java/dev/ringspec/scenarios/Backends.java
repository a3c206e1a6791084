package dev.ringspec.scenarios;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every io_uring backend a scenario runs against. Scenarios are written once against the seam and parameterised
 * over {@link #all()}; expected values come from ring-semantics.md, never from a backend.
 *
 * <p>Each backend is built once per test JVM, with its own {@link UserMemory} (argument memory whose addresses the
 * backend may have to resolve) and its {@link KernelCapabilities}, found by {@link CapabilityProbe} through the
 * seam so that a scenario needing a feature skips exactly where the backend lacks it.
 */
public final class Backends {

    /** One backend: who answers, the seam to it, the memory arguments are allocated from, what it supports. */
    public record Backend(String name, IoUringKernel kernel, UserMemory memory, KernelCapabilities caps) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Backend> BACKENDS = build();

    private Backends() {
    }

    /** The backends available here; empty when none is (see {@link #assumeAny()}). */
    public static Stream<Backend> all() {
        return BACKENDS.stream();
    }

    /**
     * Skips the calling test class when no backend is available, with the reason: today that is io_uring's
     * availability on this machine.
     */
    public static void assumeAny() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(!BACKENDS.isEmpty(), availability.available() ? "no io_uring backend is configured"
                : availability.reason());
    }

    /** Skips the calling test where the backend lacks {@code feature}, judged from its probed capabilities. */
    public static void assumeFeature(Backend backend, Feature feature) {
        assumeTrue(!backend.caps().notModelled().contains(feature), () -> "the model does not model "
                + feature.name() + " yet: " + backend.name());
        assumeTrue(backend.caps().has(feature), () -> "this kernel lacks " + feature.name() + " ("
                + feature.description() + ", since " + feature.since() + "): " + backend.name());
    }

    private static List<Backend> build() {
        List<Backend> backends = new ArrayList<>();
        if (IoUringAvailability.probe().available()) {
            NativeIoUring kernel = new NativeIoUring();
            backends.add(new Backend(kernel.description(), kernel, new UserMemory(), CapabilityProbe.probe(kernel)));
        }
        // The reference model, judged by the same scenarios: with the profile of the kernel beside it (so both
        // must give the same answers), and with the newest profile, so that scenarios of features this kernel
        // lacks still run, against the model alone.
        KernelProfile kernelProfile = backends.isEmpty() ? KernelProfile.LINUX_6_18
                : KernelProfile.forCapabilities(backends.getFirst().caps());
        for (KernelProfile profile : new LinkedHashSet<>(List.of(kernelProfile, KernelProfile.LINUX_7_1))) {
            UserMemory memory = new UserMemory();
            ModelIoUring model = new ModelIoUring(profile, memory);
            backends.add(new Backend(model.description(), model, memory, CapabilityProbe.probe(model)));
        }
        return List.copyOf(backends);
    }
}
