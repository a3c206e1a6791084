package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.IoUringRestriction;
import java.lang.foreign.MemorySegment;

/**
 * One parsed set of restrictions ({@code struct io_restriction} without its BPF filters), as
 * {@code io_parse_restrictions} builds it (io_uring/register.c; ring-semantics.md A6): the allowed SQE opcodes
 * (two words of bits), register opcodes and SQE flags, and, from 7.0, whether any op or register entry was given.
 * Immutable: a ring copies it from its task ({@code io_restriction_clone}) and a forked task shares it.
 */
record RestrictionSet(long sqeOps0, long sqeOps1, long registerOps, int sqeFlagsAllowed, int sqeFlagsRequired,
        boolean opRegistered, boolean regRegistered) {
    /** The answer to a set {@link #parse} refused. */
    static final int INVALID = -EINVAL;

    /**
     * {@code io_parse_restrictions} of {@code nrArgs} entries at {@code res} (already copied in): the set, or null
     * after an invalid entry (the caller answers {@code -EINVAL}).
     */
    static RestrictionSet parse(KernelProfile profile, MemorySegment res, int nrArgs) {
        long[] sqeOps = new long[2];
        long registerOps = 0;
        int allowed = 0;
        int required = 0;
        boolean anyOp = false;
        boolean anyReg = false;
        for (int i = 0; i < nrArgs; i++) {
            long at = (long) i * IoUringRestriction.SIZE_BYTES;
            int opcode = res.get(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET) & 0xffff;
            int value = res.get(JAVA_BYTE, at + IoUringRestriction.REGISTER_OP_OFFSET) & 0xff;
            switch (opcode) {
                case IORING_RESTRICTION_REGISTER_OP -> {
                    // io_parse_restrictions: register_op >= IORING_REGISTER_LAST -> -EINVAL
                    if (value >= profile.registerLast()) {
                        return null;
                    }
                    registerOps |= 1L << value;
                    anyReg = true;
                }
                case IORING_RESTRICTION_SQE_OP -> {
                    // io_parse_restrictions: sqe_op >= IORING_OP_LAST -> -EINVAL
                    if (value >= profile.opLast()) {
                        return null;
                    }
                    sqeOps[value >>> 6] |= 1L << (value & 63);
                    anyOp = true;
                }
                case IORING_RESTRICTION_SQE_FLAGS_ALLOWED -> {
                    allowed = value;
                    anyOp = true;
                }
                case IORING_RESTRICTION_SQE_FLAGS_REQUIRED -> {
                    required = value;
                    anyOp = true;
                }
                // io_parse_restrictions: unknown restriction opcode -> -EINVAL (the set stays empty)
                default -> {
                    return null;
                }
            }
        }
        // io_parse_restrictions (7.0+): nr_args 0 registers both halves, an empty set that denies everything
        return new RestrictionSet(sqeOps[0], sqeOps[1], registerOps, allowed, required, anyOp || nrArgs == 0,
                anyReg || nrArgs == 0);
    }

    boolean sqeOpAllowed(int opcode) {
        long word = opcode < 64 ? sqeOps0 : sqeOps1;
        return (word & (1L << (opcode & 63))) != 0;
    }

    boolean registerOpAllowed(int op) {
        return op < 64 && (registerOps & (1L << op)) != 0;
    }
}
