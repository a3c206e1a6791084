package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Mutant;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import dev.ringspec.uapi.Errno;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PROBE step: the model (profile of this kernel) and the kernel agree on its result and on every byte it writes
 * back, for op counts around {@code IORING_OP_LAST}, at the runner's cap and past the kernel's limit; the kernel's
 * trace shows the {@code last_op} and {@code ops_len} the kernel wrote; and a model whose {@code last_op} follows
 * the op count ({@link Mutant#PROBE_LAST_OP_FROM_NR}) diverges on exactly the counts below {@code IORING_OP_LAST}.
 */
@Tag("kernel")
class ProbeStepTest {
    private static KernelCapabilities caps;
    private static KernelProfile profile;

    @BeforeAll
    static void probeKernel() {
        KernelTests.assumeIoUring();
        caps = CapabilityProbe.probe(new NativeIoUring());
        profile = KernelProfile.forCapabilities(caps);
    }

    private static List<Step> steps(int nrArgs) {
        return List.of(new Step.Setup(4, 0, 0), new Step.Probe(nrArgs));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 62, 63, 64, 65, 256, 257})
    void modelAndKernelAgreeOnResultAndWriteBack(int nrArgs) {
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(caps),
                ReferenceBackends.kernel())) {
            LockstepRunner.Outcome outcome = runner.run(steps(nrArgs), null);
            assertThat(outcome.refusedSteps()).isZero();
            assertThat(outcome.divergence()).as("nr_args %d", nrArgs).isNull();

            String kernelLine = runner.trace(steps(nrArgs), LockstepRunner.Role.SUBJECT).get(1);
            String expected = nrArgs > Step.Probe.MAX_OPS
                    ? "res " + -Errno.EINVAL + " sq 0 0 0 0 cq 0 0 0 0 probe 0 0"
                    : "res 0 sq 0 0 0 0 cq 0 0 0 0 probe " + (profile.opLast() - 1) + " "
                            + Math.min(nrArgs, profile.opLast());
            assertThat(kernelLine).isEqualTo("step 1: " + expected);
            assertThat(runner.trace(steps(nrArgs), LockstepRunner.Role.REFERENCE).get(1)).isEqualTo(kernelLine);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 62, 63, 64, 65, 256, 257})
    void lastOpFromNrArgsIsCaughtWhereItDiffers(int nrArgs) {
        Backend mutant = Backend.model("model, mutant PROBE_LAST_OP_FROM_NR", memory -> new ModelIoUring(profile,
                memory, EnumSet.of(Mutant.PROBE_LAST_OP_FROM_NR)).withProcessDescriptors(ProcessFdTable.INSTANCE));
        try (LockstepRunner runner = new LockstepRunner(mutant, ReferenceBackends.kernel())) {
            Divergence d = runner.run(steps(nrArgs), null).divergence();
            boolean differs = nrArgs <= Step.Probe.MAX_OPS && nrArgs < profile.opLast();
            if (differs) {
                assertThat(d).as("nr_args %d", nrArgs).isNotNull();
                assertThat(d.step()).isEqualTo(1);
                assertThat(d.field()).isEqualTo("ProbeArgWriteBack");
            } else {
                assertThat(d).as("nr_args %d", nrArgs).isNull();
            }
        }
    }
}
