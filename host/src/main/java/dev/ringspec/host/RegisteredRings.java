package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CREATE1;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_CTL;
import static dev.ringspec.emulator.sys.Linux.SYS_EPOLL_PWAIT;
import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Ring;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered ring descriptors (io_uring/tctx.c, IORING_REGISTER_RING_FDS): each program thread (the kernel's
 * {@code io_uring_task}) has {@value #MAX} slots, each naming a ring for io_uring_enter with
 * IORING_ENTER_REGISTERED_RING and io_uring_register with IORING_REGISTER_USE_REGISTERED_RING. A slot holds a
 * reference to the ring's file as the kernel's {@code fget} does: a copy of the program's description of the ring,
 * so the ring lives while it is registered ({@link RingEnds} sees no last close).
 *
 * <p>A thread has slots once it has an {@code io_uring_task}: from its first setup, submission or RING_FDS
 * registration ({@link #touch}); before that an index is -EINVAL, after it an empty slot -EBADF.
 *
 * <p>The kernel empties a thread's slots when it exits ({@code do_exit}: {@code __io_uring_cancel},
 * {@code io_uring_unreg_ringfd}): here a thread that registers a slot gets a pidfd of its own
 * ({@code pidfd_open(tid, PIDFD_THREAD)}), and a watcher thread empties its slots once that pidfd reports the exit,
 * so the rings they held can end and a later thread given the same number finds none. What differs: the slots go
 * a moment after the exit, not during it. An {@code execve} empties them too (the same {@code __io_uring_cancel}):
 * the supervisor receives the call and empties them before it runs.
 */
final class RegisteredRings implements AutoCloseable {
    /** {@code IO_RINGFD_REG_MAX}. */
    static final int MAX = 16;
    /** {@code struct io_uring_rsrc_update}: offset, resv, data. */
    private static final int UPDATE_BYTES = 16;
    private static final long SYS_PIDFD_OPEN = 434;
    /** {@code PIDFD_THREAD} (O_EXCL): a pidfd for one thread, readable once that thread has exited (6.9 on). */
    private static final int PIDFD_THREAD = 0x80;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int POLLIN = 1;
    /** {@code struct epoll_event}, packed on x86_64: events, then data. */
    private static final long EPOLL_EVENT_BYTES = 12;
    private static final long EPOLL_DATA_OFFSET = 4;
    private static final long STOP = -1;

    /** A slot: the ring and this JVM's reference to the program's description of it. */
    private record Slot(Ring ring, int reference) {
    }

    /** Looks a program descriptor up as a ring: the ring, or -EBADF (none) or -EOPNOTSUPP (not a ring). */
    interface Lookup {
        /** The ring {@code fd} names in thread {@code tid}'s process and a new reference to its file, or -errno. */
        Found find(int tid, int fd);
    }

    /** A ring found, with a reference this class keeps (or closes), or the errno. */
    record Found(Ring ring, int reference, int errno) {
    }

    private final Map<Integer, Slot[]> byThread = new ConcurrentHashMap<>();
    /** Each watched thread's pidfd, by thread ({@link #watchExit}). */
    private final Map<Integer, Integer> exits = new ConcurrentHashMap<>();
    private final RemoteMemory memory;
    private final Lookup lookup;
    /** The exit watcher's epoll instance and its stop eventfd, made with the first watched thread; -1 before. */
    private int epfd = -1;
    private int stopFd = -1;
    private Thread watcher;

    RegisteredRings(RemoteMemory memory, Lookup lookup) {
        this.memory = memory;
        this.lookup = lookup;
    }

    /**
     * Watches thread {@code tid} for its exit (once), after which its slots are emptied as {@code do_exit} does. A
     * thread already gone ({@code pidfd_open} -ESRCH) is emptied at once.
     */
    private synchronized void watchExit(int tid) {
        if (exits.containsKey(tid)) {
            return;
        }
        int pidfd = (int) Linux.call(SYS_PIDFD_OPEN, tid, PIDFD_THREAD);
        if (pidfd < 0) {
            exited(tid);
            return;
        }
        if (epfd < 0) {
            epfd = (int) Linux.call(SYS_EPOLL_CREATE1, Linux.O_CLOEXEC);
            stopFd = (int) Linux.call(SYS_EVENTFD2, 0, Linux.O_CLOEXEC);
            watcher = Thread.ofPlatform().daemon().name("ringspec-host-ringfd-exits").start(this::watch);
        }
        exits.put(tid, pidfd);
        if (!ctl(pidfd, tid)) {
            exits.remove(tid);
            Linux.close(pidfd);
        }
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
    private void watch() {
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
                    exited((int) data);
                }
            }
        }
    }

    /**
     * {@code io_uring_unreg_ringfd} at the thread's exit or exec ({@code __io_uring_cancel}): every slot let go, the
     * thread has no task any more.
     */
    void exited(int tid) {
        Integer pidfd = exits.remove(tid);
        if (pidfd != null) {
            Linux.close(pidfd);
        }
        Slot[] slots = byThread.remove(tid);
        if (slots != null) {
            for (int i = 0; i < MAX; i++) {
                drop(slots, i);
            }
        }
    }

    /**
     * {@code io_uring_ctx_get_file} with a registered index: thread {@code tid}'s ring at {@code index}, or null with
     * the errno in {@code errno[0]}: -EINVAL past the slots or for a thread without an {@code io_uring_task}, -EBADF
     * for an empty slot.
     */
    Ring ring(int tid, int index, int[] errno) {
        Slot[] slots = byThread.get(tid);
        if (slots == null || Integer.compareUnsigned(index, MAX) >= 0) {
            errno[0] = -EINVAL;
            return null;
        }
        Slot slot = slots[index];
        if (slot == null) {
            errno[0] = -EBADF;
            return null;
        }
        return slot.ring();
    }

    /** Program thread {@code tid} has an {@code io_uring_task} ({@code __io_uring_add_tctx_node}) from now on. */
    void touch(int tid) {
        byThread.computeIfAbsent(tid, t -> new Slot[MAX]);
    }

    /** {@code io_ringfd_register}: entries registered (their offsets written back), or -errno for none. */
    int register(int tid, long arg, int nrArgs) {
        if (nrArgs <= 0 || nrArgs > MAX) {
            return -EINVAL;
        }
        Slot[] slots = byThread.computeIfAbsent(tid, t -> new Slot[MAX]);
        int ret = 0;
        int i;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment reg = call.allocate(UPDATE_BYTES, 8);
            for (i = 0; i < nrArgs; i++) {
                long at = arg + (long) i * UPDATE_BYTES;
                if (!memory.copyIn(at, reg)) {
                    ret = -EFAULT;
                    break;
                }
                int offset = reg.get(JAVA_INT, 0);
                if (reg.get(JAVA_INT, 4) != 0) {
                    ret = -EINVAL;
                    break;
                }
                if (offset != -1 && Integer.compareUnsigned(offset, MAX) >= 0) {
                    ret = -EINVAL;
                    break;
                }
                ret = add(tid, slots, (int) reg.get(JAVA_LONG, 8), offset == -1 ? 0 : offset,
                        offset == -1 ? MAX : offset + 1);
                if (ret < 0) {
                    break;
                }
                watchExit(tid);
                reg.set(JAVA_INT, 0, ret);
                if (!memory.copyOut(reg.asSlice(0, 4), at)) {
                    drop(slots, ret);
                    ret = -EFAULT;
                    break;
                }
            }
        }
        return i != 0 ? i : ret;
    }

    /** {@code io_ring_add_registered_fd}: the slot taken in [start, end), or -EBADF, -EOPNOTSUPP, -EBUSY. */
    private int add(int tid, Slot[] slots, int fd, int start, int end) {
        Found found = lookup.find(tid, fd);
        if (found.ring() == null) {
            return found.errno();
        }
        synchronized (slots) {
            for (int offset = start; offset < end; offset++) {
                if (slots[offset] == null) {
                    slots[offset] = new Slot(found.ring(), found.reference());
                    return offset;
                }
            }
        }
        Linux.close(found.reference());
        return -EBUSY;
    }

    /** {@code io_ringfd_unregister}: entries processed, or -errno for none. */
    int unregister(int tid, long arg, int nrArgs) {
        if (nrArgs <= 0 || nrArgs > MAX) {
            return -EINVAL;
        }
        Slot[] slots = byThread.get(tid);
        if (slots == null) {
            // no io_uring_task: nothing registered, nothing read
            return 0;
        }
        int ret = 0;
        int i;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment reg = call.allocate(UPDATE_BYTES, 8);
            for (i = 0; i < nrArgs; i++) {
                if (!memory.copyIn(arg + (long) i * UPDATE_BYTES, reg)) {
                    ret = -EFAULT;
                    break;
                }
                int offset = reg.get(JAVA_INT, 0);
                if (reg.get(JAVA_INT, 4) != 0 || reg.get(JAVA_LONG, 8) != 0
                        || Integer.compareUnsigned(offset, MAX) >= 0) {
                    ret = -EINVAL;
                    break;
                }
                drop(slots, offset);
            }
        }
        return i != 0 ? i : ret;
    }

    private static void drop(Slot[] slots, int offset) {
        Slot slot;
        synchronized (slots) {
            slot = slots[offset];
            slots[offset] = null;
        }
        if (slot != null) {
            Linux.close(slot.reference());
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
        exits.values().forEach(Linux::close);
        exits.clear();
        for (Slot[] slots : byThread.values()) {
            for (int i = 0; i < MAX; i++) {
                drop(slots, i);
            }
        }
        byThread.clear();
    }
}
