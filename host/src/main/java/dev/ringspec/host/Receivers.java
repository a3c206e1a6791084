package dev.ringspec.host;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The threads that receive a hosted program's notifications, as leader and followers: one of them at a time (the
 * leader) waits on the listener and serves the call it receives itself, then waits again, so that a call is answered
 * by the thread that received it with no hand-off on its way (a hand-off to another thread costs a wake-up and a
 * context switch, about as much as the rest of an empty call). A call that is about to block (the emulator tells,
 * {@link #beforeSleep}) gives the leader's place up to another thread, started if none waits for it, so the calls of
 * the program's other threads are received while it waits.
 */
final class Receivers {
    private final int listener;
    private final boolean recvSeesEnd;
    private final Consumer<Seccomp.Notification> serve;
    /** The leader's place: whoever holds it waits on the listener, and serves what it receives. */
    private final Semaphore lead = new Semaphore(1);
    /** Whether the calling thread holds the leader's place. */
    private final ThreadLocal<boolean[]> leading = ThreadLocal.withInitial(() -> new boolean[1]);
    /** Threads waiting for the leader's place. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final LongAdder polls = new LongAdder();
    private volatile boolean gone;
    /** What a receiving thread met serving a call that it could not answer (an Error, an escaped exception). */
    private volatile Throwable failed;

    /** {@code recvSeesEnd}: see {@link Seccomp.Receiver#Receiver}. */
    Receivers(int listener, boolean recvSeesEnd, Consumer<Seccomp.Notification> serve) {
        this.listener = listener;
        this.recvSeesEnd = recvSeesEnd;
        this.serve = serve;
    }

    /**
     * Receives and serves on threads of its own until the program is gone (the last process using the filter);
     * returns then, even where a thread still serves a call that the program's end abandoned ({@link #stop} ends it).
     *
     * @throws IllegalStateException when serving a call threw (an Error, or an exception the serving let through):
     *                               that call is unanswered, the program stopped in it
     */
    void run() {
        follower();
        try {
            ended.await();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failed;
        if (t != null) {
            throw new IllegalStateException("a receiving thread failed serving a call: " + t, t);
        }
    }

    /** The ppoll calls on the listener of every receiving thread so far (counted as they happen). */
    long polls() {
        return polls.sum();
    }

    /** How many threads served (for the report). */
    int threads() {
        return started.get();
    }

    /**
     * The calling thread is about to block serving a call: if it leads, another thread takes the leader's place (one
     * is started if none waits for it). Nothing on a thread that does not lead.
     */
    void beforeSleep() {
        boolean[] mine = leading.get();
        if (!mine[0]) {
            return;
        }
        mine[0] = false;
        if (waiting.get() == 0) {
            follower();
        }
        lead.release();
    }

    /** Ends every thread's wait for the leader's place and interrupts each (a wait the program abandoned ends). */
    void stop() {
        gone = true;
        ended.countDown();
        threads.forEach(Thread::interrupt);
    }

    private void loop() {
        Seccomp.Receiver receiver = new Seccomp.Receiver(recvSeesEnd, polls);
        boolean[] mine = leading.get();
        while (!gone) {
            if (!mine[0]) {
                waiting.incrementAndGet();
                try {
                    lead.acquire();
                } catch (InterruptedException stopping) {
                    return;
                } finally {
                    waiting.decrementAndGet();
                }
                mine[0] = true;
            }
            Seccomp.Notification n;
            try {
                n = gone ? null : receiver.receive(listener);
            } catch (Seccomp.Gone last) {
                gone = true;
                ended.countDown();
                n = null;
            }
            if (gone) {
                mine[0] = false;
                lead.release();
                return;
            }
            if (n != null) {
                try {
                    serve.accept(n);
                } catch (Throwable t) {
                    // the call stays unanswered and this thread holds the leader's place: hosting cannot go on, and
                    // run() says so (the caller kills the program) rather than waiting for an end that never comes
                    failed = t;
                    gone = true;
                    ended.countDown();
                    mine[0] = false;
                    lead.release();
                    return;
                }
            }
        }
    }

    /** Starts a thread that waits for the leader's place. */
    private void follower() {
        Thread t = new Thread(this::loop, "ringspec-host-" + started.incrementAndGet());
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }
}
