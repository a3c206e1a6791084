package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Ring;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A hosted ring's end. The kernel frees a ring (io_uring_release, then io_ring_exit_work: requests cancelled,
 * registered files and buffers let go) when the last reference to its file goes: every descriptor in every process,
 * fork copies, and every mapping. The program's ring descriptor is therefore a second open file description of the
 * ring's memfd, opened here through {@code /proc/self/fd/N} ({@link #open}) and installed in the program; inotify
 * reports its last release as IN_CLOSE_WRITE on the memfd's inode (the memfd this JVM maps, a description of its own,
 * reports nothing), and {@code onEnd} then closes the emulated ring as the kernel would.
 *
 * <p>To know the program's descriptor again cheaply (kcmp against a descriptor of this JVM, instead of pidfd_getfd
 * and fstat), this JVM keeps one reference to that description per ring while the ring is in use; a ring idle for
 * {@value #RELEASE_MILLIS} ms with no call in progress lets it go ({@link #releaseIdle}), so that the program's last
 * close is the last release; the next call takes a new reference. A ring ends at most about three such periods
 * after the program let go of it, where nothing of it waits outside the ring. A ring with requests that do (io-wq
 * work, armed polls, timeouts: a READ that may still write into the program) or an SQPOLL ring (whose thread submits
 * between calls) has its reference let go at the end of each call ({@link #callEnds}), so the program's last close or
 * exit is the last release and the ring ends then, its requests cancelled, as the kernel's io_ring_ctx_wait_and_kill
 * cancels them; such a ring's next call pays a pidfd_getfd and an fstat instead of a kcmp.
 *
 * <p>What this cannot see: a description the program opened itself through {@code /proc/self/fd} (its close looks
 * like the end while the ring's own descriptor lives); a ring whose descriptor sits in an SCM_RIGHTS message in
 * flight lives on (the kernel refuses to send an io_uring descriptor: -EINVAL), so a ring sent into a socket that it
 * holds registered itself never ends; a ring named by an opcode (a poll on the ring descriptor, MSG_RING's target)
 * is held by {@link ProgramDescriptors}' copy until the supervisor stops.
 */
final class RingEnds implements AutoCloseable {
    static final long RELEASE_MILLIS = 100;
    private static final long SYS_INOTIFY_INIT1 = 294;
    private static final long SYS_INOTIFY_ADD_WATCH = 254;
    private static final int IN_CLOSE_WRITE = 0x8;
    private static final int IN_IGNORED = 0x8000;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int O_RDWR = 2;
    private static final int AT_FDCWD = -100;
    /** struct inotify_event: wd, mask, cookie, len, then len bytes of name. */
    private static final int EVENT_BYTES = 16;

    private final int inotify;
    private final Consumer<Ring> onEnd;
    private final Map<Integer, Life> byWatch = new ConcurrentHashMap<>();
    private final Map<Integer, Life> byRingFd = new ConcurrentHashMap<>();
    private final Thread thread;
    /** How many times the watcher has woken (for a test: at most once a period while nothing happens). */
    private final AtomicLong wakeUps = new AtomicLong();
    private volatile boolean closed;

    /**
     * One ring's watch, this JVM's reference to the program's description of it, and its calls in progress. A caller
     * keeps it from {@link #callBegins} to {@link #callEnds}, and may keep it for the ring's next call ({@link
     * #life}): a ring has one for its whole life.
     */
    static final class Life {
        private final Ring ring;
        private final int watch;
        private int reference;
        private int calls;
        /**
         * Used since the watcher last looked ({@link #releaseIdle}), and when it last found it unused: a call stamps a
         * flag rather than reading the clock, about a twentieth of a served call's Java work.
         */
        private boolean used;
        private long idleSinceNanos = System.nanoTime();
        private boolean ended;
        /** The last release came while a call was in progress: the ring ends when the call does (its fdget). */
        private boolean endAfterCalls;

        private Life(Ring ring, int watch, int reference) {
            this.ring = ring;
            this.watch = watch;
            this.reference = reference;
        }
    }

    /** Watches rings; {@code onEnd} is called on this class's thread once per ring whose last reference went. */
    RingEnds(Consumer<Ring> onEnd) {
        this.onEnd = onEnd;
        this.inotify = (int) Linux.call(SYS_INOTIFY_INIT1, IN_NONBLOCK | IN_CLOEXEC);
        this.thread = inotify < 0 ? null
                : Thread.ofPlatform().daemon().name("ringspec-host-ring-ends").start(this::watch);
    }

    /**
     * The descriptor to install in the program for {@code ring}: a new description of its memfd, watched, which this
     * JVM keeps as its reference; or -errno (no inotify here: the caller installs the memfd itself, and the ring
     * lives until the supervisor stops).
     */
    int open(Ring ring) {
        if (inotify < 0) {
            return inotify;
        }
        try (Arena call = Arena.ofConfined()) {
            long path = call.allocateFrom("/proc/self/fd/" + ring.fd()).address();
            int description = (int) Linux.call(Linux.SYS_OPENAT, AT_FDCWD, path, O_RDWR | IN_CLOEXEC, 0, 0, 0);
            if (description < 0) {
                return description;
            }
            int watch = (int) Linux.call(SYS_INOTIFY_ADD_WATCH, inotify, path, IN_CLOSE_WRITE);
            if (watch < 0) {
                Linux.close(description);
                return watch;
            }
            Life life = new Life(ring, watch, description);
            byWatch.put(watch, life);
            byRingFd.put(ring.fd(), life);
            return description;
        }
    }

    /**
     * This JVM's descriptor of the program's description of {@code ring}, or -1 (none held: look it up again). A ring
     * installed without a watch ({@link #open} failed) is its memfd.
     */
    int reference(Ring ring) {
        Life life = byRingFd.get(ring.fd());
        if (life == null) {
            return inotify < 0 ? ring.fd() : -1;
        }
        synchronized (life) {
            // no use stamped: a call that goes on with it begins (callBegins), and its end stamps the use
            return life.reference;
        }
    }

    /**
     * {@code copy}, a descriptor of this JVM for the program's description of {@code ring} (from pidfd_getfd), becomes
     * the ring's reference if it has none; otherwise it is closed.
     */
    void adopt(Ring ring, int copy) {
        Life life = byRingFd.get(ring.fd());
        if (life != null) {
            synchronized (life) {
                life.used = true;
                if (life.reference < 0 && !life.ended) {
                    life.reference = copy;
                    return;
                }
            }
        }
        Linux.close(copy);
    }

    /** {@code ring}'s life, or null (not watched, or ended): what {@link #callBegins} takes. */
    Life life(Ring ring) {
        return byRingFd.get(ring.fd());
    }

    /**
     * A call on {@code ring}, whose {@link #life} is {@code life} (null: none), begins: while one is in progress the
     * ring keeps this JVM's reference. Whether it counts, to be told to {@link #callEnds}: not on a life that ended
     * meanwhile (a caller's kept one), as on none.
     */
    boolean callBegins(Life life) {
        if (life == null) {
            return false;
        }
        synchronized (life) {
            if (life.ended) {
                return false;
            }
            life.calls++;
            return true;
        }
    }

    /**
     * A call that {@link #callBegins} counted on {@code life} ended; {@code letGo}: something of the ring waits outside
     * it, so the program's last release must end it at once, and this JVM lets go of its reference if no other call is
     * in progress.
     */
    void callEnds(Life life, boolean letGo) {
        int reference = -1;
        boolean end = false;
        synchronized (life) {
            life.calls--;
            life.used = true;
            if (life.endAfterCalls && life.calls == 0 && !life.ended) {
                life.ended = true;
                end = true;
            } else if (letGo && life.calls == 0 && life.reference >= 0) {
                reference = life.reference;
                life.reference = -1;
            }
        }
        if (end) {
            ended(life);
        } else if (reference >= 0) {
            // where the program let go of the ring during the call, this close is the last release, which the
            // watcher sees with no reference held and no call in progress: the ring ends then
            Linux.close(reference);
        }
    }

    /** How many times the watcher thread has woken since it started. */
    long wakeUps() {
        return wakeUps.get();
    }

    private void ended(Life life) {
        byRingFd.remove(life.ring.fd());
        onEnd.accept(life.ring);
    }

    /** {@code ring} is closed by other means (its setup failed, the supervisor stops): no end to report. */
    void forget(Ring ring) {
        Life life = byRingFd.remove(ring.fd());
        if (life != null) {
            synchronized (life) {
                life.ended = true;
                if (life.reference >= 0) {
                    Linux.close(life.reference);
                    life.reference = -1;
                }
            }
        }
    }

    private void watch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollFd = arena.allocate(8, 4);
            MemorySegment timeout = arena.allocate(16, 8);
            MemorySegment events = arena.allocate(4096, 8);
            while (!closed) {
                pollFd.set(JAVA_INT, 0, inotify);
                pollFd.set(JAVA_INT, 4, 1);
                // ppoll(2): the system call writes the time left back into its timeout (the C library's wrapper hides
                // it), so one set before the loop is 0 after the first timeout, and the loop would spin
                timeout.set(JAVA_LONG, 0, 0L);
                timeout.set(JAVA_LONG, 8, RELEASE_MILLIS * 1_000_000L);
                Linux.call(Linux.SYS_PPOLL, pollFd.address(), 1, timeout.address(), 0, 0, 0);
                wakeUps.incrementAndGet();
                long n;
                while ((n = Linux.call(Linux.SYS_READ, inotify, events.address(), events.byteSize())) > 0) {
                    for (long at = 0; at + EVENT_BYTES <= n; at += EVENT_BYTES + events.get(JAVA_INT, at + 12)) {
                        event(events.get(JAVA_INT, at), events.get(JAVA_INT, at + 4));
                    }
                }
                releaseIdle();
            }
        }
    }

    private void event(int watch, int mask) {
        if ((mask & IN_IGNORED) != 0) {
            // the memfd's inode is gone: the ring was closed and this JVM's memfd too
            byWatch.remove(watch);
            return;
        }
        Life life = byWatch.get(watch);
        if (life == null || (mask & IN_CLOSE_WRITE) == 0) {
            return;
        }
        synchronized (life) {
            if (life.ended || life.reference >= 0) {
                // this JVM still holds the program's description: another one was closed
                return;
            }
            if (life.calls > 0) {
                life.endAfterCalls = true;
                return;
            }
            life.ended = true;
        }
        ended(life);
    }

    /**
     * Lets go of the references of rings idle for a period, so that the program's last close is the last: a ring used
     * since the last look is idle from now on, one unused since a look at least a period ago lets go (so at least a
     * period after its last use, and at most about three: the looks come at least once a period).
     */
    private void releaseIdle() {
        long now = System.nanoTime();
        for (Life life : byRingFd.values()) {
            int reference = -1;
            synchronized (life) {
                if (life.used || life.calls > 0) {
                    life.used = false;
                    life.idleSinceNanos = now;
                } else if (life.reference >= 0 && now - life.idleSinceNanos >= RELEASE_MILLIS * 1_000_000L) {
                    reference = life.reference;
                    life.reference = -1;
                }
            }
            if (reference >= 0) {
                Linux.close(reference);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byRingFd.values().forEach(life -> {
            synchronized (life) {
                if (life.reference >= 0) {
                    Linux.close(life.reference);
                    life.reference = -1;
                }
            }
        });
        byRingFd.clear();
        if (inotify >= 0) {
            Linux.close(inotify);
        }
    }
}
