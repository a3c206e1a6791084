package dev.ringspec.emulator.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A signal that ends one thread's blocking system call with -EINTR and does nothing else: sent to the thread alone
 * ({@code tgkill}), its handler empty and installed without SA_RESTART. The kernel's own way to stop a task that
 * sits in a call (a notify signal, {@code io_wq_worker_cancel}), here for the emulator's io-wq workers and for a
 * lockstep run cut off at its time limit.
 *
 * <p>The handler is the JDK's own for interruptible I/O ({@code sun.nio.ch.NativeThread}: SIGRTMAX - 2, an empty
 * handler, no SA_RESTART), installed when that class is initialized; it is checked with {@code rt_sigaction} before
 * the first use, and a JVM without it makes the sender fail loudly rather than wait forever.
 */
public final class InterruptSignal {
    /** SIGRTMAX - 2 with the C library's SIGRTMAX (64 on Linux): {@code NativeThread}'s INTERRUPT_SIGNAL. */
    public static final int SIGNAL = 62;
    private static final long SIG_DFL = 0;
    private static final long SIG_IGN = 1;
    private static final long SA_RESTART = 0x10000000L;
    private static volatile String unusable;
    private static volatile boolean checked;

    private InterruptSignal() {
    }

    /** The calling thread's native id ({@code gettid}). */
    public static int tid() {
        return (int) Linux.call(Linux.SYS_GETTID, 0);
    }

    /**
     * The handler is there, empty and without SA_RESTART; otherwise an {@link IllegalStateException} saying what
     * cannot be interrupted ({@code what}) and what was found. Initializes {@code sun.nio.ch.NativeThread} (which
     * installs it) on first use.
     */
    public static void check(String what) {
        if (!checked) {
            synchronized (InterruptSignal.class) {
                if (!checked) {
                    unusable = install();
                    checked = true;
                }
            }
        }
        if (unusable != null) {
            throw new IllegalStateException("cannot " + what + ": " + unusable);
        }
    }

    /** Sends the signal to thread {@code tid} of this process (checked first: {@link #check}). */
    public static void send(int tid) {
        Linux.call(Linux.SYS_TGKILL, Linux.call(Linux.SYS_GETPID, 0), tid, SIGNAL);
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
}
