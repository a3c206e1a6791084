package dev.ringspec.emulator;

import dev.ringspec.emulator.sys.InterruptSignal;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cancelling io-wq work that is running (io_uring/io-wq.c {@code io_wq_worker_cancel}): the kernel marks the worker
 * with {@code __set_notify_signal}, so the blocking call it sits in returns (-ERESTARTSYS inside the kernel, which
 * the opcode answers as it does: READ -EINTR, SPLICE -ERESTARTSYS as it is). The emulator's workers sit in real
 * blocking syscalls: {@link InterruptSignal} sent to the worker's own thread ends the call with -EINTR.
 */
final class IoWqSignal {
    /** How often a cancelled worker is signalled again while its work runs (a signal before the call is lost). */
    private static final long RESEND_NANOS = 5_000_000;

    private IoWqSignal() {
    }

    /** The calling thread's native id ({@code gettid}). */
    static int tid() {
        return InterruptSignal.tid();
    }

    /** The signal's handler is usable ({@link InterruptSignal#check}). */
    static void check() {
        InterruptSignal.check("cancel running io-wq work");
    }

    /** One signal, under the state's lock: the worker takes it to end its work, so no later work is interrupted. */
    private static void signalWhile(int tid, AtomicInteger state, int running) {
        synchronized (state) {
            if (state.get() == running) {
                InterruptSignal.send(tid);
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
        signalWhile(tid, state, running);
        Thread.ofVirtual().name("io-wq-cancel-" + tid).start(() -> {
            while (state.get() == running) {
                java.util.concurrent.locks.LockSupport.parkNanos(RESEND_NANOS);
                signalWhile(tid, state, running);
            }
        });
    }
}
