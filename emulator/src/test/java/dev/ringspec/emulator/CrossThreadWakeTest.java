package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A task that completes requests inline wakes the tasks sleeping on the ring ({@code io_cqring_wake} after the
 * submission's completions are flushed): a GETEVENTS wait on one thread ends when another thread's NOP posts its CQE.
 * On this kernel and on the emulator.
 */
@Tag("kernel")
@Timeout(30)
class CrossThreadWakeTest {

    @Test
    void aNopSubmittedOnOneThreadEndsAWaitOnAnother() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            RingDriver d = new RingDriver(kernel, kernel.setup(8, params).ringOrNull());
            try {
                CompletableFuture<Integer> waited = CompletableFuture.supplyAsync(
                        () -> kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0));
                // the other thread is asleep by now, or will find the CQE when it looks
                Thread.sleep(200);
                assertThat(waited).isNotDone();
                long at = d.nextSqe();
                Sqe.opcode(d.sqes(), at, IORING_OP_NOP);
                Sqe.userData(d.sqes(), at, 7);
                assertThat(d.submit(0, 0)).isEqualTo(1);
                // 10 s: a wait nobody wakes would block until the run's timeout
                assertThat(waited.get(10, TimeUnit.SECONDS)).isZero();
                return List.of(d.reap());
            } finally {
                kernel.close(d.ring());
            }
        });
        assertThat(cqes).extracting(Cqe::userData).containsExactly(7L);
    }
}
