package dev.ringspec.host;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Signals that reach a program thread while the supervisor serves its io_uring_enter wait (or an
 * IORING_REGISTER_SYNC_CANCEL's). In the kernel a pending signal ends the wait at once (io_uring/wait.c,
 * io_cqring_wait_schedule: -EINTR; io_cqring_wait answers 0 if the CQ holds CQEs; io_sync_cancel's
 * io_run_task_work_sig: -EINTR), the call returns and the handler runs; -EINTR is not -ERESTARTSYS, so SA_RESTART
 * never restarts it.
 *
 * <p>A hosted thread sleeps in the seccomp notification instead. With SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19+,
 * {@link Launcher.Started#killableWait}) a received call sleeps killable: the signal stays pending and nothing tells
 * the supervisor, so a watcher thread reads the thread's pending and blocked sets from {@code /proc/PID/task/TID/status}
 * every {@value #PERIOD_MILLIS} ms while a wait sleeps ({@link #sleeping}: an enter whose CQEs are there at once never
 * sleeps, and the kernel looks at signals only in its sleep), and a deliverable signal (pending, not blocked by the mask the
 * wait runs under: the enter's own sigmask if it gave one) interrupts the JVM thread serving it, which ends the
 * emulator's wait as a signal ends the kernel's (the model's {@code Waiter.signalled}). The answer then goes back, and
 * the program's handler runs as it returns. Without the flag a signal abandons the notification (the kernel answers
 * -ERESTARTSYS itself, restarted under SA_RESTART); the watcher sees NOTIF_ID_VALID fail and ends the wait, whose
 * answer nobody receives. Either way a killed program thread (SIGKILL) ends its wait too.
 *
 * <p>What differs from the kernel: a signal is seen up to a period late; a process-wide signal pending while several
 * threads wait ends all their waits (the kernel picks one thread); a signal that arrives before the supervisor has
 * received the call abandons it (the kernel would have submitted first).
 */
final class PendingSignals implements AutoCloseable {
    static final long PERIOD_MILLIS = 5;
    /** SIGKILL and SIGSTOP cannot be blocked (bits 9 and 19, signal numbers counted from 1). */
    private static final long UNBLOCKABLE = (1L << 8) | (1L << 18);
    private static final long GETEVENTS_ARG_BYTES = 24;
    private static final int MAX_EVENTS = 20;

    private final int listener;
    private final boolean killable;
    /** The waits that sleep. */
    private final Map<Long, Wait> waits = new ConcurrentHashMap<>();
    /** The call the calling thread serves, from {@link #begin} to {@link #end}. */
    private final ThreadLocal<Serving> serving = ThreadLocal.withInitial(Serving::new);
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicLong ended = new AtomicLong();
    private final Thread watcher;
    private volatile boolean closed;

    /**
     * What one JVM thread serves, from {@link #begin} to {@link #end}: the call that may wait, and its {@link Wait}
     * once it sleeps. Its own for every call it serves: most enters find their CQEs at once and never sleep, so they
     * make no Wait.
     */
    static final class Serving {
        private Seccomp.Notification call;
        private int process;
        private Wait wait;
    }

    /** One served wait that slept: the call, the thread serving it, and whether a signal ended it. */
    static final class Wait {
        private final Seccomp.Notification call;
        private final int process;
        private final Thread served = Thread.currentThread();
        /** The address of the sigset the wait runs under, 0 for the thread's own, -1 before it was read. */
        private long sigmaskAddress = -1;
        private boolean done;
        private String signalled;

        private Wait(Seccomp.Notification call, int process) {
            this.call = call;
            this.process = process;
        }
    }

    PendingSignals(int listener, boolean killable) {
        this.listener = listener;
        this.killable = killable;
        this.watcher = Thread.ofPlatform().daemon().name("ringspec-host-signals").start(this::watch);
    }

    /**
     * Whether {@code n} may sleep where a signal must be able to end it: an io_uring_enter with GETEVENTS, or
     * IORING_REGISTER_SYNC_CANCEL (its wait for running requests, {@code io_run_task_work_sig}).
     */
    static boolean mayWait(Seccomp.Notification n) {
        long[] a = n.args();
        return n.nr() == Supervisor.NR_ENTER ? (a[3] & IORING_ENTER_GETEVENTS) != 0
                : n.nr() == Supervisor.NR_REGISTER
                        && ((int) a[1] & ~IORING_REGISTER_USE_REGISTERED_RING) == IORING_REGISTER_SYNC_CANCEL;
    }

    /** What the call that sleeps is called in a report. */
    private static String name(Seccomp.Notification n) {
        return n.nr() == Supervisor.NR_ENTER ? "io_uring_enter" : "IORING_REGISTER_SYNC_CANCEL";
    }

    /** The calling JVM thread serves {@code n} of program process {@code process}, which may sleep. */
    Serving begin(Seccomp.Notification n, int process) {
        Serving s = serving.get();
        begin(s, n, process);
        return s;
    }

    /** The calling thread's {@link Serving}, for a caller that keeps it across the calls it serves. */
    Serving servingHere() {
        return serving.get();
    }

    /** {@link #begin(Seccomp.Notification, int)} on the calling thread, whose {@link #servingHere} is {@code s}. */
    void begin(Serving s, Seccomp.Notification n, int process) {
        s.call = n;
        s.process = process;
    }

    /**
     * The calling thread is about to sleep in a wait: if it serves one ({@link #begin}), the watcher looks at it from
     * now until it ends. Nothing on a thread that serves none (the emulator's own, an SQ thread).
     */
    void sleeping() {
        Serving s = serving.get();
        if (s.call == null || s.wait != null) {
            return;
        }
        // the watcher reads the call after the serving thread may have received its next one into the same object
        Wait w = new Wait(s.call.copy(), s.process);
        s.wait = w;
        waits.put(w.call.id(), w);
        synchronized (this) {
            notifyAll();
        }
    }

    /** The call {@code s} served returned: forgets its wait and clears the interrupt that ended it, if one did. */
    void end(Serving s) {
        Wait w = s.wait;
        s.call = null;
        s.wait = null;
        if (w == null) {
            return;
        }
        boolean interrupted;
        synchronized (w) {
            w.done = true;
            interrupted = w.signalled != null;
        }
        waits.remove(w.call.id());
        if (interrupted) {
            Thread.interrupted();
            if (ended.incrementAndGet() <= MAX_EVENTS) {
                events.add(w.signalled);
            }
        }
    }

    /** What the watcher did, one sentence each (the first {@value #MAX_EVENTS} waits it ended). */
    List<String> events() {
        return List.copyOf(events);
    }

    /** How many waits the watcher ended. */
    long ended() {
        return ended.get();
    }

    private void watch() {
        while (!closed) {
            try {
                synchronized (this) {
                    while (waits.isEmpty() && !closed) {
                        wait();
                    }
                }
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException stop) {
                return;
            }
            for (Wait w : waits.values()) {
                String why = why(w);
                if (why != null) {
                    synchronized (w) {
                        if (!w.done && w.signalled == null) {
                            w.signalled = why;
                            w.served.interrupt();
                        }
                    }
                }
            }
        }
    }

    /** Why wait {@code w} must end now, or null. */
    private String why(Wait w) {
        int tid = w.call.tid();
        if (!Seccomp.idValid(listener, w.call.id())) {
            return "thread " + tid + "'s " + name(w.call) + " wait was abandoned (the thread was killed, or a signal"
                    + " ended the call before its answer): the emulator's wait ended";
        }
        if (!killable) {
            return null;
        }
        long[] sets = signalSets(w.process, tid);
        if (sets == null) {
            return null;
        }
        long blocked = blockedDuring(w, sets[1]) & ~UNBLOCKABLE;
        long deliverable = sets[0] & ~blocked;
        if (deliverable == 0) {
            return null;
        }
        int signal = Long.numberOfTrailingZeros(deliverable) + 1;
        return "signal " + signal + " ended thread " + tid + "'s " + name(w.call) + " wait (-EINTR"
                + (w.call.nr() == Supervisor.NR_ENTER ? ", or 0 with CQEs in the CQ" : "") + ", as the kernel answers)";
    }

    /** The signals blocked while {@code w} sleeps: the enter's sigmask if it gave one, else the thread's own. */
    private static long blockedDuring(Wait w, long threadBlocked) {
        if (w.sigmaskAddress < 0) {
            long[] a = w.call.args();
            // io_uring_register has no sigmask: the thread's own
            long address = w.call.nr() == Supervisor.NR_ENTER ? a[4] : 0;
            if (address != 0 && (a[3] & IORING_ENTER_EXT_ARG) != 0) {
                // struct io_uring_getevents_arg: sigmask first
                long[] arg = read(w.process, address, GETEVENTS_ARG_BYTES);
                address = arg == null ? 0 : arg[0];
            }
            w.sigmaskAddress = address;
        }
        if (w.sigmaskAddress == 0) {
            return threadBlocked;
        }
        long[] mask = read(w.process, w.sigmaskAddress, 8);
        return mask == null ? threadBlocked : mask[0];
    }

    /** {@code bytes} of program process {@code process} at {@code address} as longs, or null where unreadable. */
    private static long[] read(int process, long address, long bytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment into = call.allocate(bytes, 8);
            return RemoteMemory.read(process, address, into) ? into.toArray(JAVA_LONG) : null;
        }
    }

    /** The thread's pending signals (its own and its process's) and its blocked set, or null if it is gone. */
    static long[] signalSets(int process, int tid) {
        long pending = 0;
        long blocked = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process), "task",
                    String.valueOf(tid), "status"))) {
                if (line.startsWith("SigPnd:") || line.startsWith("ShdPnd:")) {
                    pending |= Long.parseUnsignedLong(line.substring(7).trim(), 16);
                } else if (line.startsWith("SigBlk:")) {
                    blocked = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException gone) {
            return null;
        }
        return new long[] {pending, blocked};
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
