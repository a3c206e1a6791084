package dev.ringspec.model;

import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * A ring's restrictions ({@code struct io_restriction} and {@code ctx->restricted}, io_uring/register.c;
 * ring-semantics.md A6): which SQE opcodes and flags and which register opcodes are allowed, parsed by
 * {@code io_parse_restrictions} and checked by {@code io_check_restriction}. On 6.18 one registration restricts
 * both once the ring is enabled; from 7.0 the op and register sets apply on their own, the op set at once.
 */
final class Restrictions {
    private final KernelProfile profile;
    private final RuleSink rules;
    private final boolean mOpRestrictionsBindRegister;
    private final boolean mRegisterRestrictionsBindSqes;

    private boolean registered;
    private boolean opRegistered;
    private boolean regRegistered;
    private boolean restricted;
    private boolean inherited;
    /** {@link #enforcedOnSqes}, kept up to date where the flags it derives from change: one read per SQE. */
    private boolean sqesChecked;
    private final long[] sqeOpAllowed = new long[2];
    private long registerOpAllowed;
    private int sqeFlagsAllowed;
    private int sqeFlagsRequired;

    Restrictions(KernelProfile profile, RuleSink rules, Set<Mutant> mutants) {
        this.profile = profile;
        this.rules = rules;
        this.mOpRestrictionsBindRegister = mutants.contains(Mutant.OP_RESTRICTIONS_BIND_REGISTER);
        this.mRegisterRestrictionsBindSqes = mutants.contains(Mutant.REGISTER_RESTRICTIONS_BIND_SQES);
    }

    /**
     * Whether SQEs are checked: {@code ctx->restricted} (6.x), or from 7.0 a registered op set
     * ({@code io_check_restriction}: IO_RING_F_OP_RESTRICTED); one field, read on io_init_req's hot path.
     */
    boolean enforcedOnSqes() {
        return sqesChecked;
    }

    private void updateSqesChecked() {
        sqesChecked = restricted || opRegistered || mRegisterRestrictionsBindSqes && regRegistered;
    }

    /**
     * Whether register opcodes are checked; from 7.0 not while the ring is still disabled, unless (7.2.13+) the set
     * came from the task ({@code __io_uring_register}: IO_RING_F_RESTRICT_INHERITED).
     */
    boolean enforcedOnRegister(boolean ringDisabled) {
        if (!profile.splitRestrictions()) {
            return restricted;
        }
        boolean registerSet = regRegistered || mOpRestrictionsBindRegister && opRegistered;
        return registerSet && (!ringDisabled || (inherited && profile.inheritedRestrictionsBindDisabledRing()));
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
            updateSqesChecked();
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
        RestrictionSet set = RestrictionSet.parse(profile, res, nrArgs);
        if (set == null) {
            return RestrictionSet.INVALID;
        }
        install(set);
        if (profile.splitRestrictions()) {
            // io_register_restrictions (7.0+): op and register sets apply on their own; nr_args 0 sets both
            opRegistered = set.opRegistered();
            regRegistered = set.regRegistered();
            split();
        } else {
            registered = true;
        }
        return 0;
    }

    /**
     * {@code io_ctx_restriction_clone} (7.0+, from {@code io_uring_create}): a ring created by a restricted task
     * starts with the task's set, applied at once; from 7.2.13 (IO_RING_F_RESTRICT_INHERITED) its register half
     * binds the ring even while it is R_DISABLED.
     */
    void inherit(RestrictionSet set) {
        install(set);
        opRegistered = set.opRegistered();
        regRegistered = set.regRegistered();
        inherited = true;
        split();
    }

    /** 7.0+: the halves registered now apply each on its own ({@link Rules#RESTRICTIONS_SPLIT}). */
    private void split() {
        if (opRegistered != regRegistered) {
            rules.fire(Rules.RESTRICTIONS_SPLIT, opRegistered ? 1 : 2);
        }
        updateSqesChecked();
    }

    private void install(RestrictionSet set) {
        sqeOpAllowed[0] = set.sqeOps0();
        sqeOpAllowed[1] = set.sqeOps1();
        registerOpAllowed = set.registerOps();
        sqeFlagsAllowed = set.sqeFlagsAllowed();
        sqeFlagsRequired = set.sqeFlagsRequired();
    }
}
