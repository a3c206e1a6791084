package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EOPNOTSUPP;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ProcessDescriptorTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hosted program's descriptor table, as the emulator's opcodes use it: the program's descriptor {@code fd} is taken
 * into this JVM with {@code pidfd_getfd} (a new descriptor of this process for the same open file), kept while
 * {@code kcmp(KCMP_FILE)} says the program's {@code fd} is still that file, and taken again when it names another.
 * A registered-file slot holds a copy of its own, as the kernel holds a file reference.
 *
 * <p>Whose table: the program thread the calling JVM thread serves ({@link ProgramThread}). A copy replaced while a request may still use it is closed only at {@link #close}, so an
 * in-flight request never meets a number this JVM reused for another file.
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

    ProgramDescriptors(ProgramThread thread) {
        this.thread = thread;
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
