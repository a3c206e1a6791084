package dev.ringspec.host;

import dev.ringspec.model.RequestTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which program thread a JVM thread serves: set by the supervisor on the JVM thread of each program thread
 * ({@link #serve}). Whose memory {@link RemoteMemory} reads and whose descriptors {@link ProgramDescriptors} take:
 * while a request's task work or io-wq work runs, the process of the program thread that submitted it
 * ({@link RequestTask}, the emulator's task key being the program thread's id), whichever JVM thread runs it; else
 * the served program thread's process; the emulator's own threads outside a request (poll, timers) act for the
 * program thread served last.
 */
final class ProgramThread {
    /**
     * What one JVM thread serves: a program thread, and its process once asked for. A field of the thread's own, so
     * that a call's many questions (whose memory, whose descriptors) cost no map lookup and no boxing.
     */
    private static final class Served {
        private int tid;
        /** The process of {@link #tid}, or {@link #UNKNOWN} until asked for. */
        private int process = UNKNOWN;
    }

    private static final int UNKNOWN = -1;
    private final ThreadLocal<Served> served = new ThreadLocal<>();
    private final Map<Integer, Integer> processes = new ConcurrentHashMap<>();
    private volatile int last;

    /** The calling thread serves program thread {@code tid} from now on. */
    void serve(int tid) {
        Served s = served.get();
        if (s == null) {
            s = new Served();
            s.tid = tid;
            served.set(s);
        } else if (s.tid != tid) {
            s.tid = tid;
            s.process = UNKNOWN;
        }
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
     * The process of the program thread the calling thread serves (its thread group, from {@code /proc/TID/status}):
     * memory and descriptors belong to the process, which outlives a thread that made a request and exited.
     */
    int process() {
        Served s = served.get();
        // a request's task work or io-wq work reaches the memory and files of the process that submitted it
        // (a parent running its forked child's task work, a worker copying the child's read)
        if (RequestTask.current() instanceof Integer submitter && (s == null || submitter != s.tid)) {
            return processOf(submitter);
        }
        if (s == null) {
            return processOf(last);
        }
        if (s.process == UNKNOWN) {
            s.process = processOf(s.tid);
        }
        return s.process;
    }

    private int processOf(int tid) {
        return processes.computeIfAbsent(tid, ProgramThread::threadGroup);
    }

    private static int threadGroup(int tid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(tid), "status"))) {
                if (line.startsWith("Tgid:")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // the thread is gone: its own number is as good as any (every call on it fails)
        }
        return tid;
    }

    /** Whether the calling thread is a program thread's own (not one of the emulator's). */
    boolean onProgramThread() {
        return served.get() != null;
    }
}
