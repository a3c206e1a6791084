package dev.ringspec.lockstep;

import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.NativeIoUring;

/**
 * THE place where the reference model plugs into the lockstep engine. Until {@code dev.ringspec.model.ModelIoUring}
 * lands, {@link #reference} is a second instance of the running kernel, so {@code ringspec check} is a harness
 * self-test (kernel against kernel: it must never diverge) and says so. To plug the model in, replace the body of
 * {@link #reference} with
 *
 * <pre>{@code
 * return new Backend("model, profile " + caps.release(),
 *         memory -> new ModelIoUring(KernelProfile.forCapabilities(caps), memory, Set.of()));
 * }</pre>
 *
 * and make {@link #referenceIsModel} answer true.
 */
public final class ReferenceBackends {
    private ReferenceBackends() {
    }

    /** The backend the kernel is checked against. */
    public static Backend reference(KernelCapabilities caps) {
        return new Backend("kernel (stand-in reference: the model is not plugged in yet)", memory -> new NativeIoUring());
    }

    /** Whether {@link #reference} is the model (false while it is the kernel standing in). */
    public static boolean referenceIsModel() {
        return false;
    }

    /** The running kernel, the subject of every check. */
    public static Backend kernel() {
        return new Backend("kernel", memory -> new NativeIoUring());
    }
}
