package dev.ringspec.model;

/**
 * Sleeping in {@code io_cqring_wait} when the CQEs asked for are not there and no task work is left. The model's
 * own ({@link #NEVER_SLEEPS}) never blocks: nothing can wake a NOP-only ring, so a wait that would sleep ends at
 * once as if its timeout expired, or as if a signal arrived (-EINTR) when it has none. An emulator with work
 * completing on other threads blocks here until {@link #wake} ({@link ModelIoUring#withWaiter}).
 */
public interface Waiter {

    /** The deadline of a wait without a timeout. */
    long NO_DEADLINE = Long.MAX_VALUE;

    /**
     * The task would sleep on ring {@code ringFd}: block until woken or until the deadline; true if woken (the
     * wait looks again), false if the deadline passed or a signal ended it.
     *
     * @param deadlineNanos when the wait's timeout (an EXT_ARG {@code ts}) expires on the ring's {@link Clock}, or
     *     {@link #NO_DEADLINE}
     */
    boolean sleep(int ringFd, long deadlineNanos);

    /**
     * Whether the {@link #sleep} that just returned false on the calling thread was ended by a signal (the wait
     * answers -EINTR) rather than by its deadline. A waiter that never delivers signals answers false.
     */
    default boolean signalled() {
        return false;
    }

    /** Work for ring {@code ringFd} arrived from another thread: wake a sleeper. */
    void wake(int ringFd);

    /**
     * A task posted CQEs on ring {@code ringFd} itself (its submission completed requests inline): {@code
     * io_cqring_wake} wakes the tasks sleeping on the ring (another thread's wait), with no task work for them. Also
     * kept for a wait that has looked and not slept yet, as {@link #wake}; the default does nothing (nobody sleeps).
     */
    default void cqPosted(int ringFd) {
        // nobody sleeps
    }

    /** Never sleeps; a wait that would sleep ends at once. */
    Waiter NEVER_SLEEPS = new Waiter() {
        @Override
        public boolean sleep(int ringFd, long deadlineNanos) {
            return false;
        }

        @Override
        public void wake(int ringFd) {
            // nobody sleeps
        }
    };
}
