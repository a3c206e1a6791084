package dev.ringspec.capabilities;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.UserMemory;
import org.junit.jupiter.api.Test;

/**
 * The per-task restriction trial ({@code io_uring_register(-1, RESTRICTIONS, ...)}) must not take a kernel without
 * blind register for one that has the feature: before 6.18 fd -1 is a bad descriptor (-EBADF), which a matrix run
 * on 6.1.192 and 6.12.118 once reported as TASK_RESTRICTIONS present.
 */
class TaskRestrictionsTrialTest {

    @Test
    void aKernelWithoutBlindRegisterLacksTaskRestrictions() {
        for (KernelProfile profile : new KernelProfile[] {KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12,
            KernelProfile.LINUX_6_18}) {
            try (UserMemory memory = new UserMemory()) {
                KernelCapabilities caps = CapabilityProbe.probe(new ModelIoUring(profile, memory), memory);
                assertThat(caps.has(Feature.TASK_RESTRICTIONS)).as(profile.version()).isFalse();
            }
        }
    }
}
