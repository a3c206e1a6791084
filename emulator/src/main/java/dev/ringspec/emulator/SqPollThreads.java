package dev.ringspec.emulator;

import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.SqPoll;
import dev.ringspec.model.Waiter;
import dev.ringspec.seam.AddressSpace;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The SQ threads of SQPOLL rings (io_uring/sqpoll.c): one Java thread per ring runs {@code io_sq_thread}'s loop over
 * the model ({@link ModelIoUring#sqThreadPass}): it submits what the application published, runs the ring's task
 * work, spins for the ring's {@code sq_thread_idle} after its last work or wakeup, then raises IORING_SQ_NEED_WAKEUP
 * and sleeps until an enter with IORING_ENTER_SQ_WAKEUP or arriving task work wakes it. A new thread that finds
 * nothing to do sleeps at once, as the kernel's does (checked against this kernel by the host module's
 * HostedSqPollTest).
 *
 * <p>The model is not thread-safe, so each SQPOLL ring has a lock that its SQ thread holds for a pass and the
 * application's enter and register hold for the call; a GETEVENTS wait lets go of it while it sleeps (this class is
 * also the emulator's {@link Waiter}, around the real one). Between passes the thread parks for about 20 µs where
 * the kernel's spins: a submission is seen a little later, never lost. Spinning instead was no better on 2 cores
 * under load 9 to 16 (liburing's d4ae271dfaae, whose 4-entry SQ ring hangs once the SQ thread is 4 submissions
 * behind: hung in 5 of 10 fresh-JVM hosted runs spinning, 3 of 9 and 7 of 10 parked, natively in 3 of 30): there
 * the thread waits 2 to 60 ms for a CPU between passes either way, and a pass costs 1 to 5 ms while the JVM is cold.
 *
 * <p>In deterministic mode there are no threads: each SQ thread is asleep with IORING_SQ_NEED_WAKEUP raised from the
 * start, and an enter with IORING_ENTER_SQ_WAKEUP (or SQ_WAIT on a full SQ) runs one pass on the caller's thread,
 * so the order of events depends on the program alone. An application that never passes SQ_WAKEUP while the flag
 * is raised waits forever there, as it would on a kernel whose SQ thread sleeps.
 */
final class SqPollThreads implements SqPoll, Waiter {
    /** {@code sq_thread_idle} when params leave it 0: one second (HZ jiffies). */
    static final int DEFAULT_IDLE_MILLIS = 1000;
    private static final long SPIN_PARK_NANOS = 20_000;

    private final Waiter inner;
    private final boolean threads;
    private final Map<Integer, SqThread> byRing = new ConcurrentHashMap<>();
    private volatile ModelIoUring model;
    private volatile SqThreadContext context = SqThreadContext.SELF;

    SqPollThreads(Waiter inner, boolean threads) {
        this.inner = inner;
        this.threads = threads;
    }

    void attach(ModelIoUring attached) {
        this.model = attached;
    }

    /** Whom the SQ threads act for from now on (see {@link SqThreadContext}). */
    void context(SqThreadContext newContext) {
        this.context = newContext;
    }

    @Override
    public boolean cpuAllowed(int cpu) {
        return Cpus.allowed(cpu, context.procTask());
    }

    /**
     * The params' {@code sq_thread_idle}, which the model has just read (so readable): through {@code memory} where
     * the params are not local.
     */
    static int idleMillis(MemorySegment params, AddressSpace memory) {
        MemorySegment p = params.byteSize() >= IoUringParams.SIZE_BYTES ? params
                : memory.resolve(params.address(), IoUringParams.SIZE_BYTES);
        return p == null ? 0 : p.get(ValueLayout.JAVA_INT_UNALIGNED, IoUringParams.SQ_THREAD_IDLE_OFFSET);
    }

    /** {@code io_sq_offload_create}: the SQ thread of a new SQPOLL ring, idle after {@code idleMillis}. */
    void start(Ring ring, int idleMillis) {
        SqThreadContext acting = context;
        SqThread t = new SqThread(ring, TimeUnit.MILLISECONDS.toNanos(idleMillis == 0 ? DEFAULT_IDLE_MILLIS
                : Integer.toUnsignedLong(idleMillis)), acting, acting.creator());
        byRing.put(ring.fd(), t);
        if (threads) {
            t.thread = Thread.ofPlatform().daemon().name("iou-sqp-" + ring.fd()).start(t::loop);
        } else {
            model.sqThreadIdle(ring);
        }
    }

    /** The SQ thread of SQPOLL ring {@code ringFd} (its task), or null: none, or none of its own (deterministic). */
    Thread threadOf(int ringFd) {
        SqThread t = byRing.get(ringFd);
        return t == null ? null : t.thread;
    }

    /** The lock of SQPOLL ring {@code ringFd}, or null for any other ring. */
    ReentrantLock lockOf(int ringFd) {
        SqThread t = byRing.get(ringFd);
        return t == null ? null : t.lock;
    }

    /** Throws what ended ring {@code ringFd}'s SQ thread, if anything did: the emulator failing loudly. */
    void checkAlive(int ringFd) {
        SqThread t = byRing.get(ringFd);
        if (t != null && t.failure != null) {
            throw new IllegalStateException("the SQ thread of ring " + ringFd + " ended", t.failure);
        }
    }

    /** The ring is closing: its SQ thread stops (call without holding the ring's lock). */
    void stop(int ringFd) {
        SqThread t = byRing.remove(ringFd);
        if (t != null) {
            t.stopped = true;
            t.wake();
            if (t.thread != null && t.thread != Thread.currentThread()) {
                try {
                    t.thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Stops every SQ thread (the emulator closes). */
    void stopAll() {
        for (Integer fd : byRing.keySet()) {
            stop(fd);
        }
    }

    // ---- SqPoll: the enter side ----

    @Override
    public void wakeUp(int ringFd) {
        SqThread t = byRing.get(ringFd);
        if (t == null) {
            return;
        }
        if (threads) {
            t.wake();
        } else {
            model.sqThreadPass(t.ring);
        }
    }

    @Override
    public void waitSq(int ringFd, BooleanSupplier sqFull) {
        SqThread t = byRing.get(ringFd);
        if (t == null || !sqFull.getAsBoolean()) {
            return;
        }
        if (!threads) {
            model.sqThreadPass(t.ring);
            return;
        }
        int holds = release(t.lock);
        try {
            synchronized (t.progress) {
                while (!t.stopped && t.failure == null && sqFull.getAsBoolean()) {
                    t.progress.wait(1);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a signal ends io_sqpoll_wait_sq
        } finally {
            reacquire(t.lock, holds);
        }
    }

    // ---- Waiter: sleeping in io_cqring_wait lets go of an SQPOLL ring's lock ----

    @Override
    public boolean sleep(int ringFd, long deadlineNanos) {
        SqThread t = byRing.get(ringFd);
        if (t == null || !t.lock.isHeldByCurrentThread()) {
            return inner.sleep(ringFd, deadlineNanos);
        }
        int holds = release(t.lock);
        try {
            return inner.sleep(ringFd, deadlineNanos);
        } finally {
            reacquire(t.lock, holds);
        }
    }

    @Override
    public void wake(int ringFd) {
        inner.wake(ringFd);
        SqThread t = byRing.get(ringFd);
        if (t != null && threads) {
            t.wake(); // task_work_add wakes the SQ thread, which runs the work
        }
    }

    @Override
    public void cqPosted(int ringFd) {
        inner.cqPosted(ringFd);
    }

    private static int release(ReentrantLock lock) {
        int holds = lock.getHoldCount();
        for (int i = 0; i < holds; i++) {
            lock.unlock();
        }
        return holds;
    }

    private static void reacquire(ReentrantLock lock, int holds) {
        for (int i = 0; i < holds; i++) {
            lock.lock();
        }
    }

    private final class SqThread {
        final Ring ring;
        final long idleNanos;
        final SqThreadContext acting;
        final Runnable bind;
        final ReentrantLock lock = new ReentrantLock();
        final AtomicBoolean woken = new AtomicBoolean();
        final Object progress = new Object();
        volatile Thread thread;
        volatile boolean stopped;
        volatile Throwable failure;

        SqThread(Ring ring, long idleNanos, SqThreadContext acting, Runnable bind) {
            this.ring = ring;
            this.idleNanos = idleNanos;
            this.acting = acting;
            this.bind = bind;
        }

        void wake() {
            woken.set(true);
            Thread th = thread;
            if (th != null) {
                LockSupport.unpark(th);
            }
        }

        /** {@code io_sq_thread}. */
        void loop() {
            try {
                bind.run();
                // io_sq_thread: timeout starts at 0, so a thread with nothing to do at its first look raises
                // NEED_WAKEUP and sleeps at once; sq_thread_idle counts only after work or a wakeup
                long timeout = System.nanoTime();
                while (!stopped) {
                    if (pass()) {
                        acting.passEnded();
                        inner.wake(ring.fd()); // a CQE or consumed SQEs: the application's waits look again
                        synchronized (progress) {
                            progress.notifyAll();
                        }
                        timeout = System.nanoTime() + idleNanos;
                        continue;
                    }
                    if (System.nanoTime() - timeout < 0) {
                        LockSupport.parkNanos(this, SPIN_PARK_NANOS);
                        continue;
                    }
                    if (idle()) {
                        while (!woken.getAndSet(false) && !stopped) {
                            LockSupport.park(this);
                        }
                    }
                    awake();
                    timeout = System.nanoTime() + idleNanos;
                }
            } catch (RuntimeException | Error e) {
                failure = e;
                inner.wake(ring.fd());
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        }

        private boolean pass() {
            lock.lock();
            try {
                return model.sqThreadPass(ring);
            } finally {
                lock.unlock();
            }
        }

        private boolean idle() {
            lock.lock();
            try {
                return model.sqThreadIdle(ring);
            } finally {
                lock.unlock();
            }
        }

        private void awake() {
            lock.lock();
            try {
                model.sqThreadAwake(ring);
            } finally {
                lock.unlock();
            }
        }
    }
}
