package dev.ringspec.invariants;

/**
 * What one step did to a ring, as far as the invariants need to know: which syscall it made, or which of the
 * application's fields it wrote. Its result is in the observation taken after it.
 */
public sealed interface RingStep {

    /** {@code io_uring_setup}: a new ring (or none, if it failed). */
    record Setup() implements RingStep {
    }

    /** {@code io_uring_enter(ring, toSubmit, minComplete, flags)}. */
    record Enter(int toSubmit, int minComplete, int flags) implements RingStep {
    }

    /** {@code io_uring_register(ring, opcode, ...)}. */
    record Register(int opcode) implements RingStep {
    }

    /** The application wrote one of its own fields (or, misbehaving, a kernel-owned one) and made no syscall. */
    record ApplicationWrite(Field field) implements RingStep {
    }

    /** What an application step wrote. */
    enum Field {
        /** SQE contents. */
        SQES,
        /** SQ array entries. */
        SQ_ARRAY,
        /** {@code sq.tail}: publishes SQEs. */
        SQ_TAIL,
        /** {@code cq.head}: consumes CQEs (or, moved anywhere, misbehaves). */
        CQ_HEAD,
        /** {@code cq.flags}. */
        CQ_FLAGS,
        /** {@code sq.head}, which belongs to the kernel: a misbehaving application. */
        SQ_HEAD
    }

    /** Whether the step entered the kernel. */
    default boolean isSyscall() {
        return !(this instanceof ApplicationWrite);
    }
}
