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
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * A task that sleeps in {@code io_cqring_wait} while a watch it armed in the same enter is pending polls epoll itself:
 * what fires runs on the task's own thread (no poll thread between the file and the task, as the kernel's file wait
 * queue wakes the task), and the wait still ends as a signal ends it.
 */
class RingWaiterTest {
    private static final int RING = 1000;
    private static final long TEN_SECONDS = 10_000_000_000L;

    /** What a test does inside an enter with a one-shot POLLIN watch armed on a fresh pipe's read end. */
    @FunctionalInterface
    private interface InEnter {
        void run(RingWaiter waiter, int writeFd) throws Exception;
    }

    private static void inEnterWithArmedWatch(IntConsumer onEvents, InEnter body) throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            RingWaiter waiter = new RingWaiter(Clock.SYSTEM, r);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
            int readFd = fds.getAtIndex(JAVA_INT, 0);
            int writeFd = fds.getAtIndex(JAVA_INT, 1);
            // nobody polls yet: the poll thread, started with the emulator, parks while no watch is armed
            for (int i = 0; i < 5_000 && !r.pollThreadParked(); i++) {
                Thread.sleep(1);
            }
            assertThat(r.pollThreadParked()).as("the poll thread parked").isTrue();
            r.enterBegins();
            try {
                assertThat(r.watch(readFd, POLLIN, true, onEvents, new int[1])).isNotNull();
                body.run(waiter, writeFd);
            } finally {
                r.afterEnter();
                Linux.close(readFd);
                Linux.close(writeFd);
            }
        }
    }

    @Test
    void aWaitingTaskRunsWhatFiresOnItsOwnThreadWhenNobodyElsePolls() throws Exception {
        AtomicReference<Thread> firedOn = new AtomicReference<>();
        AtomicReference<RingWaiter> waiters = new AtomicReference<>();
        long oneByte = Arena.ofAuto().allocate(1).address();
        inEnterWithArmedWatch(events -> {
            firedOn.set(Thread.currentThread());
            waiters.get().wake(RING);
        }, (waiter, writeFd) -> {
            waiters.set(waiter);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Linux.call(SYS_WRITE, writeFd, oneByte, 1);
            });
            assertThat(waiter.sleep(RING, System.nanoTime() + TEN_SECONDS)).as("woken by the pipe").isTrue();
            writer.join();
        });
        assertThat(firedOn.get()).isSameAs(Thread.currentThread());
    }

    @Test
    void anInterruptEndsAPollingWaitAndStaysSet() throws Exception {
        inEnterWithArmedWatch(events -> { }, (waiter, writeFd) -> {
            Thread.currentThread().interrupt();
            assertThat(waiter.sleep(RING, Waiter.NO_DEADLINE)).as("a signal ends the wait").isFalse();
            assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        });
    }

    @Test
    void aWakeBeforeThePollingSleepIsKept() throws Exception {
        inEnterWithArmedWatch(events -> { }, (waiter, writeFd) -> {
            waiter.wake(RING);
            assertThat(waiter.sleep(RING, System.nanoTime() + TEN_SECONDS)).isTrue();
            assertThat(waiter.sleep(RING, System.nanoTime() + 30_000_000L)).as("the permit was taken").isFalse();
        });
    }
}
