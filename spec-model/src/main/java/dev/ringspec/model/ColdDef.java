package dev.ringspec.model;

/**
 * What an opcode's entry in {@code io_cold_defs} does (io_uring/opdef.c), for an opcode from another module: a prep
 * that puts a state implementing this in the request ({@link Req#opState(Object)}) gets {@code def->fail} where the
 * request fails through {@code io_req_defer_failed}, and {@code def->cleanup} when the request is freed
 * ({@code io_clean_op} under REQ_F_NEED_CLEANUP). The zero-copy sends use both: a failed one still says a
 * notification follows, and its notification is flushed when the request goes.
 */
public interface ColdDef {

    /**
     * {@code def->fail}: the CQE flags the failing request's CQE gets (its result already set); {@code
     * io_sendrecv_fail} adds IORING_CQE_F_MORE. Not called for a request failed as a link of a failed chain.
     */
    int failCqeFlags(Req req);

    /** {@code def->cleanup}: the request is being freed, on the ring's task, its CQE posted (or none at all). */
    void cleanup(Req req);
}
