package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.uapi.IoUringBpfCtx;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * A ring's BPF filters at submission (io_uring/bpf_filter.c, {@code __io_uring_run_bpf_filters}, called by
 * {@code io_submit_sqe} once {@code io_init_req} and the opcode's prep succeeded; ring-semantics.md A7): the
 * ring's set ({@code ctx->restrictions}, its own filters over those it inherited), the context a filter reads
 * ({@code io_uring_populate_bpf_ctx}), and the verdict: every filter of the opcode must return non-zero, else the
 * request fails with -EACCES as an init failure does.
 *
 * <p>The filters run newest first and stop at the first deny; as a program reads nothing but the context and
 * returns a number, the order never shows in the verdict, which is the AND of all of them.
 */
final class BpfFilterRun {
    /** {@code SQE_VALID_FLAGS}: the IOSQE_* bits of {@code req->flags} a filter sees. */
    private static final int SQE_VALID_FLAGS = 0x7f;
    private static final long PDU_SIZE = IoUringBpfCtx.PDU_SIZE_OFFSET;

    private final RestrictionFilters filters = new RestrictionFilters();
    private final RuleSink rules;
    /** The context, one per ring, refilled for every request the filters judge (submission is single-threaded). */
    private final byte[] bctxBytes = new byte[(int) IoUringBpfCtx.SIZE_BYTES];
    private final MemorySegment bctx = MemorySegment.ofArray(bctxBytes);
    private final boolean mDenyPostsEperm;

    BpfFilterRun(RuleSink rules, Set<Mutant> mutants) {
        this.rules = rules;
        this.mDenyPostsEperm = mutants.contains(Mutant.BPF_DENY_POSTS_EPERM);
    }

    /** The filter half of the ring's {@code ctx->restrictions}. */
    RestrictionFilters filters() {
        return filters;
    }

    /** Whether the ring has any filter set ({@code ctx->bpf_filters}): one test on the hot path. */
    boolean any() {
        return filters.table() != null;
    }

    /** {@code __io_uring_run_bpf_filters}: 0 to go on, or -EACCES. */
    int run(Req req, boolean populate) {
        BpfFilterTable table = filters.table();
        int opcode = req.opcode();
        BpfFilterTable.Filter filter = table.head(opcode);
        // __io_uring_run_bpf_filters: no filter for the opcode -> allowed
        if (filter == null) {
            return 0;
        }
        // __io_uring_run_bpf_filters: DENY_REST's dummy filter at the head -> -EACCES before any context is built
        if (filter == BpfFilterTable.DENY) {
            rules.fire(Rules.BPF_FILTER_DENY_REST_DENIES, req.userData());
            return denied();
        }
        populateBpfCtx(req, populate);
        int ran = 0;
        do {
            // __io_uring_run_bpf_filters: the dummy filter at a tail denies; a filter that returns 0 denies
            if (filter == BpfFilterTable.DENY) {
                rules.fire(Rules.BPF_FILTER_DENY_REST_DENIES, req.userData());
                return denied();
            }
            ran++;
            if (filter.program().run(bctxBytes) == 0) {
                rules.fire(Rules.BPF_FILTER_DENIES, req.userData());
                return denied();
            }
            filter = filter.next();
        } while (filter != null);
        rules.fire(Rules.BPF_FILTER_ALLOWS, ran);
        return 0;
    }

    private int denied() {
        return mDenyPostsEperm ? -EPERM : -EACCES;
    }

    /**
     * {@code io_uring_populate_bpf_ctx}: opcode, the IOSQE_* bits of {@code req->flags} (with what io_init_req and
     * prep added: IOSQE_ASYNC while a drain is active or for an open that must block), user_data, everything from
     * {@code pdu_size} on zeroed, then the opcode's payload; {@code populate} false leaves the payload zero.
     */
    private void populateBpfCtx(Req req, boolean populate) {
        MemorySegment c = bctx;
        c.set(JAVA_LONG_UNALIGNED, IoUringBpfCtx.USER_DATA_OFFSET, req.userData());
        c.set(JAVA_BYTE, IoUringBpfCtx.OPCODE_OFFSET, (byte) req.opcode());
        c.set(JAVA_BYTE, IoUringBpfCtx.SQE_FLAGS_OFFSET, (byte) (req.flags() & SQE_VALID_FLAGS));
        for (long i = PDU_SIZE; i < IoUringBpfCtx.SOCKET_OFFSET; i++) {
            c.set(JAVA_BYTE, i, (byte) 0);
        }
        for (long i = IoUringBpfCtx.SOCKET_OFFSET; i < IoUringBpfCtx.SIZE_BYTES; i += 8) {
            c.set(JAVA_LONG_UNALIGNED, i, 0);
        }
        OpDef def = req.def();
        if (def.filterPduSize() != 0 && populate) {
            c.set(JAVA_BYTE, PDU_SIZE, (byte) def.filterPduSize());
            def.filterPopulate().populate(req, c);
            if (req.opcode() == IORING_OP_SOCKET) {
                rules.fire(Rules.SOCKET_BPF_POPULATE, req.userData());
            } else if (req.opcode() == IORING_OP_CONNECT) {
                rules.fire(Rules.CONNECT_BPF_POPULATE, req.userData());
            }
        }
        rules.fire(Rules.BPF_FILTER_CONTEXT, req.userData());
    }
}
