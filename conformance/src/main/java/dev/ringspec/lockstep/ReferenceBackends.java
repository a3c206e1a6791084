package dev.ringspec.lockstep;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.util.Set;

/**
 * The backends of a lockstep check: the reference model, with the profile chosen from the capabilities of the
 * kernel being checked and this process's descriptor table, and the running kernel, the subject of every check.
 */
public final class ReferenceBackends {
    private ReferenceBackends() {
    }

    /** The model with the profile of the kernel whose capabilities are given. */
    public static Backend reference(KernelCapabilities caps) {
        return model(caps == null ? KernelProfile.LINUX_6_18 : KernelProfile.forCapabilities(caps));
    }

    /** The model with {@code profile}. */
    public static Backend model(KernelProfile profile) {
        return Backend.model("model, profile " + profile.version(),
                memory -> new ModelIoUring(profile, memory, Set.of()).withProcessDescriptors(ProcessFdTable.INSTANCE));
    }

    /**
     * The model that referees a run whose reference is not the model (a kernel against itself, or against a
     * fault-injecting wrapper): it runs each step first and says which ones the run must not take
     * ({@link Referee}). Its profile is the running kernel's.
     */
    static Backend referee() {
        KernelProfile profile = RunningKernel.PROFILE;
        return Backend.model("referee model, profile " + profile.version(),
                memory -> new ModelIoUring(profile, memory, Set.of()).withProcessDescriptors(ProcessFdTable.INSTANCE));
    }

    /** The running kernel's profile, probed once. */
    private static final class RunningKernel {
        static final KernelProfile PROFILE = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
    }

    /** The running kernel, the subject of every check. */
    public static Backend kernel() {
        return Backend.kernel("kernel", memory -> new NativeIoUring());
    }
}
