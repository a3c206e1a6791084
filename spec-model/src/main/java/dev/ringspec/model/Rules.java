package dev.ringspec.model;

/**
 * The model's rules, one constant each, grouped by the kernel file that holds them. The {@code detail} a rule
 * reports is a request's {@code user_data} for the rules of a request, else what its documentation says, else 0.
 * The first group is what a lockstep engine needs to keep a run deterministic: it refuses a step in which one of
 * them fires.
 */
public final class Rules {
    private Rules() {
    }

    /** Makes sure the constants are defined (called by {@link Rule#all()}). */
    static void load() {
        // class initialisation defines them
    }

    // ---- nondeterminism a lockstep run must avoid -------------------------------------------------------------

    /**
     * {@code io_queue_iowq}: the request goes to io-wq, whose worker posts the CQE at a time of its own (the model
     * completes it through task work). Reached with IOSQE_ASYNC, for a chain left open at the end of a batch, and
     * for requests the drain released.
     */
    public static final Rule IO_QUEUE_IOWQ = Rule.define("IO_QUEUE_IOWQ", "io_queue_iowq", "A3",
            "A request handed to io-wq completes at a time of io-wq's choosing.");
    /** {@code io_init_drain}: an accepted IOSQE_IO_DRAIN; every later request takes the slow path until it drains. */
    public static final Rule INIT_DRAIN = Rule.define("INIT_DRAIN", "io_init_drain", "A3",
            "An accepted IOSQE_IO_DRAIN makes every later request wait on the slow (deferred, async) path.");
    /**
     * {@code io_submit_state_end}: a link chain still open at the end of the batch (its last SQE asked for a link,
     * or a dropped SQ entry ended the batch) is queued as it is, neither cancelled nor joined to the next batch;
     * detail: the head's user_data. Not reported for a chain that already failed.
     */
    public static final Rule SUBMIT_STATE_END_DANGLING_LINK = Rule.define("SUBMIT_STATE_END_DANGLING_LINK",
            "io_submit_state_end", "A3", "A link chain left open at the end of a batch runs on its own, async.");
    /**
     * {@code io_cqring_wait}: the wait asks for CQEs that can never arrive (no task work left, nothing to flush);
     * the kernel would sleep until a timeout or a signal. Detail: how many CQEs were missing.
     */
    public static final Rule CQRING_WAIT_WOULD_BLOCK = Rule.define("CQRING_WAIT_WOULD_BLOCK", "io_cqring_wait",
            "A2", "A GETEVENTS wait for CQEs that can never arrive sleeps until its timeout or a signal.");
    /**
     * {@code io_get_cqe_overflow} (Linux 6.18): a CQE is posted where Linux 6.18 would write it through the stale
     * cached range it keeps after a failed refill, somewhere else than these semantics put it (divergence
     * catalogue entry cqe-stale-cache-jumps-overflow-list). Detail: the slot index 6.18 would use.
     */
    public static final Rule STALE_CQE_CACHE_6_18 = Rule.define("STALE_CQE_CACHE_6_18", "io_get_cqe_overflow",
            "A2", "Linux 6.18 would write this CQE through its stale cached CQE range.");
    /**
     * {@code io_init_req}: a valid opcode the model has no table entry for; the model throws right after
     * reporting it. Detail: the opcode.
     */
    public static final Rule OPCODE_NOT_MODELLED = Rule.define("OPCODE_NOT_MODELLED", "io_init_req", "A1",
            "A valid opcode without an entry in the model's opcode table cannot be executed.");
    /**
     * {@code io_nop}: NOP_FILE with IOSQE_FIXED_FILE but without NOP_FIXED_FILE looks the descriptor up in the
     * process's table and, before Linux 7.2 (2564ca2e31bd), leaks a file reference.
     */
    public static final Rule NOP_FILE_FIXED_FLAG_MISMATCH = Rule.define("NOP_FILE_FIXED_FLAG_MISMATCH", "io_nop",
            "A4", "NOP_FILE with IOSQE_FIXED_FILE but not NOP_FIXED_FILE takes a normal file (leaks it before 7.2).");
}
