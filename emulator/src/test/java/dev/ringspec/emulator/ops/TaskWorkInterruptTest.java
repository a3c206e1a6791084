package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Work that reaches a ring from another thread while its task is in user space: the kernel interrupts the task to
 * run it (TWA_SIGNAL), so an application that only reads its CQ ring, never entering, sees the CQE; on a
 * DEFER_TASKRUN ring the work waits for the task's next wait. A READ of an empty pipe arms a poll; another thread
 * writes the pipe; the test thread then looks at the CQ tail without a syscall. On this kernel and on the emulator.
 */
@Tag("kernel")
@Timeout(60)
class TaskWorkInterruptTest {
    /** How long the test looks at a CQ ring that is expected to stay empty. */
    private static final long QUIET_NANOS = 300_000_000L;
    /** How long it looks for a CQE that is expected. */
    private static final long LOOK_NANOS = 5_000_000_000L;

    @Test
    void aPollWakeupPostsTheCqeWhileTheTaskSpinsOnItsCqRing() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] pipe = w.pipe();
            readInto(r, pipe[0], 11);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.d.ready()).as("nothing to read yet").isZero();
            Thread writer = Thread.ofPlatform().start(() -> writeEight(pipe[1]));
            writer.join();
            // no enter from here on: only the CQ ring's tail
            assertThat(spinUntilReady(r, LOOK_NANOS)).as("the CQE seen without entering").isTrue();
            return reapAll(r);
        }));
        assertThat(cqes).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(11L, 8));
    }

    @Test
    void onADeferTaskrunRingTheCqeWaitsForTheTasksNextWait() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                0, (w, r) -> {
                    int[] pipe = w.pipe();
                    readInto(r, pipe[0], 12);
                    assertThat(r.submit()).isEqualTo(1);
                    Thread writer = Thread.ofPlatform().start(() -> writeEight(pipe[1]));
                    writer.join();
                    assertThat(spinUntilReady(r, QUIET_NANOS)).as("a CQE before the task waits").isFalse();
                    assertThat(r.kernel.enter(r.d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0))
                            .isZero();
                    return reapAll(r);
                }));
        assertThat(cqes).extracting(Cqe::userData, Cqe::res).containsExactly(tuple(12L, 8));
    }

    /** Writes 8 bytes into {@code fd} from the calling thread (the world's memory belongs to the test's thread). */
    private static void writeEight(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(8);
            if (Linux.call(Linux.SYS_WRITE, fd, bytes.address(), 8) != 8) {
                throw new IllegalStateException("the write into the pipe failed");
            }
        }
    }

    /** A READ of 8 bytes from {@code fd} into the ring's memory, at the file position. */
    private static void readInto(TestRing r, int fd, long userData) {
        r.read8(fd, r.memory.allocate(8), userData);
    }

    /** Looks at the CQ tail, with no syscall, until a CQE is there or {@code nanos} have passed. */
    private static boolean spinUntilReady(TestRing r, long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() - until < 0) {
            if (r.d.ready() > 0) {
                return true;
            }
            Thread.onSpinWait();
        }
        return r.d.ready() > 0;
    }

    private static List<Cqe> reapAll(TestRing r) {
        List<Cqe> out = new ArrayList<>();
        for (Cqe c = r.d.reap(); c != null; c = r.d.reap()) {
            out.add(c);
        }
        return out;
    }
}
