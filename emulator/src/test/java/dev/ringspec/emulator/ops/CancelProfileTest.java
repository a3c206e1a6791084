package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_OP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import org.junit.jupiter.api.Test;

/**
 * What differs between kernel versions in cancel.c, on profiles this machine cannot run: 7.1.8's
 * {@code io_async_cancel_prep} refuses an IORING_ASYNC_CANCEL_OP opcode at or past IORING_OP_LAST with -EINVAL
 * (read from the 7.1.8, 7.2.13 and 7.3-rc7 sources; this machine's 6.18 answers -ENOENT, see {@link CancelTest}).
 */
class CancelProfileTest {

    @Test
    void from71AnOpcodePastTheLastIsRefusedAtPrep() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_7_1, memory)) {
            TestRing r = new TestRing(emulator, memory);
            r.cancel(1, IORING_ASYNC_CANCEL_OP, 0, KernelProfile.LINUX_7_1.opLast(), 1);
            r.submit();
            Cqe c = r.reap().getFirst();
            assertThat(c.res()).isEqualTo(-EINVAL);
            r.close();
        }
    }
}
