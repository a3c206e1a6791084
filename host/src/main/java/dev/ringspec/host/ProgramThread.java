package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EINVAL;

import dev.ringspec.model.RequestTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which program thread a JVM thread serves: set by the supervisor on the JVM thread of each program thread
 * ({@link #serve}). Whose memory {@link RemoteMemory} reads and whose descriptors {@link ProgramDescriptors} take:
 * while a request's task work or io-wq work runs, the process of the program thread that submitted it
 * ({@link RequestTask}: the emulator's task key is a {@link Task}), whichever JVM thread runs it; else the served
 * program thread's process; the emulator's own threads outside a request (poll, timers) act for the program thread
 * served last.
 *
 * <p>A thread's process is read once from {@code /proc/TID/status} and kept while the thread lives: its exit is
 * watched ({@link ThreadExits}), so a thread number the kernel gives again later (here pid_max is 32768, and the
 * numbers wrap within minutes on a busy machine) is looked up again, never taken for the old thread's process. Each
 * exit moves {@link #exits}, which tells a JVM thread that what it kept may be stale.
 */
final class ProgramThread implements AutoCloseable {
    /**
     * The emulator's task key for a program thread: its number and its process, as they were at its call. Two
     * threads given the same number one after the other in different processes are different tasks.
     */
    record Task(int tid, int process) {
        // Written out: a record's own equals and hashCode go through an invokedynamic bootstrap whose method handles
        // run interpreted, about 3 us a call, for a fresh JVM's first thousands of calls, and every enter that
        // submits looks its task up (IoWqLimits).
        @Override
        public boolean equals(Object o) {
            return o instanceof Task t && t.tid == tid && t.process == process;
        }

        @Override
        public int hashCode() {
            return 31 * tid + process;
        }
    }

    /**
     * What one JVM thread serves: a program thread, and its process once asked for. A field of the thread's own, so
     * that a call's many questions (whose memory, whose descriptors) cost no map lookup and no boxing.
     */
    static final class Served {
        private int tid;
        /** The process of {@link #tid}, or {@link #UNKNOWN} until asked for. */
        private int process = UNKNOWN;
    }

    private static final int UNKNOWN = -1;
    private final ThreadLocal<Served> served = new ThreadLocal<>();
    private final Map<Integer, Integer> processes = new ConcurrentHashMap<>();
    private final ThreadExits watched = new ThreadExits("ringspec-host-thread-exits", this::exited);
    private volatile int exits;
    private volatile int last;
    /**
     * The watched threads that have exited, as the tasks they were, until a thread given the same number in the same
     * process is looked up ({@link #exited(Task)}).
     */
    private final java.util.Set<Task> ended = ConcurrentHashMap.newKeySet();
    /** Hears of each watched program thread's exit ({@link #onExit}). */
    private volatile Consumer<Task> exitListener = task -> { };

    /** The calling thread serves program thread {@code tid} from now on (its process is looked up afresh). */
    void serve(int tid) {
        Served s = served.get();
        if (s == null) {
            s = new Served();
            served.set(s);
        }
        s.tid = tid;
        s.process = UNKNOWN;
        if (last != tid) {
            last = tid;
        }
    }

    /** The calling thread serves program thread {@code tid} of {@code process} from now on (an SQ thread). */
    void serve(int tid, int process) {
        serve(tid);
        served.get().process = process;
    }

    /**
     * The calling thread's part, for a caller that keeps it for {@link #serve(Served, int, int)}: asked after a
     * {@link #serve(int)} on the thread.
     */
    Served servedHere() {
        return served.get();
    }

    /**
     * {@link #serve(int, int)} on the calling thread, whose {@link #servedHere} is {@code s}: no thread-local lookup,
     * for a thread that serves a call at each of its program thread's calls.
     */
    void serve(Served s, int tid, int process) {
        s.tid = tid;
        s.process = process;
        if (last != tid) {
            last = tid;
        }
    }

    /** The program thread the calling thread serves. */
    int tid() {
        Served s = served.get();
        return s != null ? s.tid : last;
    }

    /**
     * The process whose memory and descriptors the calling thread uses now: the submitter's while it works on a
     * request ({@link RequestTask}), else {@link #servedProcess}'s. Memory and descriptors belong to the process,
     * which outlives a thread that made a request and exited.
     */
    int process() {
        if (RequestTask.current() instanceof Task submitter) {
            return submitter.process();
        }
        return servedProcess();
    }

    /** The process of the program thread the calling thread serves (its thread group), or the last served one's. */
    int servedProcess() {
        Served s = served.get();
        if (s == null) {
            return processOf(last);
        }
        if (s.process == UNKNOWN) {
            s.process = processOf(s.tid);
        }
        return s.process;
    }

    /** How many watched program threads have exited so far: a binding made before it moved may be stale. */
    int exits() {
        return exits;
    }

    private int processOf(int tid) {
        Integer known = processes.get(tid);
        if (known != null) {
            return known;
        }
        int group = threadGroup(tid);
        if (group < 0) {
            return tid; // the thread is gone: its own number is as good as any (every call on it fails)
        }
        // kept while the exit is watched (or cannot be: before 6.9, as before, kept for good)
        int watching = watched.watch(tid);
        if (watching == 0 || watching == -EINVAL) {
            processes.put(tid, group);
        }
        if (!ended.isEmpty()) {
            ended.remove(new Task(tid, group)); // a new thread with an old thread's number
        }
        return group;
    }

    /**
     * {@code listener} hears of each watched program thread's exit, as the task it was, on the watcher's thread,
     * after its binding is gone: a moment after the exit, never before.
     */
    void onExit(Consumer<Task> listener) {
        exitListener = listener;
    }

    private void exited(int tid) {
        Integer process = processes.remove(tid);
        exits++; // the watcher's thread alone writes it
        if (process != null) {
            Task task = new Task(tid, process);
            ended.add(task);
            exitListener.accept(task);
        }
    }

    /**
     * Whether {@code task} is a program thread whose exit was seen (and no thread of its process has its number
     * since): the emulator ends a poll of its that fires -ECANCELED, as the kernel's fallback task work does.
     */
    boolean exited(Task task) {
        return !ended.isEmpty() && ended.contains(task);
    }

    private static int threadGroup(int tid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(tid), "status"))) {
                if (line.startsWith("Tgid:")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // the thread is gone
        }
        return -1;
    }

    /** Whether the calling thread is a program thread's own (not one of the emulator's). */
    boolean onProgramThread() {
        return served.get() != null;
    }

    @Override
    public void close() {
        watched.close();
    }
}
