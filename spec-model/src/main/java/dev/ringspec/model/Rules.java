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

    /**
     * {@code io_queue_async}: an opcode that may poll answered -EAGAIN and its file can be polled, so a poll is
     * armed ({@code io_arm_poll_handler}) and the request is issued again when the file is ready (never in the
     * model, whose {@link AsyncPoll} arms nothing).
     */
    public static final Rule POST_CQE_NO_ROOM = Rule.define("POST_CQE_NO_ROOM", "io_fill_cqe_aux", "A4",
            "An extra CQE of a multishot request finds the CQ full: nothing is posted and the request must end.");

    public static final Rule INJECTED_CQ_OVERFLOW = Rule.define("INJECTED_CQ_OVERFLOW", "io_get_cqe", "A4",
            "An injected fault (not a kernel rule): the CQE finds no slot, as on a full ring, and overflows.");

    public static final Rule ARM_POLL_HANDLER = Rule.define("ARM_POLL_HANDLER", "io_arm_poll_handler", "A3",
            "A request that would block on a pollable file waits for it to be ready, then is issued again.");

    /**
     * {@code io_init_drain} on a kernel that releases drained requests once every earlier one is freed (6.18 on,
     * {@code nr_req_allocated != nr_drained}): the kernel frees requests into its request cache and counts cached
     * ones as allocated, so when the drain ends is not fixed by the steps. 6.1 and 6.12 drain by sequence
     * ({@link #DRAIN_BY_SEQUENCE}), which the steps do fix.
     */
    public static final Rule DRAIN_WAITS_FOR_FREED_REQUESTS = Rule.define("DRAIN_WAITS_FOR_FREED_REQUESTS",
            "io_init_drain", "A3",
            "A drain that waits for earlier requests to be freed ends at a time of the kernel's choosing.");
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

    // ---- io_uring_setup and io_uring_create (setup: IoUringSetup) -------------------------------------------------

    public static final Rule SETUP_RESV = Rule.define("SETUP_RESV", "io_uring_setup", "1",
            "Non-zero resv words in the params are refused with -EINVAL.");

    public static final Rule SANITISE_UNKNOWN_FLAGS = Rule.define(
            "SANITISE_UNKNOWN_FLAGS", "io_uring_sanitise_params", "1",
            "Setup flags the kernel does not know are refused with -EINVAL; detail: the unknown bits.");

    public static final Rule SANITISE_FLAG_COMBINATION = Rule.define(
            "SANITISE_FLAG_COMBINATION", "io_uring_sanitise_params", "1",
            "A combination of setup flags that excludes itself is refused with -EINVAL; detail: the flags.");

    public static final Rule FILL_PARAMS_ENTRIES = Rule.define("FILL_PARAMS_ENTRIES", "io_uring_fill_params", "1",
            "Zero or too many entries without CLAMP are refused; detail: the entries asked for.");

    public static final Rule RINGS_SIZE_MIXED_TOO_SMALL = Rule.define("RINGS_SIZE_MIXED_TOO_SMALL", "rings_size", "A2",
            "A mixed ring needs room for one big entry: fewer than 2 entries is -EOVERFLOW; detail: the entries.");

    // ---- io_uring_enter (ModelIoUring, SubmitSqes, SqRing) --------------------------------------------------------

    public static final Rule ENTER_UNKNOWN_FLAGS = Rule.define("ENTER_UNKNOWN_FLAGS", "io_uring_enter", "A1",
            "Enter flags the kernel does not know are refused with -EINVAL; detail: the unknown bits.");

    public static final Rule ENTER_RING_DISABLED = Rule.define("ENTER_RING_DISABLED", "io_uring_enter", "A6",
            "A ring still R_DISABLED refuses enter with -EBADFD.");

    public static final Rule CQRING_WAIT_TIMEOUT_WAKES = Rule.define("CQRING_WAIT_TIMEOUT_WAKES", "io_should_wake",
            "A2", "A timeout that fires (or is killed) during a GETEVENTS wait ends the wait with 0, however few CQEs "
            + "it has; detail: the CQEs visible.");

    public static final Rule SQPOLL_ENTER = Rule.define("SQPOLL_ENTER", "io_uring_enter", "A1",
            "On an SQPOLL ring enter submits nothing: it wakes the SQ thread (SQ_WAKEUP), waits for SQ room "
            + "(SQ_WAIT) and returns to_submit; detail: those two flags.");

    public static final Rule SQ_THREAD_SUBMITS = Rule.define("SQ_THREAD_SUBMITS", "__io_sq_thread", "A1",
            "The SQ thread of an SQPOLL ring submits what the SQ holds; detail: how many entries.");

    public static final Rule SQ_THREAD_NEED_WAKEUP = Rule.define("SQ_THREAD_NEED_WAKEUP", "io_sq_thread", "A1",
            "An SQ thread idle for sq_thread_idle raises IORING_SQ_NEED_WAKEUP and sleeps until an enter with "
            + "SQ_WAKEUP or task work wakes it.");

    public static final Rule SQPOLL_ATTACH_WITHOUT_SQ_THREAD = Rule.define("SQPOLL_ATTACH_WITHOUT_SQ_THREAD",
            "io_attach_sq_data", "A1", "An SQPOLL setup with ATTACH_WQ naming a ring that has no SQ thread fails "
            + "with -EINVAL; detail: wq_fd.");

    public static final Rule SQPOLL_CPU_NOT_ALLOWED = Rule.define("SQPOLL_CPU_NOT_ALLOWED", "io_sq_offload_create",
            "A1", "An SQPOLL setup with SQ_AFF and an sq_thread_cpu that is offline, not below nr_cpu_ids or outside "
            + "the task's cpuset fails with -EINVAL; detail: sq_thread_cpu.");

    public static final Rule ADD_TCTX_NODE_NOT_SUBMITTER = Rule.define(
            "ADD_TCTX_NODE_NOT_SUBMITTER", "io_uring_add_tctx_node", "A1",
            "A SINGLE_ISSUER ring refuses submission from another task with -EEXIST.");

    public static final Rule ENTER_EARLY_RETURN_SKIPS_WAIT = Rule.define(
            "ENTER_EARLY_RETURN_SKIPS_WAIT", "io_uring_enter", "A2",
            "Fewer SQEs submitted than asked returns at once, without the GETEVENTS part; detail: how many counted.");

    public static final Rule SQ_REWIND_IGNORES_TAIL = Rule.define("SQ_REWIND_IGNORES_TAIL", "io_submit_sqes", "A1",
            "With SQ_REWIND the tail is ignored and to_submit alone says how many SQEs are taken, from SQE 0.");

    public static final Rule GET_SQE_DROPPED = Rule.define("GET_SQE_DROPPED", "io_get_sqe", "A1",
            "An SQ array entry at or above sq_entries is consumed, counted in sq.dropped and ends the batch; "
            + "detail: the entry.");

    public static final Rule GET_SQE_ARRAY = Rule.define("GET_SQE_ARRAY", "io_get_sqe", "A1",
            "Without NO_SQARRAY the SQ array maps each ring position to the index of its SQE.");

    public static final Rule SUBMIT_STOPS_AT_FAILURE = Rule.define("SUBMIT_STOPS_AT_FAILURE", "io_submit_sqes", "A1",
            "A standalone SQE that fails init stops the batch and is counted, unless SUBMIT_ALL.");

    public static final Rule SUBMIT_FAIL_INIT_CANCELS_CHAIN = Rule.define(
            "SUBMIT_FAIL_INIT_CANCELS_CHAIN", "io_submit_fail_init", "A3",
            "An init failure inside a chain fails the chain's head with -ECANCELED, so no member runs.");

    // ---- io_init_req (InitReq) ------------------------------------------------------------------------------------

    public static final Rule INIT_REQ_UNKNOWN_OPCODE = Rule.define("INIT_REQ_UNKNOWN_OPCODE", "io_init_req", "A1",
            "An opcode at or above IORING_OP_LAST fails with -EINVAL; detail: the opcode.");

    public static final Rule INIT_REQ_SQE128_NO_ROOM = Rule.define("INIT_REQ_SQE128_NO_ROOM", "io_init_req", "A1",
            "A 128-byte opcode without SQE128 needs SQE_MIXED, both halves within to_submit and not the last "
            + "slot, else -EINVAL.");

    public static final Rule INIT_REQ_SQE128_TWO_POSITIONS = Rule.define(
            "INIT_REQ_SQE128_TWO_POSITIONS", "io_init_req", "A1",
            "A 128-byte opcode on a SQE_MIXED ring takes two ring positions.");

    public static final Rule INIT_REQ_UNKNOWN_SQE_FLAGS = Rule.define("INIT_REQ_UNKNOWN_SQE_FLAGS", "io_init_req", "A1",
            "SQE flags the kernel does not know fail the request with -EINVAL.");

    public static final Rule INIT_REQ_BUFFER_SELECT = Rule.define("INIT_REQ_BUFFER_SELECT", "io_init_req", "A1",
            "IOSQE_BUFFER_SELECT on an opcode without buffer select fails with -EOPNOTSUPP.");

    public static final Rule SKIP_SUCCESS_DISABLES_DRAIN = Rule.define(
            "SKIP_SUCCESS_DISABLES_DRAIN", "io_init_req", "A3",
            "The first accepted CQE_SKIP_SUCCESS disables IOSQE_IO_DRAIN on the ring for good.");

    public static final Rule INIT_REQ_DRAIN_DISABLED = Rule.define("INIT_REQ_DRAIN_DISABLED", "io_init_req", "A3",
            "IOSQE_IO_DRAIN after any CQE_SKIP_SUCCESS fails with -EOPNOTSUPP.");

    public static final Rule CHECK_RESTRICTION = Rule.define("CHECK_RESTRICTION", "io_check_restriction", "A6",
            "A restricted ring fails an SQE whose opcode or flags are not allowed with -EACCES.");

    public static final Rule INIT_REQ_IOPRIO = Rule.define("INIT_REQ_IOPRIO", "io_init_req", "A1",
            "A non-zero ioprio on an opcode without ioprio support fails with -EINVAL.");

    public static final Rule INIT_REQ_IOPOLL = Rule.define("INIT_REQ_IOPOLL", "io_init_req", "A1",
            "An opcode without iopoll support on an IOPOLL ring fails with -EINVAL.");

    public static final Rule INIT_REQ_PERSONALITY = Rule.define("INIT_REQ_PERSONALITY", "io_init_req", "A1",
            "An unknown personality fails with -EINVAL.");

    // ---- links and drain (Links, Drain) ---------------------------------------------------------------------------

    public static final Rule DRAIN_NEXT = Rule.define("DRAIN_NEXT", "io_init_req", "A3",
            "The request after a chain with a drain member drains itself.");

    public static final Rule DRAIN_REQ = Rule.define("DRAIN_REQ", "io_drain_req", "A3",
            "A request taken while draining waits in the deferred list.");

    public static final Rule QUEUE_DEFERRED = Rule.define("QUEUE_DEFERRED", "io_queue_deferred", "A3",
            "Once every request before a drain is freed, the deferred request is dispatched through task work.");

    /**
     * {@code req_need_defer} (6.1, 6.12; read in 6.1.192 and 6.12.117 io_uring.c): {@code seq + cq_extra !=
     * cached_cq_tail}, where {@code seq} is the cached SQ head before the request's chain and {@code cq_extra}
     * goes down by one per dropped SQE ({@code io_get_sqe}); a CQE waiting on the overflow list counts only once
     * flushed. Detail: the request's user_data.
     */
    public static final Rule DRAIN_BY_SEQUENCE = Rule.define("DRAIN_BY_SEQUENCE", "req_need_defer", "A3",
            "On 6.1 and 6.12 a drained request waits until the cached CQ tail counts a CQE per SQE before it.");
    /**
     * {@code req_need_defer} compares for equality, and only at CQ commits: once the cached CQ tail is past a deferred
     * drain's {@code seq + cq_extra} (a request after the drain failed at init and posted, or an SQE after it was
     * dropped, or several CQEs were committed at once), the kernel's drain and everything after it never run. A
     * kernel bug (catalogue entry drain-stalls-when-the-cq-tail-passes-its-sequence): the model follows the intent
     * and runs the drain once every request before it has completed and been freed. Detail: the request's user_data.
     */
    public static final Rule DRAIN_SEQUENCE_PASSED = Rule.define("DRAIN_SEQUENCE_PASSED", "req_need_defer", "A3",
            "On 6.1 and 6.12 a drain whose sequence the CQ tail passed waits for the requests before it to be freed"
                    + " (the kernel stalls).");

    public static final Rule QUEUE_NEXT = Rule.define("QUEUE_NEXT", "io_queue_next", "A3",
            "A chain's successor is issued through task work once its predecessor completed.");

    public static final Rule PREP_LINKED_TIMEOUT = Rule.define("PREP_LINKED_TIMEOUT", "__io_prep_linked_timeout",
            "A3", "A request followed by a LINK_TIMEOUT starts the timeout's timer when it is issued.");

    public static final Rule DISARM_LINKED_TIMEOUT = Rule.define("DISARM_LINKED_TIMEOUT", "io_disarm_next", "A3",
            "A request that completes before its LINK_TIMEOUT fires cancels the timeout with -ECANCELED.");

    public static final Rule LINKED_TIMEOUT_CLAIMED_BY_TIMER = Rule.define("LINKED_TIMEOUT_CLAIMED_BY_TIMER",
            "__io_disarm_linked_timeout", "A3",
            "A LINK_TIMEOUT whose timer fired as its request completed leaves the chain and completes on its own.");

    public static final Rule FAIL_LINKS = Rule.define("FAIL_LINKS", "io_fail_links", "A3",
            "A failed member that is not a hardlink cancels the rest of its chain with -ECANCELED.");

    public static final Rule FAIL_LINKS_SKIPPED = Rule.define("FAIL_LINKS_SKIPPED", "io_fail_links", "A3",
            "A failed CQE_SKIP_SUCCESS member cancels the rest of its chain without any CQE for them.");

    public static final Rule FAIL_CANCELS_SKIP_SUCCESS = Rule.define("FAIL_CANCELS_SKIP_SUCCESS", "req_set_fail", "A3",
            "A failing CQE_SKIP_SUCCESS request posts its CQE after all.");

    // ---- completion, the CQE cache and the overflow list (CqeCache, OverflowList) ---------------------------------

    public static final Rule CQE_REFILL_BEHIND_OVERFLOW = Rule.define(
            "CQE_REFILL_BEHIND_OVERFLOW", "io_cqe_cache_refill", "A2",
            "While the overflow list is not empty every new CQE goes to it.");

    public static final Rule CQE_REFILL_RING_FULL = Rule.define("CQE_REFILL_RING_FULL", "io_cqe_cache_refill", "A2",
            "A refill that finds no contiguous room leaves no cached range; the CQE overflows.");

    public static final Rule CQE_SKIP_FILLER = Rule.define("CQE_SKIP_FILLER", "io_fill_nop_cqe", "A2",
            "A 32-byte CQE never starts in the last slot of a CQE_MIXED ring: a skip CQE fills it; detail: the slot.");

    public static final Rule CQE32_TAKES_TWO_SLOTS = Rule.define("CQE32_TAKES_TWO_SLOTS", "io_get_cqe_overflow", "A2",
            "A 32-byte CQE on a CQE_MIXED ring takes two slots and moves the tail by two.");

    public static final Rule CQ_ADD_OVERFLOW = Rule.define("CQ_ADD_OVERFLOW", "io_cqring_add_overflow", "A2",
            "A CQE without a slot joins the overflow list; the first raises IORING_SQ_CQ_OVERFLOW.");

    public static final Rule CQ_OVERFLOW_FLUSH = Rule.define("CQ_OVERFLOW_FLUSH", "__io_cqring_overflow_flush", "A2",
            "A flush moves overflowed CQEs in order while they fit; detail: how many were waiting.");

    // ---- task work (TaskWork, tw.c) -------------------------------------------------------------------------------

    public static final Rule TW_ADD_SETS_TASKRUN = Rule.define("TW_ADD_SETS_TASKRUN", "io_req_task_work_add", "A3",
            "Queued task work raises IORING_SQ_TASKRUN on a TASKRUN_FLAG ring.");

    public static final Rule TCTX_TASK_WORK_RUN = Rule.define("TCTX_TASK_WORK_RUN", "tctx_task_work_run", "A3",
            "A ring without DEFER_TASKRUN runs all its task work before the syscall returns; detail: items queued.");

    public static final Rule RUN_LOCAL_WORK = Rule.define("RUN_LOCAL_WORK", "__io_run_local_work", "A3",
            "A DEFER_TASKRUN ring runs its task work only when the task waits; detail: items queued.");

    public static final Rule LOCAL_WORK_CAPPED = Rule.define("LOCAL_WORK_CAPPED", "io_run_local_work_continue", "A3",
            "A local run takes at most IO_LOCAL_TW_DEFAULT_MAX items unless it waits for more; the rest raise "
            + "IORING_SQ_TASKRUN.");

    // ---- waiting (CqringWait, wait.c) -----------------------------------------------------------------------------

    public static final Rule GET_EXT_ARG_SIZE = Rule.define("GET_EXT_ARG_SIZE", "io_get_ext_arg", "A2",
            "An EXT_ARG argument of the wrong size is refused with -EINVAL; detail: the size.");

    public static final Rule GET_EXT_ARG_FAULT = Rule.define("GET_EXT_ARG_FAULT", "io_get_ext_arg", "A2",
            "An unreadable EXT_ARG argument or timespec is refused with -EFAULT.");

    public static final Rule CQRING_WAIT_NOT_OWNER = Rule.define("CQRING_WAIT_NOT_OWNER", "io_cqring_wait", "A2",
            "A DEFER_TASKRUN ring waited on by another task answers -EEXIST.");

    public static final Rule IOPOLL_CHECK = Rule.define("IOPOLL_CHECK", "io_iopoll_check", "A2",
            "GETEVENTS on an IOPOLL ring (without SQPOLL) never sleeps: it answers 0 at once when the CQ holds "
            + "CQEs, else polls the iopoll list, which is empty here, runs task work and answers 0; detail: the CQEs "
            + "visible.");

    public static final Rule IOPOLL_REQ_ISSUED = Rule.define("IOPOLL_REQ_ISSUED", "io_iopoll_req_issued", "A1",
            "On an IOPOLL ring a read or write of a file that polls its completions waits on the iopoll list; its "
            + "CQE is posted when a GETEVENTS enter or the SQ thread polls; detail: user_data.");

    public static final Rule CQRING_WAIT_SIGMASK = Rule.define("CQRING_WAIT_SIGMASK", "io_cqring_wait", "A2",
            "A wait about to sleep refuses a signal mask of the wrong size (-EINVAL) or unreadable (-EFAULT).");

    // ---- register.c, query.c (Register, ResizeRings, Query, Restrictions) -----------------------------------------

    public static final Rule REGISTER_UNKNOWN_OPCODE = Rule.define("REGISTER_UNKNOWN_OPCODE", "io_uring_register", "A8",
            "A register opcode at or above IORING_REGISTER_LAST is refused with -EINVAL; detail: the opcode.");

    public static final Rule REGISTER_NOT_SUBMITTER = Rule.define("REGISTER_NOT_SUBMITTER", "__io_uring_register", "A6",
            "A SINGLE_ISSUER ring refuses register calls from another task with -EEXIST.");

    public static final Rule REGISTER_RESTRICTED = Rule.define("REGISTER_RESTRICTED", "__io_uring_register", "A6",
            "A restricted ring refuses unlisted register opcodes with -EACCES, before looking at the arguments.");

    public static final Rule REGISTER_BLIND_UNKNOWN = Rule.define(
            "REGISTER_BLIND_UNKNOWN", "io_uring_register_blind", "A8",
            "Without a ring only QUERY and SEND_MSG_RING (from 7.0 also RESTRICTIONS and BPF_FILTER) are known.");

    // ---- per-task restrictions (register.c io_register_restrictions_task, io_uring.c, tctx.c; 7.0+) -------------

    public static final Rule TASK_RESTRICTIONS_ONCE = Rule.define(
            "TASK_RESTRICTIONS_ONCE", "io_register_restrictions_task", "A6",
            "A task that has restrictions (its own or inherited across fork) cannot register more: -EPERM, first.");

    public static final Rule TASK_RESTRICTIONS_PRIVILEGE = Rule.define(
            "TASK_RESTRICTIONS_PRIVILEGE", "io_register_restrictions_task", "A6",
            "Like seccomp, a task restricts itself only with no_new_privs or CAP_SYS_ADMIN, else -EACCES.");

    public static final Rule TASK_RESTRICTIONS_INVALID = Rule.define(
            "TASK_RESTRICTIONS_INVALID", "io_register_restrictions_task", "A6",
            "nr_args other than 1, non-zero flags or resv, or an invalid entry is -EINVAL (-EFAULT unreadable); "
            + "detail: the errno.");

    public static final Rule TASK_RESTRICTIONS_REGISTERED = Rule.define(
            "TASK_RESTRICTIONS_REGISTERED", "io_register_restrictions_task", "A6",
            "A task's restrictions are set for good; detail: nr_res (0 denies every SQE and register opcode).");

    public static final Rule RING_INHERITS_TASK_RESTRICTIONS = Rule.define(
            "RING_INHERITS_TASK_RESTRICTIONS", "io_ctx_restriction_clone", "A6",
            "A ring created by a restricted task starts restricted by the task's set, without R_DISABLED.");

    public static final Rule FORK_INHERITS_TASK_RESTRICTIONS = Rule.define(
            "FORK_INHERITS_TASK_RESTRICTIONS", "__io_uring_fork", "A6",
            "A task forked by a restricted task has the same restrictions, and so cannot register its own.");

    public static final Rule RESTRICTIONS_NEED_DISABLED_RING = Rule.define(
            "RESTRICTIONS_NEED_DISABLED_RING", "io_register_restrictions", "A6",
            "Restrictions are registered only on a ring that is still R_DISABLED, else -EBADFD.");

    public static final Rule RESTRICTIONS_ONCE = Rule.define("RESTRICTIONS_ONCE", "io_register_restrictions", "A6",
            "Restrictions are registered once; a second registration is -EBUSY.");

    public static final Rule ENABLE_RINGS_NOT_DISABLED = Rule.define(
            "ENABLE_RINGS_NOT_DISABLED", "io_register_enable_rings", "A6",
            "Enabling a ring that is not disabled is -EBADFD.");

    public static final Rule ENABLE_RINGS_RESTRICTS = Rule.define(
            "ENABLE_RINGS_RESTRICTS", "io_register_enable_rings", "A6",
            "On 6.18 the restrictions registered before take effect when the ring is enabled.");

    public static final Rule RESIZE_NEEDS_DEFER_TASKRUN = Rule.define(
            "RESIZE_NEEDS_DEFER_TASKRUN", "io_register_resize_rings", "A5",
            "Only DEFER_TASKRUN rings can be resized, else -EINVAL.");

    public static final Rule RESIZE_PENDING_DO_NOT_FIT = Rule.define(
            "RESIZE_PENDING_DO_NOT_FIT", "io_register_resize_rings", "A5",
            "Pending SQEs or CQEs that do not fit the new rings fail the resize with -EOVERFLOW, the ring untouched.");

    public static final Rule RESIZE_SETS_TASKRUN_AND_WAKEUP = Rule.define(
            "RESIZE_SETS_TASKRUN_AND_WAKEUP", "io_register_resize_rings", "A5",
            "The new rings get IORING_SQ_TASKRUN and IORING_SQ_NEED_WAKEUP (upstream 96189080265e).");

    public static final Rule RESIZE_RINGS = Rule.define("RESIZE_RINGS", "io_register_resize_rings", "A5",
            "A resize swaps in new rings with the pending entries copied and the CQE cache emptied; detail: the "
            + "new cq_entries.");

    public static final Rule PROBE = Rule.define("PROBE", "io_probe", "A8",
            "A probe answers last_op = IORING_OP_LAST - 1 and marks every opcode up to nr_args supported.");

    public static final Rule QUERY_TOO_MANY_ENTRIES = Rule.define("QUERY_TOO_MANY_ENTRIES", "io_query", "A8",
            "More than IO_MAX_QUERY_ENTRIES query headers (a cycle) end the call with -ERANGE.");

    public static final Rule QUERY_UNKNOWN_OP = Rule.define("QUERY_UNKNOWN_OP", "io_handle_query_entry", "A8",
            "An unknown query opcode answers -EOPNOTSUPP in the header's result; detail: the opcode.");

    // ---- registered files and buffers (FileTable, BufferTable, Rsrc) ----------------------------------------------

    public static final Rule FILES_REGISTERED = Rule.define("FILES_REGISTERED", "io_sqe_files_register", "A1",
            "A registered-file table is installed; detail: its size.");

    public static final Rule FILES_REGISTER_BUSY = Rule.define("FILES_REGISTER_BUSY", "io_sqe_files_register", "A1",
            "A second file table is refused with -EBUSY.");

    public static final Rule FILES_REGISTER_BAD_FD = Rule.define("FILES_REGISTER_BAD_FD", "io_sqe_files_register", "A1",
            "A descriptor that is closed or an io_uring is refused with -EBADF; detail: the descriptor.");

    public static final Rule BUFFERS_REGISTERED = Rule.define("BUFFERS_REGISTERED", "io_sqe_buffers_register", "A1",
            "A registered-buffer table is installed; detail: its size.");

    public static final Rule BUFFERS_REGISTER_BUSY = Rule.define(
            "BUFFERS_REGISTER_BUSY", "io_sqe_buffers_register", "A1",
            "A second buffer table is refused with -EBUSY.");

    public static final Rule BUFFER_REGISTER_EMPTY = Rule.define(
            "BUFFER_REGISTER_EMPTY", "io_sqe_buffer_register", "A1",
            "A buffer of no bytes pins no page: -EFAULT (measured on 6.18.44).");

    // ---- BPF filters (BpfFilter, BpfFilterRun, bpf_filter.c, register.c; 7.0+) -----------------------------------

    public static final Rule BPF_FILTER_IMPORT_INVALID = Rule.define(
            "BPF_FILTER_IMPORT_INVALID", "io_bpf_filter_import", "A7",
            "A struct io_uring_bpf with a bad cmd_type, cmd_flags, resv, opcode, flags, resv, resv2 or filter_len is "
            + "-EINVAL, checked in that order; detail: 1 cmd, 2 opcode or flags, 3 reserved, 4 filter_len.");

    public static final Rule BPF_FILTER_PDU_TOO_LARGE = Rule.define(
            "BPF_FILTER_PDU_TOO_LARGE", "io_bpf_filter_import", "A7",
            "A pdu_size larger than the opcode's is -EMSGSIZE; a smaller one is accepted; detail: the opcode's size.");

    public static final Rule BPF_FILTER_SZ_STRICT = Rule.define("BPF_FILTER_SZ_STRICT", "io_bpf_filter_import", "A7",
            "With IO_URING_BPF_FILTER_SZ_STRICT any pdu_size other than the opcode's is -EMSGSIZE; detail: that size.");

    public static final Rule BPF_FILTER_PDU_SIZE_WRITTEN_BACK = Rule.define(
            "BPF_FILTER_PDU_SIZE_WRITTEN_BACK", "io_bpf_filter_import", "A7",
            "Once the struct passed its checks, the opcode's pdu_size is written back, also when the size is then "
            + "refused; detail: the size written.");

    public static final Rule BPF_FILTER_PROGRAM_REFUSED = Rule.define(
            "BPF_FILTER_PROGRAM_REFUSED", "bpf_prog_create_from_user", "A7",
            "A program the classic checker or io_uring's rules refuse is -EINVAL (-EFAULT unreadable); detail: errno.");

    public static final Rule BPF_FILTER_REGISTERED = Rule.define("BPF_FILTER_REGISTERED", "io_register_bpf_filter",
            "A7", "A filter goes in front of its opcode's list: newest first; detail: the opcode.");

    public static final Rule BPF_FILTER_DENY_REST = Rule.define("BPF_FILTER_DENY_REST", "io_register_bpf_filter",
            "A7", "DENY_REST puts a deny at every opcode without a filter at that moment; detail: how many opcodes.");

    public static final Rule BPF_FILTER_COPY_ON_WRITE = Rule.define(
            "BPF_FILTER_COPY_ON_WRITE", "io_bpf_filter_cow", "A7",
            "A ring or task that shares its filters copy-on-write copies them before adding its own; detail: opcode.");

    /**
     * {@code io_register_bpf_filter} on a set another ring or task shares, held without copy-on-write (the creator's
     * side before 7.3): the new filter reaches every ring and child that shares the set. Detail: the opcode.
     */
    public static final Rule BPF_FILTER_SHARED_IN_PLACE = Rule.define(
            "BPF_FILTER_SHARED_IN_PLACE", "io_register_bpf_filter", "A7",
            "Before 7.3 a task's new filter is added in place, so rings it created and children it forked get it too.");

    public static final Rule BPF_FILTER_TASK_PRIVILEGE = Rule.define(
            "BPF_FILTER_TASK_PRIVILEGE", "io_register_bpf_filter_task", "A7",
            "Like seccomp, a task filters itself only with no_new_privs or CAP_SYS_ADMIN, else -EACCES, first.");

    public static final Rule RING_INHERITS_TASK_FILTERS = Rule.define(
            "RING_INHERITS_TASK_FILTERS", "io_bpf_filter_clone", "A7",
            "A ring created by a task with BPF filters shares them (copy-on-write) under its own.");

    public static final Rule FORK_INHERITS_TASK_FILTERS = Rule.define(
            "FORK_INHERITS_TASK_FILTERS", "__io_uring_fork", "A7",
            "A task forked by a task with BPF filters shares them (copy-on-write) and can only add to them.");

    public static final Rule BPF_FILTER_CONTEXT = Rule.define("BPF_FILTER_CONTEXT", "io_uring_populate_bpf_ctx", "A7",
            "After init and prep, the filters read user_data, opcode, sqe_flags and the payload prep read; detail: "
            + "user_data.");

    public static final Rule BPF_FILTER_DENIES = Rule.define("BPF_FILTER_DENIES", "__io_uring_run_bpf_filters", "A7",
            "A filter that returns 0 fails the request with -EACCES as an init failure (its chain too); detail: "
            + "user_data.");

    public static final Rule BPF_FILTER_DENY_REST_DENIES = Rule.define(
            "BPF_FILTER_DENY_REST_DENIES", "__io_uring_run_bpf_filters", "A7",
            "An opcode DENY_REST filled is -EACCES whatever filters were added to it later; detail: user_data.");

    public static final Rule BPF_FILTER_ALLOWS = Rule.define("BPF_FILTER_ALLOWS", "__io_uring_run_bpf_filters", "A7",
            "Every filter of the opcode returned non-zero: the request goes on; detail: how many filters ran.");

    // ---- SOCKET, CONNECT (Net, net.c), OPENAT, OPENAT2 (OpenClose, openclose.c), FSYNC (Sync, sync.c) ------------

    public static final Rule SOCKET_PREP_INVALID = Rule.define("SOCKET_PREP_INVALID", "io_socket_prep", "WORLD.md",
            "addr, rw_flags or buf_index set, SOCK_CLOEXEC on a direct descriptor, or other type flags: -EINVAL.");

    public static final Rule SOCKET_BPF_POPULATE = Rule.define("SOCKET_BPF_POPULATE", "io_socket_bpf_populate",
            "A7", "A SOCKET's filter context holds family (sqe fd), type with its flags (off) and protocol (len).");

    public static final Rule SOCKET_CREATE_REFUSED = Rule.define("SOCKET_CREATE_REFUSED", "__sock_create",
            "WORLD.md", "A family, type or protocol the kernel refuses fails the SOCKET at issue; detail: errno.");

    public static final Rule FIXED_FD_INSTALLED = Rule.define("FIXED_FD_INSTALLED", "io_install_fixed_file",
            "WORLD.md", "A direct descriptor takes its slot of the registered file table; detail: the slot.");

    public static final Rule FIXED_FD_INSTALL_NO_TABLE = Rule.define("FIXED_FD_INSTALL_NO_TABLE",
            "io_install_fixed_file", "WORLD.md", "A direct descriptor into a named slot without a file table: -ENXIO.");

    public static final Rule FIXED_FD_INSTALL_OUT_OF_RANGE = Rule.define("FIXED_FD_INSTALL_OUT_OF_RANGE",
            "io_install_fixed_file", "WORLD.md", "A direct descriptor past the table's end: -EINVAL; detail: slot.");

    public static final Rule FIXED_FD_INSTALL_NO_FREE_SLOT = Rule.define("FIXED_FD_INSTALL_NO_FREE_SLOT",
            "io_file_bitmap_get", "WORLD.md",
            "IORING_FILE_INDEX_ALLOC without a table or without a free slot: -ENFILE (not -ENXIO).");

    public static final Rule FIXED_FD_REMOVED = Rule.define("FIXED_FD_REMOVED", "io_fixed_fd_remove", "A8",
            "A direct descriptor is closed: its slot is empty and the allocation hint points at it; detail: slot.");

    public static final Rule FIXED_FD_REMOVE_REFUSED = Rule.define("FIXED_FD_REMOVE_REFUSED", "io_fixed_fd_remove",
            "A8", "Closing a direct descriptor without a table (-ENXIO), past its end (-EINVAL) or of an empty slot "
                    + "(-EBADF); detail: the errno.");

    public static final Rule POST_AUX_CQE = Rule.define("POST_AUX_CQE", "io_post_aux_cqe", "A8",
            "A CQE that belongs to no request of this ring (MSG_RING's) is posted at once, ahead of the batch's "
                    + "completions, or joins the overflow list; detail: its user_data.");

    public static final Rule MSG_REMOTE_POST = Rule.define("MSG_REMOTE_POST", "io_msg_remote_post", "A8",
            "A CQE for a ring that completes on its own task only is task work there, posted when that task runs "
                    + "it; detail: its user_data.");

    public static final Rule CONNECT_PREP_INVALID = Rule.define("CONNECT_PREP_INVALID", "io_connect_prep",
            "WORLD.md", "len, buf_index, rw_flags or splice_fd_in set, or addr_len < 0 or > 128: -EINVAL.");

    public static final Rule CONNECT_PREP_FAULT = Rule.define("CONNECT_PREP_FAULT", "move_addr_to_kernel",
            "WORLD.md", "A CONNECT address the kernel cannot copy in fails at prep with -EFAULT.");

    public static final Rule CONNECT_BPF_POPULATE = Rule.define("CONNECT_BPF_POPULATE", "io_connect_bpf_populate",
            "A7", "From 7.2 a CONNECT's filter context holds the family, and the port and address addr_len covers.");

    public static final Rule OPENAT_PREP_INVALID = Rule.define("OPENAT_PREP_INVALID", "__io_openat_prep",
            "WORLD.md", "buf_index, IOSQE_FIXED_FILE (-EBADF), a short or dirty open_how, a long path or O_CLOEXEC "
            + "on a direct descriptor fails the open at prep.");

    public static final Rule OPENAT_PREP_FAULT = Rule.define("OPENAT_PREP_FAULT", "__io_openat_prep", "WORLD.md",
            "A path or open_how the kernel cannot copy in fails at prep with -EFAULT.");

    public static final Rule OPENAT_BUILD_OPEN_FLAGS = Rule.define("OPENAT_BUILD_OPEN_FLAGS", "build_open_flags",
            "WORLD.md", "A combination of flags, mode and resolve the kernel refuses fails at issue with -EINVAL.");

    public static final Rule OPENAT_ABSENT_PATH = Rule.define("OPENAT_ABSENT_PATH", "do_filp_open", "WORLD.md",
            "A path under /ringspec-absent/ fails at issue with -ENOENT, plain or direct, whatever the flags.");

    public static final Rule FSYNC_PREP_INVALID = Rule.define("FSYNC_PREP_INVALID", "io_fsync_prep", "A1",
            "addr, buf_index, splice_fd_in, unknown fsync_flags or a negative offset: -EINVAL.");

    // ---- NOP (Nop, nop.c) -----------------------------------------------------------------------------------------

    public static final Rule NOP_PREP_UNKNOWN_FLAGS = Rule.define("NOP_PREP_UNKNOWN_FLAGS", "io_nop_prep", "A4",
            "Unknown nop_flags bits fail the NOP with -EINVAL.");

    public static final Rule NOP_PREP_CQE32_NEEDS_BIG_CQ = Rule.define(
            "NOP_PREP_CQE32_NEEDS_BIG_CQ", "io_nop_prep", "A4",
            "NOP_CQE32 needs a CQE32 or CQE_MIXED ring, else -EINVAL.");

    public static final Rule NOP_NO_FILE = Rule.define("NOP_NO_FILE", "io_nop", "A4",
            "A NOP_FILE whose file is not there completes with -EBADF, over an injected result.");

    public static final Rule NOP_NO_BUFFER = Rule.define("NOP_NO_BUFFER", "io_nop", "A4",
            "A NOP_FIXED_BUFFER whose buffer slot is empty completes with -EFAULT.");

    // ---- the 7.x restriction split and SQ_REWIND's commit (Restrictions, SqRing; issue 9, branch mut7) ------------

    /**
     * {@code io_parse_restrictions} (7.0+) sets {@code op_registered} only for SQE_OP and SQE_FLAGS entries and
     * {@code reg_registered} only for REGISTER_OP entries; {@code io_check_restriction} tests IO_RING_F_OP_RESTRICTED
     * and {@code __io_uring_register} IO_RING_F_REG_RESTRICTED, each on its own (6.x: one {@code ctx->restricted}
     * for both). Fired when a ring gets a set (registered or inherited) with only one half; detail: 1 for the SQE
     * half alone, 2 for the register half alone.
     */
    public static final Rule RESTRICTIONS_SPLIT = Rule.define("RESTRICTIONS_SPLIT", "io_parse_restrictions", "A6",
            "From 7.0 a restriction set without register entries leaves register opcodes free, and one without SQE "
            + "entries leaves SQEs free.");

    /**
     * {@code io_commit_sqring} (7.0+): on an SQ_REWIND ring the batch ends by setting {@code cached_sq_head} back to
     * 0 instead of storing it to {@code sq.head}, so every submission starts at SQE 0 and the shared head stays put.
     */
    public static final Rule SQ_REWIND_RESTARTS_AT_ZERO = Rule.define("SQ_REWIND_RESTARTS_AT_ZERO",
            "io_commit_sqring", "A1",
            "With SQ_REWIND the kernel's SQ head goes back to 0 after each submission and sq.head is never written.");

    /**
     * {@code io_req_task_submit}: a request queued as task work (the next of a link, one the drain released) after
     * its task exited runs in the fallback kworker ({@code io_should_terminate_tw}) and fails -EFAULT. Measured on
     * 6.18.44: a NOP hard-linked to a TIMEOUT that fired after its thread's exit ends -14. Fires only where the
     * backend's tasks exit ({@link IoWq#taskExited}); detail: the request's user_data.
     */
    public static final Rule TASK_SUBMIT_AFTER_EXIT = Rule.define("TASK_SUBMIT_AFTER_EXIT", "io_req_task_submit",
            "A3", "A request queued as task work after its task exited fails -EFAULT instead of being issued.");

    /**
     * {@code io_add_aux_cqe} (io_uring/io_uring.c), from {@code io_msg_tw_complete} (msg_ring.c): the CQE is filled
     * without a commit and {@code submit_state.cq_flush} set, so the flush at the end of the task work run commits it
     * together with the batch's CQEs; one commit signals a registered eventfd once for all of them.
     */
    public static final Rule ADD_AUX_CQE = Rule.define("ADD_AUX_CQE", "io_add_aux_cqe", "A8",
            "A CQE that task work posts for no request of this ring (MSG_RING's, sent to a ring that completes on "
                    + "its own task) is filled at once and committed by the flush that ends the run, with the batch's "
                    + "CQEs; detail: its user_data.");

    /**
     * {@code io_req_complete_post} (io_uring/io_uring.c): an io-wq worker on a ring without DEFER_TASKRUN or IOPOLL
     * fills its CQE itself; where {@code io_fill_cqe_req} finds no slot (a full ring, or an overflow list that
     * {@code io_cqe_cache_refill} keeps new CQEs behind) it goes to {@code defer_complete} and queues
     * {@code io_req_task_complete} as task work instead of overflowing.
     */
    public static final Rule IOWQ_POST_TO_TASK_WORK = Rule.define("IOWQ_POST_TO_TASK_WORK", "io_req_complete_post",
            "A4", "An io-wq worker's CQE that finds no slot in the CQ is not put on the overflow list by the worker: "
                    + "it becomes task work, which the task's next run posts after the CQEs it posted first; detail: "
                    + "its user_data.");
}
