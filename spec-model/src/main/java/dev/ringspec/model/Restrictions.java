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
 * A ring's restrictions ({@code struct io_restriction} and {@code ctx->restricted}, io_uring/register.c;
 * ring-semantics.md A6): which SQE opcodes and flags and which register opcodes are allowed, parsed by
 * {@code io_parse_restrictions} and checked by {@code io_check_restriction}. On 6.18 one registration restricts
 * both once the ring is enabled; from 7.0 the op and register sets apply on their own, the op set at once.
 */
final class Restrictions {
    private final KernelProfile profile;
    private final RuleSink rules;

    private boolean registered;
    private boolean opRegistered;
    private boolean regRegistered;
    private boolean restricted;
    private final long[] sqeOpAllowed = new long[2];
    private long registerOpAllowed;
    private int sqeFlagsAllowed;
    private int sqeFlagsRequired;

    Restrictions(KernelProfile profile, RuleSink rules) {
        this.profile = profile;
        this.rules = rules;
    }

    /**
     * Whether SQEs are checked ({@code ctx->restricted}, or from 7.0 a registered op set); {@code |}, not {@code ||},
     * so io_init_req's hot path tests it with one branch.
     */
    boolean enforcedOnSqes() {
        return restricted | opRegistered;
    }

    /** Whether register opcodes are checked; from 7.0 not while the ring is still disabled. */
    boolean enforcedOnRegister(boolean ringDisabled) {
        return profile.splitRestrictions() ? regRegistered && !ringDisabled : restricted;
    }

    boolean registerAllowed(int op) {
        return (registerOpAllowed & (1L << op)) != 0;
    }

    /** Whether any restriction was registered (a second registration is -EBUSY). */
    boolean anyRegistered() {
        return registered || opRegistered || regRegistered;
    }

    /** {@code io_register_enable_rings}: restrictions registered on 6.18 take effect now. */
    void enable() {
        if (registered) {
            rules.fire(Rules.ENABLE_RINGS_RESTRICTS, 0);
            restricted = true;
        }
    }

    /** {@code io_check_restriction}. */
    boolean checkSqe(int opcode, int sqeFlags) {
        if ((sqeOpAllowed[opcode >>> 6] & (1L << (opcode & 63))) == 0) {
            return false;
        }
        if ((sqeFlags & sqeFlagsRequired) != sqeFlagsRequired) {
            return false;
        }
        return (sqeFlags & ~(sqeFlagsAllowed | sqeFlagsRequired)) == 0;
    }

    /** {@code io_parse_restrictions} of {@code nrArgs} entries at {@code res}, then installs them; 0 or -EINVAL. */
    int parse(MemorySegment res, int nrArgs) {
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
                        return -EINVAL;
                    }
                    registerOps |= 1L << value;
                    anyReg = true;
                }
                case IORING_RESTRICTION_SQE_OP -> {
                    // io_parse_restrictions: sqe_op >= IORING_OP_LAST -> -EINVAL
                    if (value >= profile.opLast()) {
                        return -EINVAL;
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
                    return -EINVAL;
                }
            }
        }
        sqeOpAllowed[0] = sqeOps[0];
        sqeOpAllowed[1] = sqeOps[1];
        registerOpAllowed = registerOps;
        sqeFlagsAllowed = allowed;
        sqeFlagsRequired = required;
        if (profile.splitRestrictions()) {
            // io_register_restrictions (7.0+): op and register sets apply on their own; nr_args 0 sets both
            opRegistered = anyOp || nrArgs == 0;
            regRegistered = anyReg || nrArgs == 0;
        } else {
            registered = true;
        }
        return 0;
    }
}
