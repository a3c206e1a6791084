package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_IOWQ_MAX_WORKERS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each run of a world lockstep starts on a task of its own, on this kernel: what a task keeps of io_uring outlives
 * the rings it used, so a run on the task of the runs before it would see what they left, and its verdict would
 * depend on which seeds ran first in the JVM.
 */
@Tag("kernel")
class WorldRunTaskTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * The calling task's io-wq caps, bound and unbound: IORING_REGISTER_IOWQ_MAX_WORKERS with two zeroes changes
     * nothing and answers the caps in force (io_uring/register.c io_register_iowq_max_workers), on a ring of 8
     * entries made for the question.
     */
    static int[] ioWqCaps() {
        NativeIoUring kernel = new NativeIoUring();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringParams.SIZE_BYTES, 8);
            Ring ring = kernel.setup(8, params).ringOrNull();
            assertThat(ring).as("a ring of 8 entries").isNotNull();
            try {
                MemorySegment counts = arena.allocate(8, 4);
                assertThat(kernel.register(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, counts, 2)).isZero();
                return new int[] {counts.get(JAVA_INT, 0), counts.get(JAVA_INT, 4)};
            } finally {
                kernel.close(ring);
            }
        }
    }

    /**
     * A task's io-wq is made for the first ring the task uses and takes its bound-worker cap from that ring's SQ
     * entries ({@code io_init_wq_offload}: at most the SQ entries, at most 4 per online CPU), for the task's life.
     * A run that made a ring of 1 entry left its task an io-wq of 1 bound worker, where the next run's first ring has
     * 8 entries: on the same task, every bound io-wq item of the second run would wait for the one before it. The
     * second run's caps are those of a new thread whose first ring has 8 entries.
     */
    @Test
    void aRunsIoWqIsMadeForItsOwnFirstRing() throws Exception {
        int[][] alone = new int[1][];
        Thread fresh = Thread.ofPlatform().start(() -> alone[0] = ioWqCaps());
        fresh.join();
        AtomicInteger bound = new AtomicInteger(-1);
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            assertThat(runner.run(List.of(new Step.Setup(1, 0, 0)), new Coverage()).diverged()).isFalse();
            runner.run(List.of(new Step.Setup(8, 0, 0)), new Coverage(), (i, s, ref, sub) -> bound.set(ioWqCaps()[0]));
        }
        assertThat(alone[0][0]).as("a new thread's bound cap after a ring of 8 entries").isGreaterThan(1);
        assertThat(bound.get()).as("the second run's bound cap").isEqualTo(alone[0][0]);
    }
}
