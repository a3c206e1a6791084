package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_PWAIT;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_PWAIT2;
import static dev.ringspec.emulator.sys.Linux.SYS_PPOLL;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;

/**
 * How the threads that poll {@link Readiness}' epoll instance take its events (threaded mode): each sleeps in
 * {@code ppoll} on the epoll descriptor, which takes no event, and then takes the events and runs their callbacks
 * holding one lock, which an enter's own look ({@link Readiness#pollOnce}) holds too. So an enter that begins after a
 * wakeup finds that wakeup's work queued, whether it took the event itself or the poll thread had taken it first: in
 * the kernel the file's wait queue queued it inside the syscall that made the wakeup ({@code io_poll_wake}), before
 * anything the waker does next. Without the lock an enter could find the event gone and its work not yet queued
 * (liburing's poll-mshot-overflow, hosted: "no cqe").
 */
final class EventCollector {
    /** A {@code struct pollfd} (8 bytes), then a timespec (16). */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(24, 8));

    private final int epfd;
    private final ReentrantLock lock = new ReentrantLock();
    /** The armed watches whose registrations are EPOLLEXCLUSIVE ({@link #waitTakeFire}). */
    private final Set<Long> exclusive = ConcurrentHashMap.newKeySet();
    /** For a test: runs between taking events and their callbacks ({@link #holdWith}). */
    private volatile Runnable hold;

    EventCollector(int epfd) {
        this.epfd = epfd;
    }

    /**
     * Waits up to {@code timeoutNanos} (negative: no limit) for events, takes up to {@code maxEvents} into
     * {@code events} and runs {@code fire} on their count, holding the lock from the take on; answers what
     * {@code fire} answers, or what the take answered where it took none (0, or -errno).
     */
    int waitTakeFire(MemorySegment events, int maxEvents, long timeoutNanos, IntUnaryOperator fire) {
        if (exclusive.isEmpty()) {
            if (!sleepUntilReady(timeoutNanos)) {
                return 0;
            }
            lock.lock();
            try {
                int n = (int) Linux.call(SYS_EPOLL_PWAIT, epfd, events.address(), maxEvents, 0, 0, 8);
                taken(n);
                return n > 0 ? fire.applyAsInt(n) : n;
            } finally {
                lock.unlock();
            }
        }
        // an EPOLLEXCLUSIVE registration wakes one waiter of its kind only while a thread waits in epoll_wait
        // (ep_poll_callback: waitqueue_active(&ep->wq)); in ppoll every one would be woken. So the thread waits there,
        // and an enter may miss what it has taken and not yet run, as before this class
        MemorySegment scratch = SCRATCH.get();
        long timespec = timespec(scratch, timeoutNanos);
        int n = (int) Linux.call(SYS_EPOLL_PWAIT2, epfd, events.address(), maxEvents, timespec, 0, 8);
        lock.lock();
        try {
            taken(n);
            return n > 0 ? fire.applyAsInt(n) : n;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code takeAndFire} (an enter's own look: take events, run their callbacks) holding the lock. */
    int collect(IntSupplier takeAndFire) {
        lock.lock();
        try {
            return takeAndFire.getAsInt();
        } finally {
            lock.unlock();
        }
    }

    /** Watch {@code id} is an EPOLLEXCLUSIVE registration; true for the first one armed. */
    boolean exclusiveArmed(long id) {
        boolean first = exclusive.isEmpty();
        exclusive.add(id);
        return first;
    }

    /** Watch {@code id} ended. */
    void released(long id) {
        exclusive.remove(id);
    }

    /** Sleeps in ppoll until the epoll instance has events, taking none; false on a timeout or a signal. */
    private boolean sleepUntilReady(long timeoutNanos) {
        MemorySegment scratch = SCRATCH.get();
        scratch.set(JAVA_INT_UNALIGNED, 0, epfd);
        scratch.set(JAVA_INT_UNALIGNED, 4, POLLIN);
        return Linux.call(SYS_PPOLL, scratch.address(), 1, timespec(scratch, timeoutNanos), 0, 8, 0) > 0;
    }

    /** {@code timeoutNanos} as the timespec in {@code scratch}, or 0 (NULL: no limit) where it is negative. */
    private static long timespec(MemorySegment scratch, long timeoutNanos) {
        if (timeoutNanos < 0) {
            return 0;
        }
        scratch.set(JAVA_LONG, 8, timeoutNanos / 1_000_000_000L);
        scratch.set(JAVA_LONG, 16, timeoutNanos % 1_000_000_000L);
        return scratch.address() + 8;
    }

    /** Between taking {@code n} events and running their callbacks: a test's hold, if any. */
    private void taken(int n) {
        Runnable h = hold;
        if (n > 0 && h != null) {
            h.run();
        }
    }

    /**
     * For a test: {@code hook} runs on the poll thread each time it has taken events and before their callbacks run
     * (null: none), so that a test can hold the thread where a loaded machine may preempt it.
     */
    void holdWith(Runnable hook) {
        hold = hook;
    }
}
