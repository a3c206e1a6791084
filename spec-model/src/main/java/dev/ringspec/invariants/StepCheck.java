package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_URING_CMD128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.CqeReader.CqeRead;
import dev.ringspec.seam.CqeReader.VisibleCqe;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.RingObservation.PendingSqe;
import dev.ringspec.seam.U32;
import java.util.ArrayList;
import java.util.List;

/**
 * One step as the invariants see it: the observation before and after, what the step did, and what follows from
 * them with the run's history: the SQEs the kernel consumed, the CQEs it published and the request each answers.
 * {@link RingInvariant}s read it and report through {@link #fail}.
 */
public final class StepCheck {
    final int index;
    final RingObservation before;
    final RingStep step;
    final RingObservation after;
    final InvariantChecker.History history;

    /** The same ring before and after (not a setup, and a ring on both sides). */
    final boolean live;
    /** A successful {@code IORING_REGISTER_RESIZE_RINGS}. */
    final boolean resized;
    /** Whether the application left the CQ head where the protocol allows: at most cq_entries behind the tail. */
    final boolean cqHeadSane;
    /** The furthest CQ head the application has published before this step. */
    final int releasedCqHead;
    /** The kernel's own SQ head before the step ({@code cached_sq_head}), if known. */
    final boolean kernelHeadKnown;
    final int kernelHeadBefore;
    /**
     * An {@code IORING_SETUP_SQ_REWIND} ring: the kernel ignores the SQ tail, takes each enter's SQEs from index 0
     * and never writes sq.head (io_uring.c {@code io_submit_sqes}, {@code io_commit_sqring}, 7.0+).
     */
    final boolean rewind;
    /** Whether the enter consumed entries: it returned some, or dropped some. */
    final boolean consumedSome;
    /** Whether the enter consumed entries and so wrote sq.head ({@code io_commit_sqring}; never on a rewind ring). */
    final boolean kernelWroteHead;
    /** Ring positions consumed (both of a 128-byte SQE's on an SQE_MIXED ring; on a rewind ring the result). */
    final long consumedCount;
    final int droppedDelta;
    /**
     * The SQ entries this enter consumed, in order, or null if the observation did not show them; the second
     * position a 128-byte SQE takes on an SQE_MIXED ring is its own half, not an entry.
     */
    final List<PendingSqe> consumed;
    /** The CQEs published in this step: read from the old tail to the new one. */
    final CqeRead published;
    /**
     * Whether the step posted CQEs in slots it then posted in again, which the application had released before the
     * CQEs were there (it moved cq.head past cq.tail): those CQEs were never readable, so which requests they
     * answered is unknown, and on a CQE_MIXED ring so is where the readable CQEs begin ({@link #published} is then
     * empty).
     */
    final boolean overwroteUnread;
    /** For each published CQE that is not a skip CQE: the request it answers, or null. */
    final List<Match> matches = new ArrayList<>();
    /** Requests consumed by this step. */
    final List<Request> submitted = new ArrayList<>();
    /**
     * Whether task work of this ring may be pending before the step: IORING_SQ_TASKRUN is set, or a request taken
     * earlier had not posted (its completion may be queued as task work, which on a DEFER_TASKRUN ring without
     * TASKRUN_FLAG shows nowhere).
     */
    final boolean taskWorkMayBePending;
    /**
     * Must-post requests from earlier steps that had no CQE when this step began, where CQEs waited on the overflow
     * list (empty otherwise).
     */
    final List<Request> owedBefore;

    private RingInvariant current;
    private final List<Violation> violations = new ArrayList<>();
    private boolean checked;
    private boolean failed;

    /** A published CQE and the request it answers (null if none), with the chain members it overtook. */
    record Match(VisibleCqe cqe, Request request, List<Request> overtaken) {
    }

    StepCheck(int index, RingObservation before, RingStep step, RingObservation after,
            InvariantChecker.History history) {
        this.index = index;
        this.before = before;
        this.step = step;
        this.after = after;
        this.history = history;
        this.live = before.exists() && after.exists() && !(step instanceof RingStep.Setup);
        this.resized = live && step instanceof RingStep.Register(int opcode)
                && opcode == IORING_REGISTER_RESIZE_RINGS && after.result() >= 0;
        this.cqHeadSane = before.exists() && before.cqDistance() <= before.cqEntries();
        this.releasedCqHead = history.releasedCqHead;
        this.kernelHeadKnown = live && history.kernelHeadKnown;
        this.kernelHeadBefore = history.kernelHead;
        boolean enter = step instanceof RingStep.Enter;
        this.rewind = live && before.has(IORING_SETUP_SQ_REWIND);
        this.consumedSome = live && enter && (after.result() > 0 || after.sqDropped() != before.sqDropped());
        this.kernelWroteHead = consumedSome && !rewind;
        if (rewind) {
            this.consumedCount = consumedSome ? after.result() : 0;
        } else {
            this.consumedCount = kernelWroteHead && kernelHeadKnown ? U32.distance(after.sqHead(), kernelHeadBefore)
                    : 0;
        }
        this.droppedDelta = live ? after.sqDropped() - before.sqDropped() : 0;
        this.consumed = consumedSome ? consumedEntries() : (enter && live ? List.of() : null);
        // only NO_CQE_OVERTAKES_OVERFLOW asks, and only while CQEs wait on the overflow list
        this.owedBefore = before.exists() && (before.sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0
                && !history.owed.isEmpty() ? List.copyOf(history.owed) : List.of();
        this.taskWorkMayBePending = before.exists() && ((before.sqFlags() & IORING_SQ_TASKRUN) != 0
                || history.requestsIncomplete || history.anyUnanswered());
        // An application that moved cq.head past cq.tail released slots the kernel had not yet posted in (the man
        // pages define the head only as moved over CQEs consumed; beyond the tail is undefined). The kernel may then
        // post more than cq_entries CQEs in one step, the later ones in the slots of the earlier: those were never
        // readable. Only the last cq_entries positions are read, and where a CQE_MIXED ring's CQE boundaries are
        // lost with the overwritten slots, none (CQ_TAIL_WITHIN_ENTRIES_OF_HEAD still bounds the tail).
        boolean overwrote = false;
        CqeRead read = new CqeRead.WellFormed(List.of(), after.exists() ? after.cqTail() : 0);
        if (live && !resized) {
            int from = before.cqTail();
            overwrote = releasedCqHead - from > 0
                    && Integer.compareUnsigned(after.cqTail() - from, after.cqEntries()) > 0;
            if (!overwrote) {
                read = CqeReader.read(after.slots(), after.cqShape(), from, after.cqTail());
            } else if (!after.cqShape().mixed()) {
                read = CqeReader.read(after.slots(), after.cqShape(), after.cqTail() - after.cqEntries(),
                        after.cqTail());
            }
        }
        this.published = read;
        this.overwroteUnread = overwrote;
    }

    private List<PendingSqe> consumedEntries() {
        List<PendingSqe> pending = before.pendingSqes();
        // on a rewind ring the observation's pending SQEs are those from index 0, where the kernel takes them
        boolean fromKernelHead = rewind || pending.isEmpty() || pending.getFirst().counter() == kernelHeadBefore;
        if (!kernelHeadKnown || !fromKernelHead || consumedCount > pending.size()) {
            return null;
        }
        List<PendingSqe> positions = pending.subList(0, (int) consumedCount);
        if (!before.has(IORING_SETUP_SQE_MIXED) || before.has(IORING_SETUP_SQE128)) {
            return positions;
        }
        // io_init_req (6.19+): a 128-byte opcode not in the last SQE slot, with another position being submitted,
        // takes that position for its second half (whatever its SQ array entry says); otherwise it fails alone
        List<PendingSqe> entries = new ArrayList<>(positions.size());
        for (int i = 0; i < positions.size(); i++) {
            PendingSqe sqe = positions.get(i);
            entries.add(sqe);
            if (!sqe.droppedBy(before.sqEntries()) && is128(sqe.opcode()) && sqe.sqeIndex() < before.sqEntries() - 1
                    && i + 1 < positions.size()) {
                i++;
            }
        }
        return entries;
    }

    /** The opcodes whose SQE is 128 bytes ({@code io_issue_defs[].is_128}, io_uring/opdef.c, 6.19+). */
    private static boolean is128(int opcode) {
        return opcode == IORING_OP_NOP128 || opcode == IORING_OP_URING_CMD128;
    }

    /** Builds the requests this step submitted and matches every published CQE to its request. */
    void attribute() {
        if (consumed != null) {
            List<Request> chain = null;
            boolean chainMaySkip = false;
            for (PendingSqe sqe : consumed) {
                if (sqe.droppedBy(before.sqEntries())) {
                    chain = null;
                    continue;
                }
                boolean linked = (sqe.flags() & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
                if (chain == null) {
                    chain = Request.newChain();
                    chainMaySkip = false;
                }
                chainMaySkip |= (sqe.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0;
                Request r = new Request(sqe, index, chain, chainMaySkip);
                chain.add(r);
                submitted.add(r);
                if (!linked) {
                    chain = null;
                }
            }
            for (Request r : submitted) {
                history.add(r);
            }
        }
        for (VisibleCqe cqe : published.cqes()) {
            if (cqe.isSkip()) {
                continue;
            }
            Request match = match(cqe);
            List<Request> overtaken = List.of();
            if (match != null) {
                history.posted(match);
                overtaken = overtaken(match);
            }
            matches.add(new Match(cqe, match, overtaken));
        }
    }

    /**
     * The request a CQE answers: one not yet answered with the CQE's user_data. user_data is the application's own
     * value, copied from the SQE (io_uring_enter(2)); nothing makes it unique, and the generator reuses values (a
     * zeroed SQE is a NOP with user_data 0). Where several requests carry it, their CQEs can only be told apart by
     * what the rules allow, so the CQE goes to the one it can answer without breaking a rule, in this order: a
     * request with CQE_SKIP_SUCCESS only for a failure; one whose earlier chain members have all posted; one that
     * must post rather than one that may stay silent; then the earliest submitted. Where none fits, the one that fits
     * best takes it, so a reordering or a duplicate is still seen; with distinct user_data nothing changes.
     */
    private Request match(VisibleCqe cqe) {
        Request best = null;
        int bestRank = Integer.MAX_VALUE;
        long userData = cqe.cqe().userData();
        for (Request r : history.unanswered(userData)) {
            int rank = rank(r, cqe);
            if (rank < bestRank) {
                best = r;
                bestRank = rank;
                if (rank == 0) {
                    break;
                }
            }
        }
        return best;
    }

    /** The earlier members of {@code r}'s chain that must post and have not. */
    private static List<Request> overtaken(Request r) {
        List<Request> overtaken = List.of();
        for (Request m : r.chain) {
            if (m == r) {
                break;
            }
            if (!m.posted && !m.maySkip) {
                if (overtaken.isEmpty()) {
                    overtaken = new ArrayList<>(2);
                }
                overtaken.add(m);
            }
        }
        return overtaken;
    }

    /** How badly answering {@code r} with {@code cqe} would fit the rules: 0 fits, lower is better. */
    private static int rank(Request r, VisibleCqe cqe) {
        int rank = 0;
        if ((r.sqe.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0 && cqe.cqe().res() >= 0) {
            rank |= 4;
        }
        for (Request m : r.chain) {
            if (m == r) {
                break;
            }
            if (!m.posted && !m.maySkip) {
                rank |= 2;
                break;
            }
        }
        if (r.maySkip) {
            rank |= 1;
        }
        return rank;
    }

    /** No overflowed CQE waits and no task work is pending: every completion due is in the ring. */
    boolean quiescent() {
        if (!after.exists()) {
            return false;
        }
        int flags = after.sqFlags();
        if ((flags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0) {
            return false;
        }
        // On a DEFER_TASKRUN ring pending task work shows only through IORING_SQ_TASKRUN, with TASKRUN_FLAG
        return !after.has(IORING_SETUP_DEFER_TASKRUN) || after.has(IORING_SETUP_TASKRUN_FLAG);
    }

    // ---- reporting, for the invariants ----

    /** Marks the current invariant as checked on this step. */
    void checked() {
        checked = true;
    }

    /** Reports the current invariant as broken on this step (checked, too). */
    void fail(String detail) {
        checked = true;
        if (!failed) {
            failed = true;
            violations.add(new Violation(current, index, detail));
        }
    }

    void begin(RingInvariant invariant) {
        current = invariant;
        checked = false;
        failed = false;
    }

    boolean wasChecked() {
        return checked;
    }

    boolean hasFailed() {
        return failed;
    }

    List<Violation> violations() {
        return violations;
    }
}
