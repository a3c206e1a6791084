package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The deterministic emulator, which runs io-wq work on the ring's task, against this machine's kernel: a SPLICE from
 * an empty pipe waits in its io-wq worker for the outside world, so the enter returns without it; the world's write
 * completes it at a later enter, and ASYNC_CANCEL of one that waits answers -EALREADY and ends it interrupted.
 * Before, the deterministic emulator made the blocking splice on the ring's own thread, which never returned (the
 * world lockstep hung there).
 */
@Tag("kernel")
class SpliceWaitsForTheWorldTest {
    private static final long SYS_PIPE2 = 293;
    private static final long SYS_WRITE = 1;

    private static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    private static final BothSides.Scenario SCENARIO = (k, m) -> {
        int[] in = pipe();
        int[] out = pipe();
        try (NetRing r = new NetRing(k, m)) {
            List<Cqe> all = new ArrayList<>();
            long at = r.sqe(IORING_OP_SPLICE, out[1], -1, -1, 16, 0, 1);
            r.fileIndex(at, in[0]);
            r.submit();
            Thread.sleep(50);
            all.addAll(r.drain()); // none: the splice waits for bytes
            MemorySegment abc = r.bytes("abc");
            assertThat(Linux.call(SYS_WRITE, in[1], abc.address(), 3)).isEqualTo(3);
            all.addAll(r.await(1));
            at = r.sqe(IORING_OP_SPLICE, out[1], -1, -1, 16, 0, 2);
            r.fileIndex(at, in[0]);
            r.submit();
            Thread.sleep(50);
            r.sqe(IORING_OP_ASYNC_CANCEL, -1, 0, 2, 0, 0, 3);
            all.addAll(r.submitAndWait(2));
            assertThat(r.drain()).isEmpty();
            return all;
        } finally {
            NetRing.closeAll(in[0], in[1], out[0], out[1]);
        }
    };

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSpliceFromAnEmptyPipeWaitsForTheWorldAndACancelEndsIt() throws Exception {
        assertThat(BothSides.onKernel(NativeBackendProvider.backend(), SCENARIO)).containsExactly(
                new Cqe(1, 3, 0, 0, 0), new Cqe(3, -EALREADY, 0, 0, 0),
                new Cqe(2, SpliceInterruption.onThisKernel(), 0, 0, 0));
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = EmulatedIoUring.open(
                EmulatorOptions.of(KernelProfile.LINUX_6_18).deterministic(1), memory)) {
            assertThat(SCENARIO.run(e, memory)).containsExactly(new Cqe(1, 3, 0, 0, 0),
                    new Cqe(3, -EALREADY, 0, 0, 0), new Cqe(2, -EINTR, 0, 0, 0));
        }
    }
}
