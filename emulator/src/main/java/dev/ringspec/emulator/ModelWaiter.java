package dev.ringspec.emulator;

import dev.ringspec.emulator.ops.TaskFput;
import dev.ringspec.model.Waiter;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The waiting the emulator gives its model: a sleep in io_cqring_wait lets go of the ring's lock as the kernel's does
 * (it sleeps without uring_lock) and takes it back after; a wakeup also tells the hosting side that task work waits
 * ({@link EmulatedIoUring#onRemoteTaskWork}). The sleeping and waking themselves are {@code wakes}'s.
 */
final class ModelWaiter implements Waiter {
    private final Waiter wakes;
    private final Map<Integer, ReentrantLock> ringLocks;
    private final Supplier<Runnable> beforeSleep;
    private final Supplier<IntConsumer> remoteTaskWork;

    ModelWaiter(Waiter wakes, Map<Integer, ReentrantLock> ringLocks, Supplier<Runnable> beforeSleep,
            Supplier<IntConsumer> remoteTaskWork) {
        this.wakes = wakes;
        this.ringLocks = ringLocks;
        this.beforeSleep = beforeSleep;
        this.remoteTaskWork = remoteTaskWork;
    }

    @Override
    public boolean sleep(int ringFd, long deadlineNanos) {
        // io_cqring_wait runs the task's own task work (io_run_task_work) before it sleeps: the files dropped
        TaskFput.runTheTasks();
        Runnable told = beforeSleep.get();
        if (told != null) {
            told.run();
        }
        // io_cqring_wait sleeps without the ring's uring_lock (an SQPOLL ring's: SqPollThreads)
        ReentrantLock lock = ringLocks.get(ringFd);
        int holds = lock == null ? 0 : lock.getHoldCount();
        for (int i = 0; i < holds; i++) {
            lock.unlock();
        }
        try {
            return wakes.sleep(ringFd, deadlineNanos);
        } finally {
            for (int i = 0; i < holds; i++) {
                lock.lock();
            }
        }
    }

    @Override
    public void cqPosted(int ringFd) {
        wakes.cqPosted(ringFd);
    }

    /** The emulator's signal is an interrupt of the waiting task's thread, which the sleep keeps. */
    @Override
    public boolean signalled() {
        return Thread.currentThread().isInterrupted();
    }

    @Override
    public void wake(int ringFd) {
        wakes.wake(ringFd);
        IntConsumer signal = remoteTaskWork.get();
        if (signal != null) {
            signal.accept(ringFd);
        }
    }
}
