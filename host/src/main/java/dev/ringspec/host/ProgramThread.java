package dev.ringspec.host;

/**
 * Which program thread a JVM thread serves: set by the supervisor on the JVM thread of each program thread
 * ({@link #serve}); the emulator's own threads (io-wq, poll, timers) act for the program thread served last. Whose
 * memory {@link RemoteMemory} reads and whose descriptors {@link ProgramDescriptors} take.
 */
final class ProgramThread {
    private final ThreadLocal<Integer> served = new ThreadLocal<>();
    private volatile int last;

    /** The calling thread serves program thread {@code tid} from now on. */
    void serve(int tid) {
        served.set(tid);
        last = tid;
    }

    /** The program thread the calling thread serves. */
    int tid() {
        Integer t = served.get();
        return t != null ? t : last;
    }

    /** Whether the calling thread is a program thread's own (not one of the emulator's). */
    boolean onProgramThread() {
        return served.get() != null;
    }
}
