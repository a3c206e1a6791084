package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;

import dev.ringspec.seam.Ring;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Task work that reaches a ring from another thread (an io-wq completion, a poll wakeup, a timer) while the ring's
 * task is outside the emulator, in the application's own code. The kernel adds such work with TWA_SIGNAL
 * ({@code io_req_normal_work_add}: {@code task_work_add(tctx->task, &tctx->task_work, ctx->notify_method)}), which
 * interrupts the task wherever it runs in user space, so the CQE appears in the ring without another syscall: an
 * application that only peeks at its CQ ring sees it. Here:
 *
 * <ul>
 *   <li>while a thread is inside an enter or register on the ring, the work waits for that call's return, where
 *       the thread runs it on its way out, as the kernel's task does on its return to user space;</li>
 *   <li>otherwise a thread of the emulator's runs it at once, as the ring's task ({@link #actingAs}), under the
 *       ring's lock: what the kernel's interrupt does.</li>
 * </ul>
 *
 * Not for COOP_TASKRUN and DEFER_TASKRUN rings, whose work waits for the task's next entry (TWA_SIGNAL_NO_IPI; the
 * ring's own list), nor SQPOLL rings, whose SQ thread runs it; nor in the deterministic mode, where completions
 * reach a ring only inside its calls; nor for a served program, whose supervisor does the same with its own
 * threads ({@link EmulatedIoUring#onRemoteTaskWork}).
 */
final class TaskWorkInterrupts implements AutoCloseable {
    /** Setup flags under which the work waits for the task's next entry instead. */
    static final int NOT_INTERRUPTED = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL;

    /** One interrupted ring: its task, who is inside a call on it, and whether work waits for a run. */
    private static final class Target {
        private final Ring ring;
        private volatile Object task;
        private final AtomicInteger inside = new AtomicInteger();
        private final AtomicBoolean signalled = new AtomicBoolean();
        private final AtomicBoolean queued = new AtomicBoolean();

        Target(Ring ring) {
            this.ring = ring;
        }
    }

    private final Map<Integer, Target> targets = new ConcurrentHashMap<>();
    private final ThreadLocal<Object> actingAs = new ThreadLocal<>();
    private final Supplier<Object> ownKey;
    /** Runs the ring's pending task work: an empty enter under the ring's lock, from the thread that calls it. */
    private final Consumer<Ring> run;
    private final ExecutorService interrupter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ringspec-emulator-task-work");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param ownKey the task the calling thread is when it acts for nobody else
     * @param run    runs a ring's task work now, from the calling thread, holding the ring's lock
     */
    TaskWorkInterrupts(Supplier<Object> ownKey, Consumer<Ring> run) {
        this.ownKey = ownKey;
        this.run = run;
    }

    /** The task the calling thread is: the ring's task while it runs work for it, else its own. */
    Object taskKey() {
        Object acting = actingAs.get();
        return acting != null ? acting : ownKey.get();
    }

    /** A ring was set up: it is interrupted unless its flags say otherwise. */
    void setUp(Ring ring) {
        if ((ring.params().flags() & NOT_INTERRUPTED) == 0) {
            targets.put(ring.fd(), new Target(ring));
        }
    }

    /** Ring {@code ringFd} is gone. */
    void forget(int ringFd) {
        targets.remove(ringFd);
    }

    /** The calling thread goes into a call on ring {@code ringFd}: it becomes the ring's task if it has none. */
    void entering(int ringFd) {
        Target t = targets.get(ringFd);
        if (t != null) {
            t.inside.incrementAndGet();
            if (t.task == null) {
                t.task = taskKey();
            }
        }
    }

    /**
     * The calling thread's call on ring {@code ringFd} answered {@code result}: the ring's task is the one whose
     * call succeeded last (a SINGLE_ISSUER ring takes no other); work signalled meanwhile runs now, on its way out.
     */
    void left(int ringFd, int result) {
        Target t = targets.get(ringFd);
        if (t == null) {
            return;
        }
        if (result >= 0) {
            t.task = taskKey();
        }
        // decrement before looking: a signal after the decrement sees nobody inside and interrupts; one before it
        // has set the flag this thread now takes
        t.inside.decrementAndGet();
        if (t.signalled.getAndSet(false)) {
            runAsTask(t);
        }
    }

    /** Work from another thread reached ring {@code ringFd}. */
    void signal(int ringFd) {
        Target t = targets.get(ringFd);
        if (t == null) {
            return;
        }
        t.signalled.set(true);
        if (t.inside.get() == 0 && t.queued.compareAndSet(false, true)) {
            try {
                interrupter.execute(() -> {
                    t.queued.set(false);
                    if (t.signalled.getAndSet(false) && targets.get(ringFd) == t) {
                        t.inside.incrementAndGet();
                        try {
                            runAsTask(t);
                        } finally {
                            t.inside.decrementAndGet();
                        }
                        if (t.signalled.get()) {
                            signal(ringFd);
                        }
                    }
                });
            } catch (RejectedExecutionException closed) {
                t.queued.set(false); // the emulator is closing: its rings are not usable any more
            }
        }
    }

    private void runAsTask(Target t) {
        Object previous = actingAs.get();
        actingAs.set(t.task);
        try {
            run.accept(t.ring);
        } finally {
            if (previous == null) {
                actingAs.remove();
            } else {
                actingAs.set(previous);
            }
        }
    }

    @Override
    public void close() {
        interrupter.shutdownNow();
    }
}
