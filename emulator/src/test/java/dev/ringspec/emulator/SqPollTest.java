package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAIT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SQPOLL rings (io_uring/sqpoll.c): the SQ thread consumes what the application publishes, enter answers
 * {@code to_submit} without submitting, an idle thread raises IORING_SQ_NEED_WAKEUP and sleeps until SQ_WAKEUP. Each
 * scenario runs on this kernel and on the emulator; assertions inside a scenario hold on both.
 */
@Tag("kernel")
@Timeout(30)
class SqPollTest {

    private static RingDriver sqpollRing(IoUringKernel kernel, UserMemory memory, int entries, int idleMillis) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_SQPOLL);
        params.set(JAVA_INT, IoUringParams.SQ_THREAD_IDLE_OFFSET, idleMillis);
        return new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    private static void nop(RingDriver d, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_NOP);
        Sqe.userData(d.sqes(), at, userData);
    }

    /** Publishes the SQEs written so far without entering (what liburing does while the SQ thread is awake). */
    private static void publish(RingDriver d, int count) {
        d.sq().storeReleaseTail(d.sq().readOnceTail() + count);
    }

    /**
     * Reaps {@code count} CQEs, looking every millisecond for at most ten seconds: a GETEVENTS wait on a kernel whose
     * SQ thread sleeps would never return, and no test may hang.
     */
    private static List<Cqe> reapAll(RingDriver d, int count) throws InterruptedException {
        List<Cqe> cqes = new ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (cqes.size() < count) {
            Cqe c = d.reap();
            if (c != null) {
                cqes.add(c);
            } else if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("only " + cqes.size() + " of " + count + " CQEs in 10 s: " + cqes);
            } else {
                Thread.sleep(1);
            }
        }
        return cqes;
    }

    private static boolean needWakeup(RingDriver d) {
        return (d.sq().readOnceFlags() & IORING_SQ_NEED_WAKEUP) != 0;
    }

    private static void sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    @Test
    void theSqThreadSubmitsWhatIsPublishedAndEnterAnswersToSubmit() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
            RingDriver d = sqpollRing(kernel, memory, 8, 2000);
            try {
                for (int i = 1; i <= 4; i++) {
                    nop(d, i);
                }
                publish(d, 4);
                // io_uring_enter on an SQPOLL ring returns to_submit, whatever the SQ holds (SQ_WAKEUP in case the
                // thread went idle already, as liburing does when it sees IORING_SQ_NEED_WAKEUP)
                assertThat(kernel.enter(d.ring(), 5, 0, IORING_ENTER_SQ_WAKEUP, MemorySegment.NULL, 0)).isEqualTo(5);
                return reapAll(d, 4);
            } finally {
                kernel.close(d.ring());
            }
        });
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L, 3L, 4L);
        assertThat(cqes).extracting(Cqe::res).containsOnly(0);
    }

    @Test
    void getEventsWaitsForWhatTheSqThreadCompletes() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            RingDriver d = sqpollRing(kernel, memory, 8, 2000);
            try {
                nop(d, 9);
                publish(d, 1);
                assertThat(kernel.enter(d.ring(), 1, 1, IORING_ENTER_SQ_WAKEUP | IORING_ENTER_GETEVENTS,
                        MemorySegment.NULL, 0)).isEqualTo(1);
                assertThat(d.ready()).isEqualTo(1);
                return reapAll(d, 1);
            } finally {
                kernel.close(d.ring());
            }
        });
    }

    @Test
    void anIdleThreadRaisesNeedWakeupAndSleepsUntilSqWakeup() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
            RingDriver d = sqpollRing(kernel, memory, 8, 10);
            try {
                sleep(300);
                assertThat(needWakeup(d)).as("NEED_WAKEUP after 300 ms idle (sq_thread_idle 10 ms)").isTrue();
                nop(d, 7);
                publish(d, 1);
                sleep(200);
                assertThat(d.ready()).as("a sleeping SQ thread consumes nothing").isZero();
                assertThat(d.sq().readOnceHead()).isZero();
                assertThat(kernel.enter(d.ring(), 1, 0, IORING_ENTER_SQ_WAKEUP, MemorySegment.NULL, 0))
                        .isEqualTo(1);
                List<Cqe> got = reapAll(d, 1);
                sleep(300);
                assertThat(needWakeup(d)).as("idle again").isTrue();
                return got;
            } finally {
                kernel.close(d.ring());
            }
        });
        assertThat(cqes).extracting(Cqe::userData).containsExactly(7L);
    }

    @Test
    void sqWaitReturnsOnceTheThreadMadeRoom() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            RingDriver d = sqpollRing(kernel, memory, 4, 1000);
            try {
                for (int i = 1; i <= 4; i++) {
                    nop(d, i);
                }
                publish(d, 4);
                assertThat(kernel.enter(d.ring(), 0, 0, IORING_ENTER_SQ_WAIT | IORING_ENTER_SQ_WAKEUP,
                        MemorySegment.NULL, 0)).isZero();
                assertThat(d.sq().readOnceTail() - d.sq().loadAcquireHead()).as("SQ no longer full")
                        .isLessThan(4);
                return reapAll(d, 4);
            } finally {
                kernel.close(d.ring());
            }
        });
    }

    @Test
    void deterministicModeRunsThePassAtSqWakeupOnTheCallersThread() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(
                        EmulatorOptions.of(KernelProfile.LINUX_6_18).deterministic(3), memory)) {
            RingDriver d = sqpollRing(emulator, memory, 8, 0);
            assertThat(needWakeup(d)).as("the SQ thread sleeps from the start").isTrue();
            nop(d, 1);
            nop(d, 2);
            publish(d, 2);
            assertThat(d.ready()).isZero();
            assertThat(emulator.enter(d.ring(), 2, 2, IORING_ENTER_SQ_WAKEUP | IORING_ENTER_GETEVENTS,
                    MemorySegment.NULL, 0)).isEqualTo(2);
            assertThat(List.of(d.reap(), d.reap())).extracting(Cqe::userData).containsExactly(1L, 2L);
            assertThat(emulator.close(d.ring())).isZero();
        }
    }

    @Test
    void closingTheEmulatorEndsItsSqThreads() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory)) {
            sqpollRing(emulator, memory, 8, 5);
            sqpollRing(emulator, memory, 8, 5);
            assertThat(sqThreads()).isEqualTo(2);
        }
        assertThat(sqThreads()).isZero();
    }

    private static long sqThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("iou-sqp-") && t.isAlive()).count();
    }
}
