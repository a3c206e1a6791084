package dev.ringspec.emulator;

/**
 * Whom the SQ thread of an SQPOLL ring acts for. The kernel's SQ thread is a thread of the process that set the
 * ring up ({@code create_io_thread}): it shares that process's files and memory. An emulator serving a program from
 * outside (the {@code host} module) says here how its SQ threads reach that program, and when what they wrote into
 * the program's memory must reach it ({@link EmulatedIoUring#withSqThreadContext}).
 */
public interface SqThreadContext {

    /** The emulator's own process: nothing to bind, nothing to write back. */
    SqThreadContext SELF = new SqThreadContext() {
        @Override
        public Runnable creator() {
            return () -> { };
        }

        @Override
        public void passEnded() {
        }

        @Override
        public String procTask() {
            return "self";
        }
    };

    /**
     * Called on the thread that sets up an SQPOLL ring: what the ring's SQ thread runs before its first pass, so
     * that it acts for the same task (its memory and its descriptors).
     */
    Runnable creator();

    /**
     * Called on an SQ thread after each pass that did something, before the application's waits are woken: what
     * the pass wrote into the program's memory reaches it now, as a syscall's writes do before it returns.
     */
    void passEnded();

    /**
     * The task setting up a ring, as named under {@code /proc} ({@code "self"} or a thread id): whose cpuset an
     * SQ_AFF setup's {@code sq_thread_cpu} must be in. Called on the thread that sets the ring up.
     */
    String procTask();
}
