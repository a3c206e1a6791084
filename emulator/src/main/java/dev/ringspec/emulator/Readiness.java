package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CREATE1;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CTL;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_PWAIT;
import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.EPOLLONESHOT;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.AsyncPoll;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Readiness of real descriptors, through one epoll instance and one thread per emulator: what the kernel's
 * poll machinery does for {@code IORING_OP_POLL_ADD} and for requests that would block
 * ({@code io_arm_poll_handler}, {@link AsyncPoll}). A file epoll refuses ({@code -EPERM}: a regular file or a
 * directory) cannot be polled, and a request on it goes to io-wq, as in the kernel.
 *
 * <p>A watch from {@link #watch} holds a duplicate of the descriptor, so several watches of one file coexist and a
 * watch outlives nothing it should not: it is removed from epoll and its duplicate closed when it fires (one-shot) or
 * is cancelled. The one-shot watch of a request that would block ({@link #arm}, the hot path of every pipe or socket
 * that is not ready yet) uses the descriptor's own registration instead, kept between watches ({@link #watchFile}).
 *
 * <p>One thread at a time polls the epoll instance. A ring's task about to sleep in {@code io_cqring_wait} takes the
 * poll when nobody has it ({@link #takePoll}, {@link #pollAsTask}) and runs what fires itself, as the kernel's waiting
 * task is woken by the file's wait queue: no second thread between the file and the task. The poll thread polls
 * only while watches are armed and no task does ({@link #afterEnter}, {@link #releasePoll} hand it the poll); a
 * task that finds it polling sleeps on its permit, and the poll thread delivers to it as before. Whoever polls takes
 * events as {@link EventCollector} says, so an enter after a wakeup finds its work queued.
 */
public final class Readiness implements AsyncPoll, AutoCloseable {
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLL_CTL_MOD = 3;
    private static final boolean PACKED = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    /** {@code struct epoll_event}: packed (12 bytes) on x86_64, 16 bytes elsewhere. */
    private static final long EVENT_BYTES = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;
    private static final int MAX_EVENTS = 64;
    private static final long STOP_ID = 0;

    private final int epfd;
    private final int stopFd;
    private final EventCollector collector;
    private final Arena arena = Arena.ofShared();
    private final Map<Long, Watch> watches = new ConcurrentHashMap<>();
    /** {@link #watchFile}'s registrations by descriptor number; guards itself and each registration's state. */
    private final Map<Integer, Registration> registrations = new HashMap<>();
    private final AtomicLong ids = new AtomicLong(1);
    private final Thread loop;
    /** The deterministic mode's order among events that are ready together; null with a poll thread. */
    private final SplittableRandom order;
    private final MemorySegment polled;
    private volatile boolean closed;
    private volatile boolean wakeOrder; // inWakeOrder
    /** Requests waiting for their file ({@link #arm}). */
    private final ArmedPolls armed;
    /** Guards {@link #poller} and {@link #pollThreadParked}; the parked poll thread waits on it. */
    private final Object pollLock = new Object();
    /** Who polls the epoll instance now: nobody (null), the poll thread, or a waiting task. */
    private Thread poller;
    private boolean pollThreadParked;
    /** Per thread: how many enters of this emulator it is inside ({@link #enterBegins}, {@link #afterEnter}). */
    private final ThreadLocal<int[]> enterDepth = ThreadLocal.withInitial(() -> new int[1]);

    /** Offsets in a thread's {@link #SCRATCH}: the events, an 8-byte word, an {@code epoll_event}. */
    private static final long WORD_AT = EVENT_BYTES * MAX_EVENTS;
    private static final long EVENT_AT = WORD_AT + 8;
    /** Per thread: the memory of its epoll calls and eventfd words, so none allocates. */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(EVENT_AT + 16, 8));

    Readiness() {
        this(null, Delivery.DIRECT, new TaskExits());
    }

    /**
     * With {@code order} null, a poll thread delivers events as they happen; otherwise there is no thread, and the
     * deterministic scheduler collects events at its own points ({@link #pollOnce}), in an order {@code order}
     * shuffles. A request armed by a task that has exited ({@code taskExits}) ends -ECANCELED when its file is ready.
     */
    Readiness(SplittableRandom order, Delivery delivery, TaskExits taskExits) {
        this.armed = new ArmedPolls(this, delivery, taskExits);
        this.epfd = (int) Linux.call(SYS_EPOLL_CREATE1, Linux.O_CLOEXEC);
        this.stopFd = (int) Linux.call(SYS_EVENTFD2, 0, Linux.O_CLOEXEC | Linux.O_NONBLOCK, 0);
        if (epfd < 0 || stopFd < 0) {
            throw new IllegalStateException("the emulator cannot poll: epoll_create1 " + epfd + ", eventfd " + stopFd);
        }
        ctl(EPOLL_CTL_ADD, stopFd, POLLIN, STOP_ID);
        this.collector = new EventCollector(epfd);
        this.order = order;
        this.polled = order == null ? null : arena.allocate(EVENT_BYTES * MAX_EVENTS, 8);
        this.loop = order == null ? Thread.ofPlatform().daemon().name("ringspec-emulator-poll").start(this::run)
                : null;
    }

    /**
     * The deterministic mode's poll: waits up to {@code timeoutMillis} (0: not at all; -1: until an event or a
     * {@link #kick}) and runs the callbacks of the events that happened, on this thread, in a seeded order.
     * Answers how many callbacks ran.
     */
    int pollOnce(int timeoutMillis) {
        if (polled == null) {
            // the threaded mode, on the calling thread: what is ready right now, and what whoever polls has taken
            // (a one-shot watch fires once, whoever sees it); a kick is left for the poll's holder, whom it is for
            return collector.collect(() -> pollInto(SCRATCH.get(), 0, false));
        }
        return pollInto(polled, timeoutMillis, true);
    }

    /**
     * The deterministic mode's look at wakeups the task's own syscalls made, before the task queues task work of
     * its own: in the kernel a wakeup runs inside the syscall that made it (a loopback CONNECT completes the
     * handshake inside its {@code connect}, and the listener's {@code sk_data_ready} wakes a waiting ACCEPT there;
     * a SEND wakes the peer's RECV), so the task work it queues comes before whatever the task queues after that
     * syscall, such as a request's reissue when its poll is ready at once ({@code IO_APOLL_READY}). Without this look
     * the emulator saw them only at its poll after the submission. In the threaded mode the poll thread delivers
     * them as they happen, racing as the kernel's other CPUs do.
     */
    @Override
    public void ownWakeups() {
        if (order != null && !watches.isEmpty()) {
            pollInto(polled, 0, true);
        }
    }

    private int pollInto(MemorySegment polled, int timeoutMillis, boolean drainsKicks) {
        int n = (int) Linux.call(SYS_EPOLL_PWAIT, epfd, polled.address(), MAX_EVENTS, timeoutMillis, 0, 8);
        return fireAll(polled, n, drainsKicks);
    }

    /**
     * From now on events ready together run in epoll's order, the kernel's order of wakeups: __wake_up_common walks
     * the wait queue from its head, where io_uring's poll (__io_queue_proc) and epoll both add_wait_queue, so the
     * last armed goes first (WorldWakeOrderTest); a registration kept between watches is moved there when it is
     * armed again ({@link #rearm}).
     */
    void inWakeOrder() {
        wakeOrder = true;
    }

    /** Runs the callbacks of the {@code n} events in {@code polled} (in a seeded order if deterministic). */
    private int fireAll(MemorySegment polled, int n, boolean drainsKicks) {
        if (n <= 0) {
            return 0;
        }
        if (order == null || wakeOrder) {
            int ran = 0;
            for (int i = 0; i < n; i++) {
                ran += fire(polled.get(JAVA_LONG_UNALIGNED, i * EVENT_BYTES + DATA_OFFSET),
                        polled.get(JAVA_INT_UNALIGNED, i * EVENT_BYTES), drainsKicks);
            }
            return ran;
        }
        long[] ids = new long[n];
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) {
            bits[i] = polled.get(JAVA_INT_UNALIGNED, i * EVENT_BYTES);
            ids[i] = polled.get(JAVA_LONG_UNALIGNED, i * EVENT_BYTES + DATA_OFFSET);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = order.nextInt(i + 1);
            long id = ids[i];
            ids[i] = ids[j];
            ids[j] = id;
            int b = bits[i];
            bits[i] = bits[j];
            bits[j] = b;
        }
        int ran = 0;
        for (int i = 0; i < n; i++) {
            ran += fire(ids[i], bits[i], drainsKicks);
        }
        return ran;
    }

    /** Runs the callback of one event (1), or drains a kick (0). */
    private int fire(long id, int bits, boolean drainsKicks) {
        if (id == STOP_ID) {
            if (drainsKicks) {
                drainKicks();
            }
            return 0;
        }
        Watch w = watches.get(id);
        if (w == null) {
            return 0;
        }
        w.fire(bits);
        return 1;
    }

    /**
     * {@code io_file_can_poll}: whether the file {@code fd} names has a poll operation (epoll accepts it); false for
     * regular files, directories and closed descriptors.
     */
    public boolean canPoll(int fd) {
        int dupFd = Linux.dup(fd);
        if (dupFd < 0) {
            return false;
        }
        long id = ids.getAndIncrement();
        boolean yes = ctl(EPOLL_CTL_ADD, dupFd, 0, id) == 0;
        if (yes) {
            ctl(EPOLL_CTL_DEL, dupFd, 0, id);
        }
        Linux.close(dupFd);
        return yes;
    }

    /** Whether any watch is armed (something in the outside world could still wake a sleeper). */
    boolean watching() {
        return !watches.isEmpty();
    }

    /**
     * Ends a {@link #pollOnce} that waits or a task's {@link #pollAsTask}, from any thread (work for a sleeping task
     * arrived another way).
     */
    void kick() {
        MemorySegment one = SCRATCH.get();
        one.set(JAVA_LONG, WORD_AT, 1);
        Linux.call(SYS_WRITE, stopFd, one.address() + WORD_AT, 8);
    }

    private void drainKicks() {
        Linux.call(SYS_READ, stopFd, SCRATCH.get().address() + WORD_AT, 8);
    }

    /**
     * The calling task takes the poll for its sleep, when watches are armed and nobody polls (threaded mode only);
     * false: it sleeps on its permit, and whoever polls delivers to it. A taken poll is given back with
     * {@link #releasePoll}.
     */
    boolean takePoll() {
        if (loop == null || watches.isEmpty()) {
            return false;
        }
        synchronized (pollLock) {
            if (closed || poller != null) {
                return false;
            }
            poller = Thread.currentThread();
            return true;
        }
    }

    /**
     * The poll of a task that took it: waits up to {@code timeoutNanos} for events and runs their callbacks on this
     * thread; a {@link #kick} ends it early. False once the emulator is closed.
     */
    boolean pollAsTask(long timeoutNanos) {
        if (closed) {
            return false;
        }
        MemorySegment scratch = SCRATCH.get();
        collector.waitTakeFire(scratch, MAX_EVENTS, Math.max(0, timeoutNanos), n -> fireAll(scratch, n, true));
        return !closed;
    }

    /**
     * A task gives the poll back; the poll thread takes it if watches are still armed, unless the task is inside an
     * enter, whose end hands the poll on ({@link #afterEnter}): a sleep that ends on a CQE the task posted itself is
     * followed by another look, and often another sleep, within the same enter.
     */
    void releasePoll() {
        synchronized (pollLock) {
            poller = null;
            if (pollThreadParked && !watches.isEmpty() && enterDepth.get()[0] == 0) {
                pollLock.notifyAll();
            }
        }
    }

    /** For a test: {@code hook} runs on the poll thread between taking events and their callbacks. */
    void holdPollThread(Runnable hook) {
        collector.holdWith(hook);
    }

    /** Whether the poll thread is parked, so that nobody polls but a task that takes the poll. */
    boolean pollThreadParked() {
        synchronized (pollLock) {
            return pollThreadParked;
        }
    }

    /** An enter begins on the calling thread: watches it arms are left to its end ({@link #afterEnter}). */
    void enterBegins() {
        enterDepth.get()[0]++;
    }

    /** After an enter: what it left armed is watched by the poll thread, unless a task polls. */
    void afterEnter() {
        enterDepth.get()[0]--;
        wakePollThread();
    }

    /** The parked poll thread takes the poll if watches are armed and nobody polls. */
    private void wakePollThread() {
        if (loop == null || watches.isEmpty()) {
            return;
        }
        synchronized (pollLock) {
            if (pollThreadParked && poller == null) {
                pollLock.notifyAll();
            }
        }
    }

    /**
     * A descriptor's registration in the epoll instance, kept from one one-shot watch to the next
     * ({@link #watchFile}). epoll knows it by the file and the descriptor number together, so re-arming it
     * ({@code EPOLL_CTL_MOD}) answers -ENOENT once the number names another file and -EBADF once it names none, and
     * the file's last close removes it: a registration never outlives its file, nor watches one the number no longer
     * names. A one-shot registration that fired stays in the instance, disabled, until the next watch re-arms it.
     */
    private static final class Registration {
        /** Whether a watch has armed it and has not ended yet. */
        boolean armed;
        /** The {@code S_IFMT} bits of its file's mode once {@link #onPipe} looked, 0 before: one statx a file. */
        int fileType;
    }

    /** One registration: {@link #cancel} it, or let it fire. */
    public final class Watch {
        private final long id;
        private final int fd;
        /** The kept registration this watch armed ({@link #watchFile}), or null: {@link #fd} is its own duplicate. */
        private final Registration kept;
        /**
         * With a kept registration: a duplicate that holds the file while the watch lasts, as a request holds it; -1
         * where the request holds it itself.
         */
        private final int held;
        private final boolean oneshot;
        private final IntConsumer onEvents;
        private final AtomicBoolean over = new AtomicBoolean();

        private Watch(long id, int fd, Registration kept, int held, boolean oneshot, IntConsumer onEvents) {
            this.id = id;
            this.fd = fd;
            this.kept = kept;
            this.held = held;
            this.oneshot = oneshot;
            this.onEvents = onEvents;
        }

        /** The descriptor epoll watches: the watch's own duplicate, or the application's for a kept registration. */
        public int fd() {
            return fd;
        }

        /** Stops the watch; true if it had not fired its last event yet (a one-shot watch fires once). */
        public boolean cancel() {
            if (!over.compareAndSet(false, true)) {
                return false;
            }
            release(false);
            return true;
        }

        /**
         * Ends the watch. A kept registration that fired was disabled by EPOLLONESHOT and stays for the next watch;
         * a cancelled one is removed (if its number names another file by now, its file's release removes it, and
         * a late event names no watch).
         */
        private void release(boolean fired) {
            watches.remove(id);
            collector.released(id);
            if (kept == null) {
                ctl(EPOLL_CTL_DEL, fd, 0, id);
                Linux.close(fd);
                return;
            }
            synchronized (registrations) {
                kept.armed = false;
                if (!fired) {
                    ctl(EPOLL_CTL_DEL, fd, 0, id);
                    registrations.remove(fd, kept);
                }
            }
            if (held >= 0) {
                Linux.close(held);
            }
        }

        private void fire(int events) {
            // what the wakeup is, looked at while the watch's descriptor is still open (a one-shot release closes
            // its own duplicate)
            int kind = Wakeups.kind(fd);
            if (oneshot) {
                if (!over.compareAndSet(false, true)) {
                    return;
                }
                release(true);
            } else if (over.get()) {
                return;
            }
            int outer = Wakeups.begin(kind);
            try {
                onEvents.accept(events);
            } finally {
                Wakeups.end(outer);
            }
        }
    }

    /**
     * Watches {@code fd} for {@code events} (poll bits; EPOLLET and EPOLLEXCLUSIVE pass through): {@code onEvents}
     * runs on the poll thread with the events that happened. Answers the watch, or null with the reason in
     * {@code error[0]} ({@code -EPERM}: the file cannot be polled; {@code -EBADF}: not open).
     */
    public Watch watch(int fd, int events, boolean oneshot, IntConsumer onEvents, int[] error) {
        int dupFd = Linux.dup(fd);
        if (dupFd < 0) {
            error[0] = dupFd;
            return null;
        }
        long id = ids.getAndIncrement();
        Watch w = new Watch(id, dupFd, null, -1, oneshot, onEvents);
        watches.put(id, w);
        int r = ctl(EPOLL_CTL_ADD, dupFd, events | (oneshot ? EPOLLONESHOT : 0), id);
        if (r < 0) {
            watches.remove(id);
            Linux.close(dupFd);
            error[0] = r;
            return null;
        }
        if ((events & EPOLLEXCLUSIVE) != 0 && collector.exclusiveArmed(id)) {
            // whoever polls waits in epoll_wait from now on (EventCollector)
            kick();
        }
        armed();
        return w;
    }

    /**
     * A one-shot watch of {@code fd} for {@code events} on the descriptor's kept {@link Registration}: one
     * {@code EPOLL_CTL_MOD} re-arms it, or a delete and an add where other watches are armed ({@link #rearm}; an
     * {@code EPOLL_CTL_ADD} the first time, or once the number names another file), where {@link #watch} pays a
     * duplicate, an add, a delete and a close. A second watch of the descriptor
     * while the first is armed takes {@link #watch}'s way. The watch holds the file with a duplicate of its own, as
     * the kernel's request holds its file: the application may close its descriptor meanwhile (a pipe's read end
     * then stays open, and the registration with it, until the watch ends); that costs a dup and a close, unless
     * {@code fileHeld}: the watching request holds the file already ({@link IssueContext#holdFile}).
     */
    Watch watchFile(int fd, int events, boolean fileHeld, IntConsumer onEvents, int[] error) {
        synchronized (registrations) {
            Registration kept = registrations.get(fd);
            if (kept == null || !kept.armed) {
                int held = fileHeld ? -1 : Linux.dup(fd);
                if (held < 0 && !fileHeld) {
                    error[0] = held;
                    return null;
                }
                Registration reg = kept == null ? new Registration() : kept;
                long id = ids.getAndIncrement();
                Watch w = new Watch(id, fd, reg, held, true, onEvents);
                watches.put(id, w);
                int r = kept == null ? -ENOENT : rearm(fd, events, id);
                if (r == -ENOENT) {
                    // never registered, or the number names another file now (whose own registration this is not)
                    r = ctl(EPOLL_CTL_ADD, fd, events | EPOLLONESHOT, id);
                    reg.fileType = 0;
                }
                if (r == 0) {
                    reg.armed = true;
                    registrations.put(fd, reg);
                    armed();
                    return w;
                }
                watches.remove(id);
                registrations.remove(fd);
                if (held >= 0) {
                    Linux.close(held);
                }
                if (r != -EEXIST) {
                    error[0] = r;
                    return null;
                }
            }
        }
        return watch(fd, events, true, onEvents, error);
    }

    /**
     * Arms a kept registration again. The kernel's poll adds its wait entry afresh at each arm, at the head of the
     * file's wait queue (io_uring/poll.c __io_queue_proc: add_wait_queue; include/linux/wait.h __add_wait_queue:
     * list_add at the head), so the request armed last is woken first; epoll's EPOLL_CTL_MOD leaves the registration's
     * entry where its first EPOLL_CTL_ADD put it (ep_modify polls with no queueing function), behind every watch added
     * since. Where another watch is armed, the registration is deleted and added again, to the head (ep_insert:
     * ep_ptable_queue_proc -> add_wait_queue); where none is, each later watch goes ahead of it anyway, and one
     * {@code EPOLL_CTL_MOD} does. Answers -ENOENT where the number names another file now (or none was there).
     */
    private int rearm(int fd, int events, long id) {
        if (watches.size() > 1) {
            // the watch being armed is among them
            int r = ctl(EPOLL_CTL_DEL, fd, 0, id);
            return r == 0 ? ctl(EPOLL_CTL_ADD, fd, events | EPOLLONESHOT, id) : r;
        }
        return ctl(EPOLL_CTL_MOD, fd, events | EPOLLONESHOT, id);
    }

    /**
     * Whether the watch's kept registration is on a pipe or FIFO. Its file's type is looked up once: a re-arm
     * ({@code EPOLL_CTL_MOD}) succeeds only while the number names the file registered, and an add starts afresh.
     */
    boolean onPipe(Watch w) {
        if (w.kept == null) {
            return false;
        }
        synchronized (registrations) {
            if (w.kept.fileType == 0) {
                w.kept.fileType = Linux.fileType(w.fd);
            }
            return w.kept.fileType == Linux.S_IFIFO;
        }
    }

    /** A watch was armed: outside an enter nobody may be polling, so the poll thread takes the poll. */
    private void armed() {
        if (enterDepth.get()[0] == 0) {
            wakePollThread();
        }
    }

    /**
     * {@link AsyncPoll}: the request waits for its file through {@link #watchFile} and is issued again once it is
     * ready ({@link ArmedPolls#arm}).
     */
    @Override
    public boolean arm(Req req, IssueContext ctx, int events) {
        return armed.arm(req, ctx, events);
    }

    private int ctl(int op, int fd, int events, long id) {
        MemorySegment scratch = SCRATCH.get();
        scratch.set(JAVA_INT_UNALIGNED, EVENT_AT, events);
        scratch.set(JAVA_LONG_UNALIGNED, EVENT_AT + DATA_OFFSET, id);
        return (int) Linux.call(SYS_EPOLL_CTL, epfd, op, fd, scratch.address() + EVENT_AT, 0, 0);
    }

    /** The poll thread: polls while watches are armed and no task polls; parked otherwise. */
    private void run() {
        MemorySegment events = arena.allocate(EVENT_BYTES * MAX_EVENTS, 8);
        while (true) {
            synchronized (pollLock) {
                while (!closed && (poller != null || watches.isEmpty())) {
                    pollThreadParked = true;
                    try {
                        pollLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                pollThreadParked = false;
                if (closed) {
                    return;
                }
                poller = loop;
            }
            // a kick (STOP_ID) is for a task that has stopped polling, or the emulator's close
            int n = collector.waitTakeFire(events, MAX_EVENTS, -1, taken -> fireAll(events, taken, true));
            if (n < 0 && n != -EINTR && !closed) {
                throw new IllegalStateException("epoll_pwait failed: " + n);
            }
            synchronized (pollLock) {
                poller = null;
            }
        }
    }

    /** Stops the poll thread and drops every watch (their actions never run). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (pollLock) {
            pollLock.notifyAll();
        }
        if (loop != null) {
            kick();
            try {
                loop.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Watch w : watches.values()) {
            w.cancel();
        }
        Linux.close(epfd);
        Linux.close(stopFd);
        // the poll thread's events are where its epoll_pwait writes: a thread still inside it (the join gave up)
        // keeps them, or the kernel would write into freed memory
        if (loop == null || !loop.isAlive()) {
            arena.close();
        }
    }
}
