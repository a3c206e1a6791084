package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One implementation of every rule, two memories: the model with its rings in plain Java arrays runs the same
 * generated sequences as this kernel, with no difference the catalogue does not explain.
 */
@Tag("kernel")
class OnHeapModelTest {

    @Test
    void theModelOnHeapRingsAgreesWithTheKernel() {
        KernelTests.assumeIoUring();
        KernelProfile profile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        Backend onHeap = Backend.model("model on heap, profile " + profile.version(), memory -> new ModelIoUring(
                profile, memory, Set.of()).withProcessDescriptors(ProcessFdTable.INSTANCE).withOnHeapRings());
        try (UserMemory memory = new UserMemory()) {
            Ring ring = onHeap.open(memory).setup(4, memory.allocate(IoUringParams.SIZE_BYTES, 8))
                    .ringOrNull();
            assertThat(ring).isNotNull();
            assertThat(ring.sqRing().isNative()).as("the rings live in a Java array").isFalse();
            assertThat(ring.sqes().isNative()).isFalse();
        }
        LockstepCheck.Summary s = new LockstepCheck(onHeap, ReferenceBackends.kernel(), DivergenceCatalogue.load(),
                LockstepCheck.Config.defaults().withRuns(300).withReplayDirectory(null).withSaveReplays(false))
                .run(new java.io.PrintWriter(java.io.PrintWriter.nullWriter()));
        assertThat(s.runs()).isEqualTo(300);
        assertThat(s.newDivergences()).as("new divergences of the on-heap model").isEmpty();
        assertThat(s.steps()).isGreaterThan(300L * 150);
    }
}
