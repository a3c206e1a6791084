package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Clock;
import dev.ringspec.model.Waiter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A task that sleeps in {@code io_cqring_wait} while a watch it armed in the same enter is pending polls epoll itself:
 * what fires runs on the task's own thread (no poll thread between the file and the task, as the kernel's file wait
 * queue wakes the task), and the wait still ends as a signal ends it.
 */
class RingWaiterTest {
    private static final int RING = 1000;
    private static final long TEN_SECONDS = 10_000_000_000L;

    @Test
    void aWaitingTaskRunsWhatFiresOnItsOwnThreadWhenNobodyElsePolls() throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            RingWaiter waiter = new RingWaiter(Clock.SYSTEM, r);
            int[] pipe = pipe(arena);
            AtomicReference<Thread> firedOn = new AtomicReference<>();
            long oneByte = arena.allocate(1).address();
            r.enterBegins();
            try {
                assertThat(r.watch(pipe[0], POLLIN, true, events -> {
                    firedOn.set(Thread.currentThread());
                    waiter.wake(RING);
                }, new int[1])).isNotNull();
                Thread writer = Thread.ofPlatform().start(() -> {
                    sleepQuietly(50);
                    Linux.call(SYS_WRITE, pipe[1], oneByte, 1);
                });
                assertThat(waiter.sleep(RING, System.nanoTime() + TEN_SECONDS)).as("woken by the pipe").isTrue();
                writer.join();
            } finally {
                r.afterEnter();
            }
            assertThat(firedOn.get()).isSameAs(Thread.currentThread());
            Linux.close(pipe[0]);
            Linux.close(pipe[1]);
        }
    }

    @Test
    void anInterruptEndsAPollingWaitAndStaysSet() {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            RingWaiter waiter = new RingWaiter(Clock.SYSTEM, r);
            int[] pipe = pipe(arena);
            r.enterBegins();
            try {
                assertThat(r.watch(pipe[0], POLLIN, true, events -> { }, new int[1])).isNotNull();
                Thread.currentThread().interrupt();
                assertThat(waiter.sleep(RING, Waiter.NO_DEADLINE)).as("a signal ends the wait").isFalse();
                assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
            } finally {
                r.afterEnter();
            }
            Linux.close(pipe[0]);
            Linux.close(pipe[1]);
        }
    }

    @Test
    void aWakeBeforeThePollingSleepIsKept() {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            RingWaiter waiter = new RingWaiter(Clock.SYSTEM, r);
            int[] pipe = pipe(arena);
            r.enterBegins();
            try {
                assertThat(r.watch(pipe[0], POLLIN, true, events -> { }, new int[1])).isNotNull();
                waiter.wake(RING);
                assertThat(waiter.sleep(RING, System.nanoTime() + TEN_SECONDS)).isTrue();
                assertThat(waiter.sleep(RING, System.nanoTime() + 30_000_000L)).as("the permit was taken").isFalse();
            } finally {
                r.afterEnter();
            }
            Linux.close(pipe[0]);
            Linux.close(pipe[1]);
        }
    }

    private static int[] pipe(Arena arena) {
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
