package dev.ringspec.emulator;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cancelling io-wq work that is running (io_uring/io-wq.c {@code io_wq_worker_cancel}): the kernel marks the worker
 * with {@code __set_notify_signal}, so the blocking call it sits in returns (-ERESTARTSYS inside the kernel, which
 * the opcode answers as it does: READ -EINTR, SPLICE -ERESTARTSYS as it is). The emulator's workers sit in real
 * blocking syscalls: a signal sent to the worker's own thread ({@code tgkill}) whose handler does nothing and was
 * installed without SA_RESTART ends the call with -EINTR.
 *
 * <p>The handler is the JDK's own for interruptible I/O ({@code sun.nio.ch.NativeThread}: SIGRTMAX - 2, an empty
 * handler, no SA_RESTART), installed when that class is initialized; it is checked with {@code rt_sigaction} before
 * the first use, and a JVM without it makes the cancellation fail loudly rather than wait forever.
 */
final class IoWqSignal {
    /** SIGRTMAX - 2 with the C library's SIGRTMAX (64 on Linux): {@code NativeThread}'s INTERRUPT_SIGNAL. */
    static final int SIGNAL = 62;
    private static final long SIG_DFL = 0;
    private static final long SIG_IGN = 1;
    private static final long SA_RESTART = 0x10000000L;
    /** How often a cancelled worker is signalled again while its work runs (a signal before the call is lost). */
    private static final long RESEND_NANOS = 5_000_000;
    private static volatile String unusable;
    private static volatile boolean checked;

    private IoWqSignal() {
    }

    /** The calling thread's native id ({@code gettid}). */
    static int tid() {
        return (int) Linux.call(Linux.SYS_GETTID, 0);
    }

    /**
     * The handler is there, empty and without SA_RESTART; otherwise an {@link IllegalStateException} naming what was
     * found. Initializes {@code sun.nio.ch.NativeThread} (which installs it) on first use.
     */
    static void check() {
        if (!checked) {
            synchronized (IoWqSignal.class) {
                if (!checked) {
                    unusable = install();
                    checked = true;
                }
            }
        }
        if (unusable != null) {
            throw new IllegalStateException("cannot cancel running io-wq work: " + unusable);
        }
    }

    private static String install() {
        try {
            Class.forName("sun.nio.ch.NativeThread", true, ClassLoader.getPlatformClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return "sun.nio.ch.NativeThread could not be initialized (" + e + ")";
        }
        try (Arena call = Arena.ofConfined()) {
            // struct kernel_sigaction: handler, flags, restorer, mask
            MemorySegment old = call.allocate(32, 8);
            long r = Linux.call(Linux.SYS_RT_SIGACTION, SIGNAL, 0, old.address(), 8, 0, 0);
            if (r < 0) {
                return "rt_sigaction(" + SIGNAL + ") answered " + r;
            }
            long handler = old.get(JAVA_LONG, 0);
            long flags = old.get(JAVA_LONG, 8);
            if (handler == SIG_DFL || handler == SIG_IGN) {
                return "signal " + SIGNAL + " has no handler (" + (handler == SIG_DFL ? "SIG_DFL" : "SIG_IGN")
                        + "), so a signal would kill the JVM or be lost";
            }
            if ((flags & SA_RESTART) != 0) {
                return "signal " + SIGNAL + "'s handler restarts system calls (SA_RESTART)";
            }
            return null;
        }
    }

    /** One signal, under the state's lock: the worker takes it to end its work, so no later work is interrupted. */
    private static void signalWhile(long pid, int tid, AtomicInteger state, int running) {
        synchronized (state) {
            if (state.get() == running) {
                Linux.call(Linux.SYS_TGKILL, pid, tid, SIGNAL);
            }
        }
    }

    /**
     * Interrupts the worker {@code tid} while {@code state} still holds {@code running}: now, and again every few
     * milliseconds from a virtual thread until the work is done (a signal that lands just before the blocking call
     * would be lost; the kernel's notify flag stays set instead). The worker leaves {@code running} holding the
     * state's lock, as {@link #signalWhile} sends.
     */
    static void interrupt(int tid, AtomicInteger state, int running) {
        check();
        long pid = Linux.call(Linux.SYS_GETPID, 0);
        signalWhile(pid, tid, state, running);
        Thread.ofVirtual().name("io-wq-cancel-" + tid).start(() -> {
            while (state.get() == running) {
                java.util.concurrent.locks.LockSupport.parkNanos(RESEND_NANOS);
                signalWhile(pid, tid, state, running);
            }
        });
    }
}
