package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;

/**
 * Deliberate one-line deviations from the kernel's semantics, each checked at the site of the rule it breaks
 * ({@code if (mutants.contains(Mutant.NO_SKIP_FILLER))}), and keyed by that {@link Rule}. A mutant that no test or
 * lockstep run notices shows a hole in the checks, not a correct model.
 */
public enum Mutant {
    /** {@code io_cqe_cache_refill}: no skip CQE before a 32-byte CQE at the wrap; the big CQE overflows instead. */
    NO_SKIP_FILLER(Rules.CQE_SKIP_FILLER),
    /** {@code io_fill_nop_cqe}: the filler carries a non-zero user_data and res and lacks IORING_CQE_F_SKIP. */
    SKIP_FILLER_WRONG_FIELDS(Rules.CQE_SKIP_FILLER),
    /** {@code io_submit_sqes}: an invalid SQ array index is counted in enter's return. */
    DROPPED_SQE_COUNTED(Rules.GET_SQE_DROPPED),
    /** {@code io_cqring_add_overflow}: IORING_SQ_CQ_OVERFLOW is never set. */
    OVERFLOW_FLAG_NEVER_SET(Rules.CQ_ADD_OVERFLOW),
    /** {@code io_uring_enter}: the overflow list is flushed on every enter, not only inside a GETEVENTS wait. */
    FLUSH_OUTSIDE_GETEVENTS(Rules.CQ_OVERFLOW_FLUSH),
    /** {@code io_submit_fail_init}: members before the bad SQE are not cancelled; they run as if linked. */
    CHAIN_NOT_CANCELLED_ON_PREP_FAILURE(Rules.SUBMIT_FAIL_INIT_CANCELS_CHAIN),
    /** {@code req_set_fail}: a failing CQE_SKIP_SUCCESS request keeps its skip and posts nothing. */
    SKIP_SUCCESS_IGNORED_ON_FAILURE(Rules.FAIL_CANCELS_SKIP_SUCCESS),
    /** {@code io_init_req}: IOSQE_IO_DRAIN is accepted after a CQE_SKIP_SUCCESS SQE. */
    DRAIN_NOT_REFUSED_AFTER_SKIP(Rules.INIT_REQ_DRAIN_DISABLED),
    /** {@code io_uring_enter}: the early return for {@code ret != to_submit} still runs the GETEVENTS part. */
    EARLY_RETURN_WAITS(Rules.ENTER_EARLY_RETURN_SKIPS_WAIT),
    /** {@code io_get_cqe_overflow}: a 32-byte CQE on a CQE_MIXED ring advances the tail by one, not two. */
    CQE32_ADVANCES_TAIL_BY_ONE(Rules.CQE32_TAKES_TWO_SLOTS),
    /** {@code io_get_sqe}: the ring position is used as the SQE index; the SQ array is not read. */
    SQ_ARRAY_IGNORED(Rules.GET_SQE_ARRAY),
    /** {@code io_init_req}: an opcode at or above IORING_OP_LAST gets -EOPNOTSUPP instead of -EINVAL. */
    WRONG_ERRNO_INVALID_OPCODE(Rules.INIT_REQ_UNKNOWN_OPCODE),
    /** {@code io_fail_links}: a cancelled successor posts -EINTR instead of -ECANCELED. */
    CANCEL_WITH_WRONG_ERRNO(Rules.FAIL_LINKS),
    /** {@code io_cqring_overflow_flush}: IORING_SQ_CQ_OVERFLOW stays set after the list empties. */
    OVERFLOW_FLAG_NOT_CLEARED(Rules.CQ_OVERFLOW_FLUSH),
    /** {@code io_probe}: {@code last_op} is {@code ops_len - 1} instead of {@code IORING_OP_LAST - 1}. */
    PROBE_LAST_OP_FROM_NR(Rules.PROBE),
    /** {@code __io_run_local_work}: one run takes every queued item, not at most IO_LOCAL_TW_DEFAULT_MAX (20). */
    LOCAL_TASK_WORK_UNCAPPED(Rules.LOCAL_WORK_CAPPED),

    // ---- per-task restrictions, the 7.x restriction split, SQE_MIXED and SQ_REWIND (issue 9, branch mut7) ----

    /**
     * {@code io_register_restrictions_task}: a task that has restrictions (its own or its parent's) registers new
     * ones, which replace them: a child widens what it inherited.
     */
    TASK_RESTRICTIONS_REPLACED(Rules.TASK_RESTRICTIONS_ONCE),
    /** {@code io_register_restrictions_task}: a task without no_new_privs or CAP_SYS_ADMIN restricts itself. */
    TASK_RESTRICTIONS_UNPRIVILEGED(Rules.TASK_RESTRICTIONS_PRIVILEGE),
    /** {@code io_uring_create}: a ring created by a restricted task does not get the task's restrictions. */
    RING_IGNORES_TASK_RESTRICTIONS(Rules.RING_INHERITS_TASK_RESTRICTIONS),
    /** {@code __io_uring_fork}: a forked child starts without its parent's restrictions. */
    FORK_DROPS_TASK_RESTRICTIONS(Rules.FORK_INHERITS_TASK_RESTRICTIONS),
    /** {@code __io_uring_register} (7.x): SQE restrictions alone also restrict register opcodes (the 6.x rule). */
    OP_RESTRICTIONS_BIND_REGISTER(Rules.RESTRICTIONS_SPLIT),
    /** {@code io_check_restriction} (7.x): register restrictions alone also restrict SQEs (the 6.x rule). */
    REGISTER_RESTRICTIONS_BIND_SQES(Rules.RESTRICTIONS_SPLIT),
    /** {@code io_init_req}: a 128-byte SQE on a SQE_MIXED ring takes one ring position, not two. */
    SQE128_TAKES_ONE_POSITION(Rules.INIT_REQ_SQE128_TWO_POSITIONS),
    /** {@code io_init_req}: a NOP128 in the last physical SQE slot of a SQE_MIXED ring is accepted. */
    NOP128_IN_LAST_SLOT(Rules.INIT_REQ_SQE128_NO_ROOM),
    /** {@code io_commit_sqring}: an SQ_REWIND ring's head is not set back to 0; the next enter goes on after it. */
    SQ_REWIND_KEEPS_HEAD(Rules.SQ_REWIND_RESTARTS_AT_ZERO),
    /** {@code io_commit_sqring}: an SQ_REWIND ring rewinds, but first publishes its head to sq.head. */
    SQ_REWIND_PUBLISHES_HEAD(Rules.SQ_REWIND_RESTARTS_AT_ZERO),

    // ---- io_uring BPF filters (issue 9, branch bpffilter) ----

    /** {@code io_register_bpf_filter}: IO_URING_BPF_FILTER_DENY_REST is accepted and does nothing. */
    BPF_DENY_REST_IGNORED(Rules.BPF_FILTER_DENY_REST),
    /** {@code io_bpf_filter_import}: the opcode's pdu_size is not written back into the caller's struct. */
    BPF_PDU_SIZE_NOT_WRITTEN_BACK(Rules.BPF_FILTER_PDU_SIZE_WRITTEN_BACK),
    /** {@code io_bpf_filter_import}: IO_URING_BPF_FILTER_SZ_STRICT is ignored (a smaller pdu_size is accepted). */
    BPF_SZ_STRICT_IGNORED(Rules.BPF_FILTER_SZ_STRICT),
    /** {@code io_submit_sqe}: the filters run before the opcode's prep, so a deny beats a prep error. */
    BPF_FILTER_BEFORE_PREP(Rules.BPF_FILTER_CONTEXT),
    /** {@code __io_uring_run_bpf_filters}: a deny fails the request with -EPERM instead of -EACCES. */
    BPF_DENY_POSTS_EPERM(Rules.BPF_FILTER_DENIES),
    /** {@code io_submit_fail_init}: a denied link member does not fail its chain's head; the members before it run. */
    BPF_DENY_KEEPS_CHAIN(Rules.BPF_FILTER_DENIES),
    /** {@code io_ctx_restriction_clone}: a ring created by a task with BPF filters does not get them. */
    BPF_RING_DROPS_TASK_FILTERS(Rules.RING_INHERITS_TASK_FILTERS),
    /** {@code __io_uring_fork}: a forked child does not get its parent's BPF filters (it is wider than its parent). */
    BPF_FORK_DROPS_FILTERS(Rules.FORK_INHERITS_TASK_FILTERS),
    /** {@code io_socket_bpf_populate}: the context's socket type and protocol are swapped. */
    BPF_SOCKET_TYPE_PROTOCOL_SWAPPED(Rules.SOCKET_BPF_POPULATE),
    /**
     * {@code io_uring_check_cbpf_filter}: a context load at an offset that is not a multiple of 4 is accepted (the
     * classic-BPF core's {@code BpfMutant.IO_URING_UNALIGNED_LOAD_ACCEPTED}).
     */
    BPF_CBPF_UNALIGNED_LOAD_ACCEPTED(Rules.BPF_FILTER_PROGRAM_REFUSED),
    /** {@code io_uring_check_cbpf_filter}: BPF_MOD, which io_uring's list leaves out, is accepted. */
    BPF_CBPF_MOD_ACCEPTED(Rules.BPF_FILTER_PROGRAM_REFUSED),
    /** {@code io_uring_check_cbpf_filter}: BPF_LEN loads 0 instead of the context's size, 40. */
    BPF_CBPF_LEN_IS_ZERO(Rules.BPF_FILTER_CONTEXT);

    private final Rule rule;

    Mutant(Rule rule) {
        this.rule = rule;
    }

    /** The rule this mutant breaks: a run that catches the mutant has seen the rule matter. */
    public Rule rule() {
        return rule;
    }

    /**
     * Why no run against a kernel of {@code profile} (the one its capabilities choose) can catch this mutant, or
     * {@code null}: the rule it breaks belongs to a feature that kernel lacks. The skip filler and two-slot CQEs exist
     * only on CQE_MIXED rings (6.18+); the cap on a local task-work run came with 6.13 (IO_LOCAL_TW_DEFAULT_MAX);
     * BPF filters with 7.0.
     */
    public String notApplicableTo(KernelProfile profile) {
        return switch (this) {
            case NO_SKIP_FILLER, SKIP_FILLER_WRONG_FIELDS, CQE32_ADVANCES_TAIL_BY_ONE ->
                    (profile.setupFlags() & IORING_SETUP_CQE_MIXED) == 0
                            ? "its rule " + rule.name() + " needs IORING_SETUP_CQE_MIXED, which this kernel refuses"
                            : null;
            case LOCAL_TASK_WORK_UNCAPPED -> profile.localWork() == KernelProfile.LocalWork.UNCAPPED
                    || profile.localWork() == KernelProfile.LocalWork.RUN_TO_EMPTY
                            ? "its rule " + rule.name() + " is the cap on a local task-work run, which this kernel "
                                    + "lacks (local work " + profile.localWork() + ")"
                            : null;
            case BPF_DENY_REST_IGNORED, BPF_PDU_SIZE_NOT_WRITTEN_BACK, BPF_SZ_STRICT_IGNORED, BPF_FILTER_BEFORE_PREP,
                    BPF_DENY_POSTS_EPERM, BPF_DENY_KEEPS_CHAIN, BPF_RING_DROPS_TASK_FILTERS, BPF_FORK_DROPS_FILTERS,
                    BPF_SOCKET_TYPE_PROTOCOL_SWAPPED, BPF_CBPF_UNALIGNED_LOAD_ACCEPTED, BPF_CBPF_MOD_ACCEPTED,
                    BPF_CBPF_LEN_IS_ZERO -> profile.registerLast() <= IORING_REGISTER_BPF_FILTER
                            ? "its rule " + rule.name() + " belongs to IORING_REGISTER_BPF_FILTER (7.0+), which this "
                                    + "kernel lacks"
                            : null;
            default -> notApplicableOn7x(profile);
        };
    }

    /** {@link #notApplicableTo} for the mutants of per-task restrictions, the split, SQE_MIXED and SQ_REWIND. */
    private String notApplicableOn7x(KernelProfile profile) {
        String lacks = switch (this) {
            case TASK_RESTRICTIONS_REPLACED, TASK_RESTRICTIONS_UNPRIVILEGED, RING_IGNORES_TASK_RESTRICTIONS,
                    FORK_DROPS_TASK_RESTRICTIONS -> profile.blindRestrictionsAndFilters() ? null
                            : "per-task restrictions (IORING_REGISTER_RESTRICTIONS on fd -1, 7.0+)";
            case OP_RESTRICTIONS_BIND_REGISTER, REGISTER_RESTRICTIONS_BIND_SQES -> profile.splitRestrictions() ? null
                    : "separate SQE and register restrictions (7.0+; before, one registration restricts both)";
            case SQE128_TAKES_ONE_POSITION, NOP128_IN_LAST_SLOT -> (profile.setupFlags() & IORING_SETUP_SQE_MIXED) != 0
                    ? null : "IORING_SETUP_SQE_MIXED";
            case SQ_REWIND_KEEPS_HEAD, SQ_REWIND_PUBLISHES_HEAD -> (profile.setupFlags() & IORING_SETUP_SQ_REWIND) != 0
                    ? null : "IORING_SETUP_SQ_REWIND";
            default -> null;
        };
        return lacks == null ? null : "its rule " + rule.name() + " needs " + lacks + ", which this kernel lacks";
    }
}
