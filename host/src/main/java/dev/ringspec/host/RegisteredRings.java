package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static java.lang.foreign.ValueLayout.JAVA_INT;
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
    /** The exits of threads with slots ({@link #watchExit}). */
    private final ThreadExits exits = new ThreadExits("ringspec-host-ringfd-exits", this::exited);
    private final RemoteMemory memory;
    private final Lookup lookup;

    RegisteredRings(RemoteMemory memory, Lookup lookup) {
        this.memory = memory;
        this.lookup = lookup;
    }

    /**
     * Watches thread {@code tid} for its exit (once), after which its slots are emptied as {@code do_exit} does. A
     * thread already gone ({@code pidfd_open} -ESRCH) is emptied at once.
     */
    private void watchExit(int tid) {
        if (exits.watch(tid) != 0) {
            exited(tid);
        }
    }

    /**
     * {@code io_uring_unreg_ringfd} at the thread's exit or exec ({@code __io_uring_cancel}): every slot let go, the
     * thread has no task any more.
     */
    void exited(int tid) {
        exits.forget(tid);
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
        exits.close();
        for (Slot[] slots : byThread.values()) {
            for (int i = 0; i < MAX; i++) {
                drop(slots, i);
            }
        }
        byThread.clear();
    }
}
