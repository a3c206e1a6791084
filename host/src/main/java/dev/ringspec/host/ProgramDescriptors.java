package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINPROGRESS;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ESRCH;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ProcessDescriptorTable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A hosted program's descriptor table, as the emulator's opcodes use it: the program's descriptor {@code fd} is taken
 * into this JVM with {@code pidfd_getfd} (a new descriptor of this process for the same open file) and held exactly
 * as long as the kernel holds the file: by a request from its first use to its end ({@link #get} and {@link #put},
 * the kernel's {@code req->file}), by a registered-file slot while it is registered ({@link #acquire}), by a single
 * call while it runs. Requests that name the same file at the same time share one copy ({@code kcmp(KCMP_FILE)}
 * says whether the program's {@code fd} is still that file, asked only after a call that may have renumbered the
 * program's descriptors, {@link DescriptorChanges}). So a file the program closed is let go of when the
 * last request using it ends, as in the kernel: a socket's peer sees it close, a pipe's reader sees EOF.
 *
 * <p>Whose table: the program thread the calling JVM thread serves ({@link ProgramThread}); a request takes its file
 * on the thread that issues or queues it to io-wq, never on the emulator's own threads, which act for whichever
 * program thread was served last.
 *
 * <p>Its directories: a path relative to AT_FDCWD starts at {@code /proc/TID/cwd}, opened O_PATH for each call (the
 * program may chdir); an absolute one at {@code /proc/PID/root} where that is not this JVM's root.
 *
 * <p>Giving it descriptors ({@link #install}): SECCOMP_IOCTL_NOTIF_ADDFD into a process needs a notification of
 * that process the supervisor received and has not answered ({@link #calling}, {@link #answered}): a request that
 * completes inside the program's io_uring_enter has its own; one that completes while the program runs (io-wq, a
 * poll wakeup, a timer, task work the supervisor runs between calls) uses any call of the same process that is
 * pending (a thread waiting in io_uring_enter), and otherwise waits for the next one ({@link #whenInstallable}).
 * What cannot be done: a program that only spins on its CQ ring and never enters sees such a CQE only when it next
 * makes a call; and the emulator's own threads act for the process served last, so a request of one process of a
 * program that forked may meet another's call.
 */
final class ProgramDescriptors implements ProcessDescriptorTable, AutoCloseable {
    private final int self = (int) Linux.call(Linux.SYS_GETPID, 0);
    private final Map<Integer, Integer> pidfds = new ConcurrentHashMap<>();
    /** Per program process and descriptor ({@link #key}): the copy requests hold now. */
    private final Map<Long, Held> current = new HashMap<>();
    /** Every copy requests or calls hold, by its number in this JVM. */
    private final Map<Integer, Held> byCopy = new HashMap<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final ProgramThread thread;
    /** Each ring's memfd inode -> its descriptor in this JVM (the supervisor's rings). */
    private final Map<Long, Integer> ringInodes = new ConcurrentHashMap<>();
    private final int listener;
    /**
     * The notifications received and not yet answered: one place per serving JVM thread, which serves one call at a
     * time ({@link #calling}), so marking a call pending and answered costs two stores, no map.
     */
    private final List<Place> pending = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Place> placeHere = ThreadLocal.withInitial(() -> {
        Place place = new Place();
        pending.add(place);
        return place;
    });
    /** Per program process: what waits to give it a descriptor. */
    private final Map<Integer, Queue<Runnable>> waiting = new ConcurrentHashMap<>();
    /** How many wait in {@link #waiting}, all processes together. */
    private final AtomicInteger waitingCount = new AtomicInteger();
    /** This JVM's root: its device and inode. */
    private final long[] ownRoot = rootIdentity();

    /** A notification received and not yet answered, and the process that made it. */
    private record Pending(long id, int process) {
    }

    /** One serving thread's place for the notification it serves ({@link #placeHere}). */
    static final class Place {
        private final AtomicReference<Pending> call = new AtomicReference<>();
    }

    /**
     * A copy of a program's descriptor's file, how many requests and calls hold it, and the stamp under which the
     * program's descriptor was last seen to name it ({@link DescriptorChanges#stamp}; guarded by this).
     */
    private static final class Held {
        final long key;
        final int copy;
        int holders = 1;
        long stamp;

        Held(long key, int copy, long stamp) {
            this.key = key;
            this.copy = copy;
            this.stamp = stamp;
        }
    }

    private final DescriptorChanges changes;

    ProgramDescriptors(ProgramThread thread, int listener, DescriptorChanges changes) {
        this.thread = thread;
        this.listener = listener;
        this.changes = changes;
    }

    private int process() {
        return thread.process();
    }

    /** A pidfd of program process {@code tid}, opened once; -errno if it is gone. */
    int pidfd(int tid) {
        Integer fd = pidfds.get(tid);
        if (fd != null) {
            return fd;
        }
        int opened = (int) Linux.call(Seccomp.SYS_PIDFD_OPEN, tid, 0);
        if (opened >= 0) {
            pidfds.put(tid, opened);
        }
        return opened;
    }

    /** {@code pidfd_getfd}: a new descriptor of this JVM for the program's {@code fd}, or -errno. */
    int take(int tid, int fd) {
        int pidfd = pidfd(tid);
        return pidfd < 0 ? pidfd : (int) Linux.call(Seccomp.SYS_PIDFD_GETFD, pidfd, fd, 0);
    }

    private static long key(int process, int fd) {
        return ((long) process << 32) | (fd & 0xffffffffL);
    }

    /**
     * Whether {@code held}'s copy is the file the program's (process {@code tid}) {@code fd} names now: without asking
     * the kernel while no call may have renumbered descriptors since it was last seen so, else by kcmp.
     */
    private boolean same(int tid, Held held, int fd) {
        if (changes.unchangedSince(held.stamp)) {
            return true;
        }
        // taken before the kcmp: a change let run after it moves the generation
        long stamp = changes.stamp();
        if (Linux.call(Seccomp.SYS_KCMP, self, tid, Seccomp.KCMP_FILE, held.copy, fd, 0) != 0) {
            return false;
        }
        held.stamp = stamp;
        return true;
    }

    /**
     * {@code fget}: a copy of the program's {@code fd} held until {@link #put} (shared with the requests that hold
     * the same file now), or -1 where {@code fd} names nothing the emulator may act on.
     */
    @Override
    public int get(int fd) {
        if (fd < 0) {
            return -1;
        }
        int tid = process();
        long key = key(tid, fd);
        synchronized (this) {
            Held held = current.get(key);
            if (held != null && same(tid, held, fd)) {
                held.holders++;
                return held.copy;
            }
        }
        // taken before the copy: the copy is of the file fd names at this stamp or later
        long stamp = changes.stamp();
        int taken = actedOn(take(tid, fd), fd);
        if (taken < 0) {
            return -1;
        }
        synchronized (this) {
            Held held = new Held(key, taken, stamp);
            // a copy the program's fd named before stays held by its requests (byCopy) until they end
            current.put(key, held);
            byCopy.put(taken, held);
        }
        return taken;
    }

    /** {@code fput}: the copy is closed when its last holder puts it. */
    @Override
    public void put(int reference) {
        synchronized (this) {
            Held held = byCopy.get(reference);
            if (held == null || --held.holders > 0) {
                return;
            }
            byCopy.remove(reference);
            current.remove(held.key, held);
        }
        Linux.close(reference);
    }

    /** Not for a hosted program: a copy is only ever held ({@link #get}), never borrowed without an end. */
    @Override
    public int local(int fd) {
        throw new IllegalStateException("a hosted program's descriptor " + fd + " taken without get and put");
    }

    /**
     * {@code copy} of the program's {@code fd}, or -EOPNOTSUPP (closed, and said in {@link #refused}) where this JVM
     * acting on it would not act for the program: a signalfd's readiness and reads are the signals of the process
     * that polls or reads it, here the supervisor's (a poll on it would never fire for the program's signals).
     */
    private int actedOn(int copy, int fd) {
        if (copy < 0) {
            return copy;
        }
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd", String.valueOf(copy))).toString();
        } catch (IOException e) {
            return copy;
        }
        if (!target.equals("anon_inode:[signalfd]")) {
            return copy;
        }
        Linux.close(copy);
        if (refused.isEmpty()) {
            refused.add("not hosted: a request on a signalfd (descriptor " + fd + "): it would see the supervisor's"
                    + " signals, not the program's (answered -EBADF)");
        }
        return -EOPNOTSUPP;
    }

    private static final long SYS_PRLIMIT64 = 302;
    private static final int RLIMIT_FSIZE = 1;

    /** The program's RLIMIT_FSIZE now ({@code prlimit64} of its process; it may change it at any time). */
    @Override
    public long fileSizeLimit() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment old = call.allocate(16, 8);
            long r = Linux.call(SYS_PRLIMIT64, process(), RLIMIT_FSIZE, 0, old.address(), 0, 0);
            // RLIM_INFINITY is ~0UL: negative as a long, as is an unreadable limit (none applied)
            long current = r < 0 ? -1 : old.get(JAVA_LONG, 0);
            return current < 0 ? Long.MAX_VALUE : current;
        }
    }

    /** What this table refused to act on, one sentence each (at most one). */
    List<String> refused() {
        return List.copyOf(refused);
    }

    /** Ring {@code localFd} (its memfd in this JVM) has {@code inode}. */
    void ring(long inode, int localFd) {
        ringInodes.put(inode, localFd);
    }

    /** The ring of memfd {@code inode} ended: its inode may name another file from now on. */
    void ringEnded(long inode) {
        ringInodes.remove(inode);
    }

    /** Whether a file is a ring's asks for no copy to be kept either (a ring's end is its last reference going). */
    @Override
    public int ringDescriptor(int fd) {
        long inode = withoutKeeping(fd, Linux::inode);
        Integer ring = inode < 0 ? null : ringInodes.get(inode);
        return ring == null ? -1 : ring;
    }

    /**
     * {@code what} of the program's {@code fd} through a copy that is not kept (the one requests hold if it is still
     * that file); -1 where the program has no such descriptor.
     */
    private long withoutKeeping(int fd, java.util.function.IntToLongFunction what) {
        if (fd < 0) {
            return -1;
        }
        int tid = process();
        synchronized (this) {
            Held held = current.get(key(tid, fd));
            if (held != null && same(tid, held, fd)) {
                return what.applyAsLong(held.copy);
            }
        }
        int taken = take(tid, fd);
        if (taken < 0) {
            return -1;
        }
        try {
            return what.applyAsLong(taken);
        } finally {
            Linux.close(taken);
        }
    }

    /**
     * Whether the program's {@code fd} is open, without keeping a copy: a file the program checked (registering it,
     * for one) is not held open by this JVM afterwards, so its last close in the program is still its last.
     */
    @Override
    public boolean isOpen(int fd) {
        return withoutKeeping(fd, copy -> 0) == 0;
    }

    @Override
    public int acquire(int fd) {
        int taken = actedOn(take(process(), fd), fd);
        if (taken == -EOPNOTSUPP) {
            throw new UnsupportedOperationException("the program's descriptor " + fd + " is a signalfd");
        }
        if (taken < 0) {
            throw new IllegalStateException("cannot take the program's descriptor " + fd + ": " + taken);
        }
        return taken;
    }

    @Override
    public void release(int reference) {
        Linux.close(reference);
    }

    // ---- paths ----

    private static final int O_PATH = 0x200000;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_CLOEXEC = 0x80000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_INO = 0x100;
    private static final long STATX_INO_OFFSET = 32;
    private static final long STATX_DEV_MAJOR_OFFSET = 136;

    @Override
    public int directory(int dfd) {
        if (dfd != AT_FDCWD) {
            int local = get(dfd);
            return local < 0 ? -EBADF : local;
        }
        int cwd = openPath("/proc/" + thread.tid() + "/cwd");
        return cwd >= 0 ? cwd : openPath("/proc/" + process() + "/cwd");
    }

    @Override
    public void releaseDirectory(int dfd, int directory) {
        if (directory < 0) {
            return;
        }
        if (dfd == AT_FDCWD) {
            Linux.close(directory);
        } else {
            put(directory);
        }
    }

    @Override
    public int root() {
        int root = openPath("/proc/" + process() + "/root");
        if (root < 0) {
            return -1;
        }
        long[] id = identity(root);
        if (id[0] == ownRoot[0] && id[1] == ownRoot[1]) {
            Linux.close(root);
            return -1;
        }
        return root;
    }

    @Override
    public String procSelf(boolean threadSelf) {
        return "/proc/" + process() + (threadSelf ? "/task/" + thread.tid() : "");
    }

    private static int openPath(String path) {
        try (Arena call = Arena.ofConfined()) {
            return (int) Linux.call(Linux.SYS_OPENAT, AT_FDCWD, call.allocateFrom(path).address(),
                    O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
        }
    }

    /** This JVM's root's device and inode. */
    private static long[] rootIdentity() {
        int fd = openPath("/");
        try {
            return identity(fd);
        } finally {
            Linux.close(fd);
        }
    }

    /** The device and inode of {@code fd}'s file ({@code statx} with AT_EMPTY_PATH); {-1, -1} if unknown. */
    private static long[] identity(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(256, 8);
            long r = Linux.call(Linux.SYS_STATX, fd, call.allocateFrom("").address(), AT_EMPTY_PATH, STATX_INO,
                    buf.address(), 0);
            if (r < 0) {
                return new long[] {-1, -1};
            }
            long dev = ((long) buf.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET) << 32)
                    | Integer.toUnsignedLong(buf.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET + 4));
            return new long[] {dev, buf.get(JAVA_LONG, STATX_INO_OFFSET)};
        }
    }

    // ---- giving descriptors ----

    /** The calling thread's place for the notification it serves, for {@link #calling} and {@link #answered}. */
    Place placeHere() {
        return placeHere.get();
    }

    /**
     * Notification {@code id} of program process {@code process}, which the thread whose place is {@code here} now
     * serves, is pending: what waits to give the process a descriptor runs now.
     */
    void calling(Place here, long id, int process) {
        here.call.set(new Pending(id, process));
        // after the store: a descriptor that began to wait before it is seen here, one after it sees the call
        if (waitingCount.get() > 0) {
            runWaiting(process);
        }
    }

    /** Notification {@code id} in place {@code here} is about to be answered (or was abandoned). */
    void answered(Place here, long id) {
        Pending p = here.call.getPlain();
        if (p != null && p.id() == id) {
            // a plain release, no atomic exchange: only this thread puts a call here, so none newer can be lost; an
            // install that still sees the call after it is answered fails with ENOENT or EINPROGRESS and moves on,
            // as one that took it just before the answer does
            here.call.setRelease(null);
        }
    }

    @Override
    public int install(int local, boolean cloexec) {
        int process = process();
        for (Place place : pending) {
            Pending p = place.call.get();
            if (p == null || p.process() != process) {
                continue;
            }
            int fd = Seccomp.addFd(listener, p.id(), local, cloexec);
            if (fd == -ENOENT || fd == -ESRCH || fd == -EINPROGRESS) {
                // answered meanwhile (EINPROGRESS: answered and not yet taken by the target, seccomp_notify_addfd's
                // state check; ESRCH: while the target took the answer), or the target is gone: another pending
                // call of the process may still take it
                place.call.compareAndSet(p, null);
                continue;
            }
            Linux.close(local);
            return fd;
        }
        return LATER;
    }

    /** Whether a call of {@code process} is pending. */
    private boolean anyPending(int process) {
        for (Place place : pending) {
            Pending p = place.call.get();
            if (p != null && p.process() == process) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void whenInstallable(Runnable retry) {
        int process = process();
        waiting.computeIfAbsent(process, p -> new ConcurrentLinkedQueue<>()).add(retry);
        waitingCount.incrementAndGet();
        if (anyPending(process)) {
            runWaiting(process);
        }
    }

    /** Runs what waits for {@code process} (each once: one that cannot give its descriptor waits again). */
    private void runWaiting(int process) {
        Queue<Runnable> queue = waiting.get(process);
        if (queue == null) {
            return;
        }
        for (int n = queue.size(); n > 0; n--) {
            Runnable retry = queue.poll();
            if (retry == null) {
                break;
            }
            waitingCount.decrementAndGet();
            retry.run();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            // requests the program left behind (a ring ended with requests in flight) still held these
            byCopy.keySet().forEach(Linux::close);
            byCopy.clear();
            current.clear();
        }
        pidfds.values().forEach(Linux::close);
        pidfds.clear();
    }
}
