package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hosted program's descriptor table, as the emulator's opcodes use it: the program's descriptor {@code fd} is taken
 * into this JVM with {@code pidfd_getfd} (a new descriptor of this process for the same open file), kept while
 * {@code kcmp(KCMP_FILE)} says the program's {@code fd} is still that file, and taken again when it names another.
 * A registered-file slot holds a copy of its own, as the kernel holds a file reference.
 *
 * <p>Whose table: the program thread the calling JVM thread serves ({@link ProgramThread}). A copy replaced while a
 * request may still use it is closed only at {@link #close}, so an in-flight request never meets a number this JVM
 * reused for another file.
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
    /** Per program thread: its descriptor -> this JVM's copy. */
    private final Map<Integer, Map<Integer, Integer>> copies = new ConcurrentHashMap<>();
    private final List<Integer> retired = new ArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final ProgramThread thread;
    /** Each ring's memfd inode -> its descriptor in this JVM (the supervisor's rings). */
    private final Map<Long, Integer> ringInodes = new ConcurrentHashMap<>();
    private final int listener;
    /** Per program process: the notifications received and not yet answered. */
    private final Map<Integer, Set<Long>> pending = new ConcurrentHashMap<>();
    /** Per notification: its process. */
    private final Map<Long, Integer> pendingProcess = new ConcurrentHashMap<>();
    /** Per program process: what waits to give it a descriptor. */
    private final Map<Integer, Queue<Runnable>> waiting = new ConcurrentHashMap<>();
    /** This JVM's root: its device and inode. */
    private final long[] ownRoot = rootIdentity();

    ProgramDescriptors(ProgramThread thread, int listener) {
        this.thread = thread;
        this.listener = listener;
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

    @Override
    public int local(int fd) {
        if (fd < 0) {
            return -1;
        }
        int tid = process();
        Map<Integer, Integer> mine = copies.computeIfAbsent(tid, t -> new ConcurrentHashMap<>());
        Integer copy = mine.get(fd);
        if (copy != null && Linux.call(Seccomp.SYS_KCMP, self, tid, Seccomp.KCMP_FILE, copy, fd, 0) == 0) {
            return copy;
        }
        int taken = actedOn(take(tid, fd), fd);
        if (copy != null) {
            synchronized (retired) {
                retired.add(copy);
            }
            mine.remove(fd);
        }
        if (taken >= 0) {
            mine.put(fd, taken);
        }
        return taken < 0 ? -1 : taken;
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
     * {@code what} of the program's {@code fd} through a copy that is not kept (the one {@link #local} keeps if it
     * is still that file); -1 where the program has no such descriptor.
     */
    private long withoutKeeping(int fd, java.util.function.IntToLongFunction what) {
        if (fd < 0) {
            return -1;
        }
        int tid = process();
        Integer copy = copies.getOrDefault(tid, Map.of()).get(fd);
        if (copy != null && Linux.call(Seccomp.SYS_KCMP, self, tid, Seccomp.KCMP_FILE, copy, fd, 0) == 0) {
            return what.applyAsLong(copy);
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
            int local = local(dfd);
            return local < 0 ? -EBADF : local;
        }
        int cwd = openPath("/proc/" + thread.tid() + "/cwd");
        return cwd >= 0 ? cwd : openPath("/proc/" + process() + "/cwd");
    }

    @Override
    public void releaseDirectory(int dfd, int directory) {
        if (dfd == AT_FDCWD && directory >= 0) {
            Linux.close(directory);
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

    /**
     * Notification {@code id}, which the calling thread now serves, is pending: what waits to give its process a
     * descriptor runs now.
     */
    void calling(long id) {
        int process = process();
        pendingProcess.put(id, process);
        pending.computeIfAbsent(process, p -> ConcurrentHashMap.newKeySet()).add(id);
        runWaiting(process);
    }

    /** Notification {@code id} is about to be answered (or was abandoned). */
    void answered(long id) {
        Integer process = pendingProcess.remove(id);
        if (process != null) {
            Set<Long> ids = pending.get(process);
            if (ids != null) {
                ids.remove(id);
            }
        }
    }

    @Override
    public int install(int local, boolean cloexec) {
        Set<Long> ids = pending.get(process());
        if (ids != null) {
            for (Long id : ids) {
                int fd = Seccomp.addFd(listener, id, local, cloexec);
                if (fd == -ENOENT || fd == -ESRCH) {
                    // answered meanwhile (ESRCH: while the target took the answer), or the target is gone: another
                    // pending call of the process may still take it
                    answered(id);
                    continue;
                }
                Linux.close(local);
                return fd;
            }
        }
        return LATER;
    }

    @Override
    public void whenInstallable(Runnable retry) {
        int process = process();
        waiting.computeIfAbsent(process, p -> new ConcurrentLinkedQueue<>()).add(retry);
        Set<Long> ids = pending.get(process);
        if (ids != null && !ids.isEmpty()) {
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
            retry.run();
        }
    }

    @Override
    public void close() {
        copies.values().forEach(m -> m.values().forEach(Linux::close));
        copies.clear();
        synchronized (retired) {
            retired.forEach(Linux::close);
            retired.clear();
        }
        pidfds.values().forEach(Linux::close);
        pidfds.clear();
    }
}
