package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CREATE1;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CTL;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_PWAIT;
import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * Program threads' exits: a pidfd for each watched thread ({@code pidfd_open(tid, PIDFD_THREAD)}, Linux 6.9+),
 * readable once that thread has exited, polled by one watcher thread that hands each exit to {@code onExit}. The
 * exit is seen a moment after it happened, never before.
 */
final class ThreadExits implements AutoCloseable {
    private static final long SYS_PIDFD_OPEN = 434;
    /** {@code PIDFD_THREAD} (O_EXCL): a pidfd for one thread, readable once that thread has exited (6.9 on). */
    private static final int PIDFD_THREAD = 0x80;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int POLLIN = 1;
    /** {@code struct epoll_event}, packed on x86_64: events, then data. */
    private static final long EPOLL_EVENT_BYTES = 12;
    private static final long EPOLL_DATA_OFFSET = 4;
    private static final long STOP = -1;

    private final String name;
    private final IntConsumer onExit;
    /** Each watched thread's pidfd, by thread. */
    private final Map<Integer, Integer> pidfds = new ConcurrentHashMap<>();
    /** The watcher's epoll instance and its stop eventfd, made with the first watched thread; -1 before. */
    private int epfd = -1;
    private int stopFd = -1;
    private Thread watcher;

    /** {@code onExit} runs on the watcher thread named {@code name}, once for each watched thread that exits. */
    ThreadExits(String name, IntConsumer onExit) {
        this.name = name;
        this.onExit = onExit;
    }

    /**
     * Watches thread {@code tid} for its exit (once): 0 when it is watched now or was already, else why it cannot be:
     * -ESRCH (gone already), -EINVAL (a kernel before 6.9, without PIDFD_THREAD).
     */
    synchronized int watch(int tid) {
        if (pidfds.containsKey(tid)) {
            return 0;
        }
        int pidfd = (int) Linux.call(SYS_PIDFD_OPEN, tid, PIDFD_THREAD);
        if (pidfd < 0) {
            return pidfd;
        }
        if (epfd < 0) {
            epfd = (int) Linux.call(SYS_EPOLL_CREATE1, Linux.O_CLOEXEC);
            stopFd = (int) Linux.call(SYS_EVENTFD2, 0, Linux.O_CLOEXEC);
            watcher = Thread.ofPlatform().daemon().name(name).start(this::run);
        }
        pidfds.put(tid, pidfd);
        if (!ctl(pidfd, tid)) {
            pidfds.remove(tid);
            Linux.close(pidfd);
            return -EINVAL;
        }
        return 0;
    }

    private boolean ctl(int fd, long data) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment event = call.allocate(EPOLL_EVENT_BYTES, 8);
            event.set(JAVA_INT_UNALIGNED, 0, POLLIN);
            event.set(JAVA_LONG_UNALIGNED, EPOLL_DATA_OFFSET, data);
            return Linux.call(SYS_EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, event.address(), 0, 0) == 0;
        }
    }

    /** The watcher: each thread whose pidfd turns readable has exited. */
    private void run() {
        synchronized (this) {
            ctl(stopFd, STOP);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(EPOLL_EVENT_BYTES * 16, 8);
            while (true) {
                int n = (int) Linux.call(SYS_EPOLL_PWAIT, epfd, events.address(), 16, -1, 0, 8);
                for (int i = 0; i < n; i++) {
                    long data = events.get(JAVA_LONG_UNALIGNED, i * EPOLL_EVENT_BYTES + EPOLL_DATA_OFFSET);
                    if (data == STOP) {
                        return;
                    }
                    forget((int) data);
                    onExit.accept((int) data);
                }
            }
        }
    }

    /** Stops watching thread {@code tid} (its exit is not reported). */
    void forget(int tid) {
        Integer pidfd = pidfds.remove(tid);
        if (pidfd != null) {
            Linux.close(pidfd);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (watcher != null) {
                try (Arena call = Arena.ofConfined()) {
                    MemorySegment one = call.allocate(JAVA_LONG);
                    one.set(JAVA_LONG, 0, 1);
                    Linux.call(SYS_WRITE, stopFd, one.address(), 8);
                }
            }
        }
        if (watcher != null) {
            try {
                watcher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Linux.close(epfd);
            Linux.close(stopFd);
        }
        pidfds.values().forEach(Linux::close);
        pidfds.clear();
    }
}
