package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;

import dev.ringspec.invariants.StepCheck.Match;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.CqeReader.CqeRead;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.RingObservation.PendingSqe;
import dev.ringspec.seam.U32;
import java.util.List;

/**
 * The rings' intended invariants, each an executable predicate over one step (the observation before it, what it
 * did, the observation after it) and the run's history, with the sentence it states and where the intent is
 * written down. They judge what the kernel (or a backend standing in for it) does; what a misbehaving application
 * does to its own fields (a CQ head moved anywhere, an SQ tail published far ahead) is not a violation, but an
 * invariant whose premise the application broke does not apply to that step.
 *
 * <p>Sources: the comment atop io_uring/io_uring.c and the uapi header's comments (include/uapi/linux/io_uring.h);
 * the man pages io_uring_setup(2), io_uring_enter(2), io_uring_register(2) and io_uring_resize_rings(3);
 * commit messages that state the intent of a rule; ring-semantics.md (RS) for what was read and measured.
 */
public enum RingInvariant {

    // ---- counters ----

    SETUP_STARTS_EMPTY(
            "A new ring has power-of-two sizes, cq_entries >= sq_entries, and every counter at zero.",
            "io_uring_setup(2) (sq_entries/cq_entries, the ring offsets); RS Part B row 1") {
        @Override
        void check(StepCheck c) {
            if (!(c.step instanceof RingStep.Setup) || !c.after.exists()) {
                return;
            }
            RingObservation a = c.after;
            c.checked();
            if (Integer.bitCount(a.sqEntries()) != 1 || Integer.bitCount(a.cqEntries()) != 1
                    || a.cqEntries() < a.sqEntries()) {
                c.fail("sizes sq " + a.sqEntries() + ", cq " + a.cqEntries());
            }
            if ((a.sqHead() | a.sqTail() | a.sqDropped() | a.cqHead() | a.cqTail() | a.cqOverflow()) != 0) {
                c.fail("counters not zero: " + String.join(", ", a.lines().subList(3, 7)));
            }
        }
    },

    CQ_TAIL_WITHIN_ENTRIES_OF_HEAD(
            "After the kernel acts, cq.tail is at most cq ring_entries ahead of the furthest head the application has"
                    + " published (a u32 distance): the kernel never posts over a CQE the application has not"
                    + " released.",
            "commit 74f464e97044 'io_uring: fix CQ overflow condition' (counters are free-running; overwriting"
                    + " unreaped CQEs is the bug); comment atop io_uring/io_uring.c; RS A2 io_cqe_cache_refill") {
        @Override
        void check(StepCheck c) {
            if (!c.live || !c.step.isSyscall()) {
                return;
            }
            c.checked();
            int ahead = c.after.cqTail() - c.releasedCqHead;
            if (ahead > c.after.cqEntries()) {
                c.fail("cq tail " + U32.value(c.after.cqTail()) + " - head " + U32.value(c.releasedCqHead) + " = "
                        + ahead + " > cq_entries " + c.after.cqEntries());
            }
        }
    },

    KERNEL_COUNTERS_MOVE_FORWARD(
            "cq.tail, sq.dropped and cq.overflow are free-running counters only the kernel moves: a syscall moves"
                    + " them forward or not at all, and a step that is the application's alone (no syscall) changes"
                    + " none of them, nor the SQ flags or a CQE slot.",
            "comment atop io_uring/io_uring.c (the kernel writes the CQ tail, the application the CQ head);"
                    + " io_uring_setup(2) (dropped, overflow); RS A1, A2") {
        @Override
        void check(StepCheck c) {
            if (!c.live) {
                return;
            }
            RingObservation b = c.before;
            RingObservation a = c.after;
            c.checked();
            if (c.step.isSyscall()) {
                backwards(c, "cq.tail", b.cqTail(), a.cqTail());
                backwards(c, "sq.dropped", b.sqDropped(), a.sqDropped());
                backwards(c, "cq.overflow", b.cqOverflow(), a.cqOverflow());
                return;
            }
            if (a.cqTail() != b.cqTail() || a.sqDropped() != b.sqDropped() || a.cqOverflow() != b.cqOverflow()
                    || a.sqFlags() != b.sqFlags() || !a.cqSlots().equals(b.cqSlots())) {
                c.fail("an application step changed kernel-owned state: " + changed(b, a));
            }
        }

        private void backwards(StepCheck c, String name, int before, int after) {
            if (after - before < 0) {
                c.fail(name + " moved back from " + U32.value(before) + " to " + U32.value(after));
            }
        }
    },

    SQ_HEAD_ADVANCES_BY_CONSUMED(
            "The kernel writes sq.head only in an enter that consumed entries, forward from its own head by at most"
                    + " min(to_submit, tail - head, sq_entries); otherwise sq.head stays as it was.",
            "io_uring_enter(2) (to_submit); RS A1 (io_submit_sqes, io_commit_sqring)") {
        @Override
        void check(StepCheck c) {
            if (!c.live || !(c.step instanceof RingStep.Enter e) || !c.kernelHeadKnown) {
                return;
            }
            c.checked();
            if (!c.kernelWroteHead) {
                if (c.after.sqHead() != c.before.sqHead()) {
                    c.fail("sq.head moved from " + U32.value(c.before.sqHead()) + " to "
                            + U32.value(c.after.sqHead()) + " by an enter that consumed nothing");
                }
                return;
            }
            long available = U32.distance(c.before.sqTail(), c.kernelHeadBefore);
            long bound = Math.min(Math.min(Integer.toUnsignedLong(e.toSubmit()), available), c.before.sqEntries());
            if (c.consumedCount > bound) {
                c.fail("sq.head advanced " + c.consumedCount + " from the kernel's head "
                        + U32.value(c.kernelHeadBefore) + ", more than min(to_submit " + U32.value(e.toSubmit())
                        + ", tail - head " + available + ", sq_entries " + c.before.sqEntries() + ")");
            }
        }
    },

    ENTER_RESULT_COUNTS_SUBMITTED(
            "An enter that returns n >= 0 consumed n entries plus the ones it dropped: failed SQEs count,"
                    + " dropped ones do not.",
            "io_uring_enter(2) RETURN VALUE; RS A1 (return value), Appendix A 1-2") {
        @Override
        void check(StepCheck c) {
            // a rewind ring shows no head to count by: its consumption is the result itself
            if (!c.live || !(c.step instanceof RingStep.Enter) || !c.kernelHeadKnown || c.after.result() < 0
                    || c.rewind) {
                return;
            }
            c.checked();
            long expected = c.after.result() + Integer.toUnsignedLong(c.droppedDelta);
            if (c.consumedCount != expected) {
                c.fail("enter returned " + c.after.result() + " and dropped " + c.droppedDelta + ", but sq.head"
                        + " advanced " + c.consumedCount);
            }
        }
    },

    DROPPED_COUNTS_INVALID_INDICES(
            "sq.dropped grows by exactly the number of consumed SQ array entries that index past sq_entries.",
            "io_uring_setup(2) (sq_off.dropped); RS A1 io_get_sqe, Part B row 3") {
        @Override
        void check(StepCheck c) {
            if (!c.live || !(c.step instanceof RingStep.Enter) || c.consumed == null) {
                return;
            }
            c.checked();
            long invalid = c.consumed.stream().filter(s -> s.droppedBy(c.before.sqEntries())).count();
            if (Integer.toUnsignedLong(c.droppedDelta) != invalid) {
                c.fail("sq.dropped grew by " + c.droppedDelta + "; the consumed entries had " + invalid
                        + " invalid indices: " + c.consumed);
            }
        }
    },

    KERNEL_LEAVES_APPLICATION_FIELDS(
            "The kernel never writes what the application owns: sq.tail, the SQ array, the SQEs still pending,"
                    + " cq.head and cq.flags.",
            "comment atop io_uring/io_uring.c (who writes which field); io_uring_setup(2) (cq_off.flags is the"
                    + " application's)") {
        @Override
        void check(StepCheck c) {
            if (!c.live || !c.step.isSyscall() || c.resized) {
                return;
            }
            RingObservation b = c.before;
            RingObservation a = c.after;
            c.checked();
            if (a.sqTail() != b.sqTail() || a.cqHead() != b.cqHead() || a.cqFlags() != b.cqFlags()
                    || !a.sqArray().equals(b.sqArray())) {
                c.fail(changed(b, a));
                return;
            }
            for (PendingSqe sqe : a.pendingSqes()) {
                PendingSqe was = b.pendingSqes().stream().filter(s -> s.counter() == sqe.counter()).findFirst()
                        .orElse(null);
                if (was != null && !was.equals(sqe)) {
                    c.fail("pending SQE changed from " + was + " to " + sqe);
                    return;
                }
            }
        }
    },

    // ---- the CQEs an application may read ----

    NEW_CQES_WELL_FORMED(
            "The CQEs a step publishes, read from the old tail to the new (only the last cq_entries where the"
                    + " application had released slots past the tail and the step posted in them twice), form a"
                    + " well-formed ring: a 32-byte CQE"
                    + " (F_32) takes two contiguous slots and never wraps, a skip CQE (F_SKIP) is posted only in the"
                    + " last slot, neither flag appears on a ring without CQE_MIXED.",
            "uapi io_uring.h comments on IORING_CQE_F_32 and IORING_CQE_F_SKIP; io_uring_setup(2)"
                    + " IORING_SETUP_CQE_MIXED; commit 'io_uring: add support for IORING_SETUP_CQE_MIXED' (CQEs must"
                    + " be contiguous, a 32b CQE cannot wrap); RS A2") {
        @Override
        void check(StepCheck c) {
            if (!c.live || c.resized || !c.step.isSyscall() || c.overwroteUnread && c.after.cqShape().mixed()) {
                return;
            }
            c.checked();
            if (c.published instanceof CqeRead.Malformed m) {
                c.fail(m.malformation() + " at " + m.detail());
                return;
            }
            int mask = c.after.cqEntries() - 1;
            for (var cqe : c.published.cqes()) {
                if (cqe.isSkip() && (cqe.counter() & mask) != mask) {
                    c.fail("a skip CQE posted in slot " + (cqe.counter() & mask) + " of " + c.after.cqEntries()
                            + ", not the last");
                    return;
                }
            }
        }
    },

    SKIP_CQE_CARRIES_NOTHING(
            "A skip CQE is a filler: user_data 0, res 0, flags IORING_CQE_F_SKIP and nothing else.",
            "io_uring_setup(2) IORING_SETUP_CQE_MIXED (the filler carries no information); uapi io_uring.h"
                    + " IORING_CQE_F_SKIP; RS A2 io_fill_nop_cqe, Part B row 10") {
        @Override
        void check(StepCheck c) {
            for (var cqe : c.published.cqes()) {
                if (cqe.isSkip()) {
                    c.checked();
                    if (!cqe.cqe().equals(new Cqe(0, 0, IORING_CQE_F_SKIP, 0, 0))) {
                        c.fail("skip CQE " + cqe.cqe() + " at " + U32.value(cqe.counter()));
                    }
                }
            }
        }
    },

    SKIP_CQE_PRECEDES_BIG_CQE(
            "A skip CQE exists only to let a 32-byte CQE start at slot 0: the next CQE published after it is a"
                    + " 32-byte one.",
            "uapi io_uring.h IORING_CQE_F_SKIP (fills the gap when a large CQE is posted with a single small slot"
                    + " left before wrapping); RS A2 (the 32-byte CQE may wait on the overflow list, and keeps its"
                    + " place)") {
        @Override
        void check(StepCheck c) {
            boolean afterSkip = c.history.lastPublishedWasSkip;
            for (var cqe : c.published.cqes()) {
                if (afterSkip) {
                    c.checked();
                    if ((cqe.cqe().flags() & IORING_CQE_F_32) == 0) {
                        c.fail("after a skip CQE, " + cqe.cqe() + " at " + U32.value(cqe.counter()));
                    }
                }
                afterSkip = cqe.isSkip();
            }
        }
    },

    PUBLISHED_CQES_STAY(
            "A CQE the application has not consumed stays exactly as published: the kernel writes only slots the"
                    + " application has released (moving the head back does not take a release back).",
            "comment atop io_uring/io_uring.c (the application owns the entries between head and tail until it"
                    + " moves the head); commit 74f464e97044 'io_uring: fix CQ overflow condition'") {
        @Override
        void check(StepCheck c) {
            if (!c.live || c.resized || !c.step.isSyscall() || !c.cqHeadSane) {
                return;
            }
            c.checked();
            int mask = c.before.cqEntries() - 1;
            for (int counter = c.before.cqHead(); counter != c.before.cqTail(); counter++) {
                if (counter - c.releasedCqHead < 0) {
                    continue;
                }
                Cqe was = c.before.cqSlots().get(counter & mask);
                Cqe now = c.after.cqSlots().get(counter & mask);
                if (!was.equals(now)) {
                    c.fail("slot " + (counter & mask) + " (position " + U32.value(counter) + ") changed from " + was
                            + " to " + now);
                    return;
                }
            }
        }
    },

    FREE_SLOTS_WRITTEN_ONLY_TO_PUBLISH(
            "The kernel writes a free CQ slot only to publish a CQE in it: after a step, the free slots beyond the"
                    + " new tail hold what they held before.",
            "comment atop io_uring/io_uring.c (CQE stores are ordered before the tail store that publishes them);"
                    + " RS A2 (CQEs are posted, then io_commit_cqring publishes them)") {
        @Override
        void check(StepCheck c) {
            if (!c.live || c.resized || !c.step.isSyscall() || !c.cqHeadSane || c.history.cqHeadMisbehaved) {
                return;
            }
            long free = c.before.cqEntries() - c.after.cqDistance();
            if (c.after.cqDistance() > c.after.cqEntries()) {
                return;
            }
            c.checked();
            int mask = c.before.cqEntries() - 1;
            for (long i = 0; i < free; i++) {
                int counter = c.after.cqTail() + (int) i;
                Cqe was = c.before.cqSlots().get(counter & mask);
                Cqe now = c.after.cqSlots().get(counter & mask);
                if (!was.equals(now)) {
                    c.fail("free slot " + (counter & mask) + " (position " + U32.value(counter)
                            + ", beyond tail " + U32.value(c.after.cqTail()) + ") changed from " + was + " to "
                            + now);
                    return;
                }
            }
        }
    },

    // ---- completions: none lost, duplicated, reordered or invented ----

    EVERY_CQE_ANSWERS_A_REQUEST(
            "Every CQE published (other than a skip CQE) carries the user_data of a request the kernel took and has"
                    + " not yet answered: no completion is invented or duplicated.",
            "io_uring_enter(2) (user_data is copied from the SQE into its completion); uapi io_uring.h"
                    + " (cqe.user_data: sqe->user_data passed back)") {
        @Override
        void check(StepCheck c) {
            if (c.history.requestsIncomplete) {
                return;
            }
            for (Match m : c.matches) {
                c.checked();
                if (m.request() == null) {
                    c.fail(m.cqe().cqe() + " at " + U32.value(m.cqe().counter())
                            + " answers no request still owed a CQE");
                }
            }
        }
    },

    NO_COMPLETION_LOST(
            "When nothing waits on the overflow list and no task work is pending, every request that must post"
                    + " (neither it nor an earlier member of its chain has CQE_SKIP_SUCCESS) has published its CQE,"
                    + " except as many as cq.overflow counted as dropped.",
            "io_uring_setup(2) IORING_FEAT_NODROP; io_uring_queue_init(3) (entries are not dropped unless memory"
                    + " runs out; drops are counted in cq.overflow); RS A2 overflow, A3") {
        @Override
        void check(StepCheck c) {
            if (c.history.requestsIncomplete || !c.quiescent()) {
                return;
            }
            c.checked();
            List<Request> missing = List.copyOf(c.history.owed);
            long dropped = U32.distance(c.after.cqOverflow(), c.history.overflowAtSetup);
            if (missing.size() > dropped) {
                c.fail(missing.size() + " completions never published (" + dropped + " counted as dropped): "
                        + missing);
            }
        }
    },

    NO_CQE_OVERTAKES_OVERFLOW(
            "While CQEs wait on the overflow list, no later completion is published ahead of them (checked where"
                    + " every earlier completion is known to be on the list, rings without DEFER_TASKRUN, and the"
                    + " application has only ever consumed CQEs).",
            "commit aa1df3a360a0 'io_uring: fix CQE reordering' (overflow must not reorder CQEs);"
                    + " io_uring_queue_init(3) (the CQ ring overflow state); RS A2 item 1, Appendix A 7") {
        @Override
        void check(StepCheck c) {
            if (c.history.requestsIncomplete || !c.live || c.before.has(IORING_SETUP_DEFER_TASKRUN)
                    || (c.before.sqFlags() & IORING_SQ_CQ_OVERFLOW) == 0 || c.owedBefore.isEmpty()
                    || !c.cqHeadSane || c.history.cqHeadMisbehaved) {
                return;
            }
            c.checked();
            Match overtaking = c.matches.stream()
                    .filter(m -> m.request() != null && m.request().submittedStep == c.index).findFirst()
                    .orElse(null);
            List<Request> stillOwed = c.owedBefore.stream().filter(r -> !r.posted).toList();
            if (overtaking != null && !stillOwed.isEmpty()) {
                c.fail(overtaking.cqe().cqe() + " of this step was published at "
                        + U32.value(overtaking.cqe().counter()) + " while " + stillOwed + " still waited");
            }
        }
    },

    SKIP_SUCCESS_POSTS_ONLY_FAILURES(
            "A request with IOSQE_CQE_SKIP_SUCCESS posts a CQE only if it failed.",
            "uapi io_uring.h IOSQE_CQE_SKIP_SUCCESS (don't post CQE if request succeeded); commit 04c76b41ca97"
                    + " 'io_uring: add option to skip CQE posting'; RS A3") {
        @Override
        void check(StepCheck c) {
            for (Match m : c.matches) {
                if (m.request() != null && (m.request().sqe.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0) {
                    c.checked();
                    if (m.cqe().cqe().res() >= 0) {
                        c.fail(m.request() + " had CQE_SKIP_SUCCESS and posted " + m.cqe().cqe());
                    }
                }
            }
        }
    },

    CHAIN_COMPLETES_IN_ORDER(
            "In a link chain a member that ran and succeeded completes after every earlier member: its CQE never"
                    + " comes before theirs (judged where user_data tells the requests apart: no two unanswered"
                    + " requests shared it since the ring was last quiescent).",
            "io_uring_enter(2) IOSQE_IO_LINK (the next SQE is not started before the previous one completes);"
                    + " commit aa1df3a360a0 (reordering is buggy for links); RS A3") {
        @Override
        void check(StepCheck c) {
            if (c.history.requestsIncomplete) {
                return;
            }
            for (Match m : c.matches) {
                if (m.request() == null || m.request().chain.size() < 2 || m.cqe().cqe().res() < 0) {
                    continue;
                }
                c.checked();
                if (!m.overtaken().isEmpty() && !guessed(c, m)) {
                    c.fail(m.request() + " completed with " + m.cqe().cqe() + " before " + m.overtaken());
                }
            }
        }

        /**
         * Whether the order seen may come from guessing which of two requests with the same user_data a CQE
         * answered (seed 60356: two chains of NOPs sharing user_data 1 and 0, each in order, matched across).
         */
        private boolean guessed(StepCheck c, Match m) {
            if (c.history.shared(m.cqe().cqe().userData())) {
                return true;
            }
            for (Request r : m.overtaken()) {
                if (c.history.shared(r.sqe.userData())) {
                    return true;
                }
            }
            return false;
        }
    },

    CQE_PAYLOAD_IS_ITS_REQUESTS(
            "A CQE's 32-byte payload and F_32 flag are its own request's: F_32 only for a NOP with IORING_NOP_CQE32"
                    + " on a CQE_MIXED ring, whose big_cqe is {sqe.off, sqe.addr}; any other CQE of a NOP has zero"
                    + " big_cqe words, or, failed, its own.",
            "uapi io_uring.h (big_cqe, IORING_CQE_F_32); commit 806ecb209aa8 'io_uring/nop: add support for"
                    + " IORING_SETUP_CQE_MIXED' (sqe->off and sqe->addr become big_cqe[0] and [1]); RS A4, Part B"
                    + " row 8") {
        @Override
        void check(StepCheck c) {
            boolean mixed = c.after.has(IORING_SETUP_CQE_MIXED);
            boolean cqe32 = c.after.has(IORING_SETUP_CQE32);
            for (Match m : c.matches) {
                if (m.request() == null) {
                    continue;
                }
                c.checked();
                PendingSqe sqe = m.request().sqe;
                Cqe cqe = m.cqe().cqe();
                // NOP128 is NOP in a 128-byte SQE: the same prep and issue (io_uring/opdef.c, 6.19+)
                boolean nop32 = (sqe.opcode() == IORING_OP_NOP || sqe.opcode() == IORING_OP_NOP128)
                        && (sqe.opFlags() & IORING_NOP_CQE32) != 0;
                boolean own = cqe.big0() == sqe.off() && cqe.big1() == sqe.addr();
                boolean zero = cqe.big0() == 0 && cqe.big1() == 0;
                boolean big = (cqe.flags() & IORING_CQE_F_32) != 0;
                if (big && !(mixed && nop32 && own)) {
                    c.fail(cqe + " has F_32 for " + m.request() + " (" + sqe + ")");
                } else if (cqe32 || (mixed && big)) {
                    boolean allowed = nop32 ? own || (cqe.res() < 0 && zero) : zero;
                    if (!allowed) {
                        c.fail(cqe + " does not carry the payload of " + m.request() + " (" + sqe + ")");
                    }
                }
            }
        }
    },

    // ---- resize ----

    RESIZE_KEEPS_COUNTERS(
            "A successful resize keeps sq.tail, sq.dropped, cq.head, cq.tail, cq.overflow and cq.flags, and"
                    + " publishes the kernel's own SQ head as sq.head (the head it last wrote, whatever the"
                    + " application wrote there since).",
            "commit 79cfe9e59c2a 'io_uring/register: add IORING_REGISTER_RESIZE_RINGS' (existing unconsumed"
                    + " entries are copied); io_uring_setup(2) (the kernel updates the SQ head);"
                    + " io_uring_resize_rings(3); RS A5") {
        @Override
        void check(StepCheck c) {
            if (!c.resized) {
                return;
            }
            RingObservation b = c.before;
            RingObservation a = c.after;
            c.checked();
            if (c.kernelHeadKnown && a.sqHead() != c.kernelHeadBefore) {
                c.fail("sq.head is " + U32.value(a.sqHead()) + " after the resize, the kernel's head was "
                        + U32.value(c.kernelHeadBefore) + " (sq.head before: " + U32.value(b.sqHead()) + ")");
                return;
            }
            if (!c.kernelHeadKnown && a.sqHead() != b.sqHead()
                    || a.sqTail() != b.sqTail() || a.sqDropped() != b.sqDropped()
                    || a.cqHead() != b.cqHead() || a.cqTail() != b.cqTail() || a.cqOverflow() != b.cqOverflow()
                    || a.cqFlags() != b.cqFlags()) {
                c.fail(changed(b, a));
            }
        }
    },

    RESIZE_KEEPS_PENDING_CQES(
            "A successful resize keeps every CQE between head and tail, in order, at its counter, whatever the"
                    + " counters' values (across 2^32 too), and leaves no 32-byte CQE wrapping the new ring.",
            "io_uring_resize_rings(3) (pending SQ or CQ entries are copied along the way); upstream fixes"
                    + " e8dee8d5498c 'io_uring/register: handle index wrap when resizing' and 0edf1930b8ed"
                    + " 'io_uring/register: don't wrap 32b CQEs when resizing' (neither is in 7.3-rc7's register.c);"
                    + " uapi io_uring.h IORING_CQE_F_SKIP (the filler exists so that a 32-byte CQE never wraps)") {
        @Override
        void check(StepCheck c) {
            if (!c.resized || !c.cqHeadSane) {
                return;
            }
            RingObservation b = c.before;
            RingObservation a = c.after;
            c.checked();
            int oldMask = b.cqEntries() - 1;
            int newMask = a.cqEntries() - 1;
            for (int counter = b.cqHead(); counter != b.cqTail(); counter++) {
                Cqe was = b.cqSlots().get(counter & oldMask);
                Cqe now = a.cqSlots().get(counter & newMask);
                if (!was.equals(now)) {
                    c.fail("CQ position " + U32.value(counter) + " held " + was + " and now holds " + now
                            + crossing(b.cqHead(), b.cqTail()));
                    return;
                }
            }
            for (var cqe : b.cqes().cqes()) {
                if (cqe.slotCount() == 2 && (cqe.counter() & newMask) == newMask) {
                    c.fail("the 32-byte CQE " + cqe.cqe() + " at " + U32.value(cqe.counter())
                            + " now wraps the last slot of the new ring");
                    return;
                }
            }
        }
    },

    RESIZE_KEEPS_PENDING_SQES(
            "A successful resize keeps every SQE between the kernel's SQ head and the tail: the kernel submits the"
                    + " same SQEs in the same order afterwards, and an invalid SQ array entry stays invalid.",
            "io_uring_resize_rings(3) (pending SQ entries are copied); upstream fixes 1fe703cc708f"
                    + " 'io_uring/register: preserve SQ array entries on resize' and e8dee8d5498c (index wrap)") {
        @Override
        void check(StepCheck c) {
            // An SQ_REWIND ring has nothing between head and tail (the application leaves both at 0): a resize
            // carries no SQE over, and the application writes its next submission again from SQE 0.
            if (!c.resized || !c.kernelHeadKnown || c.rewind) {
                return;
            }
            RingObservation b = c.before;
            RingObservation a = c.after;
            List<PendingSqe> was = b.pendingSqes();
            List<PendingSqe> now = a.pendingSqes();
            boolean fromKernelHead = (was.isEmpty() || was.getFirst().counter() == c.kernelHeadBefore)
                    && (now.isEmpty() || now.getFirst().counter() == c.kernelHeadBefore);
            if (!fromKernelHead || U32.distance(b.sqTail(), c.kernelHeadBefore) > b.sqEntries()) {
                return;
            }
            c.checked();
            if (was.size() != now.size()) {
                c.fail(was.size() + " SQEs were pending, " + now.size() + " are after the resize");
                return;
            }
            for (int i = 0; i < was.size(); i++) {
                PendingSqe x = was.get(i);
                PendingSqe y = now.get(i);
                boolean xDropped = x.droppedBy(b.sqEntries());
                boolean yDropped = y.droppedBy(a.sqEntries());
                boolean same = xDropped == yDropped && (xDropped || sameContents(x, y));
                if (!same) {
                    c.fail("SQ position " + U32.value(x.counter()) + " held " + x + " and now holds " + y
                            + crossing(c.kernelHeadBefore, b.sqTail()));
                    return;
                }
            }
        }
    },

    FAILED_REGISTER_LEAVES_RING(
            "A register call that fails changes nothing an application sees of the ring, except by running task"
                    + " work already pending (a request still owed a CQE, or IORING_SQ_TASKRUN set): that may"
                    + " publish CQEs (judged by the CQE invariants), clear IORING_SQ_TASKRUN and set"
                    + " IORING_SQ_CQ_OVERFLOW, nothing else.",
            "io_uring_register(2) (errors); RS A5 (a failed resize leaves the ring untouched, R3); Linux 6.1"
                    + " io_uring/io_uring.c io_uring_register (runs io_run_task_work_ctx before the opcode is"
                    + " looked at, so even a failing call completes pending task work; docs/kernel-profiles-reading.md"
                    + " 1.9)") {
        @Override
        void check(StepCheck c) {
            if (!c.live || !(c.step instanceof RingStep.Register) || c.after.result() >= 0) {
                return;
            }
            c.checked();
            RingObservation same = c.before.toBuilder().result(c.after.result()).build();
            if (same.equals(c.after) || c.taskWorkMayBePending && same.equals(afterTaskWork(c))) {
                return;
            }
            c.fail(changed(c.before, c.after));
        }

        /** The ring after the step with only what running task work may change put back as it was. */
        private RingObservation afterTaskWork(StepCheck c) {
            RingObservation a = c.after;
            int flags = a.sqFlags();
            if ((c.before.sqFlags() & IORING_SQ_CQ_OVERFLOW) == 0) {
                flags &= ~IORING_SQ_CQ_OVERFLOW;
            }
            if ((c.before.sqFlags() & IORING_SQ_TASKRUN) != 0) {
                flags |= IORING_SQ_TASKRUN;
            }
            RingObservation.Builder b = a.toBuilder().cq(a.cqHead(), c.before.cqTail()).sqFlags(flags);
            for (int i = 0; i < a.cqSlots().size(); i++) {
                b.slot(i, c.before.cqSlots().get(i));
            }
            return b.build();
        }
    };

    private final String statement;
    private final String source;

    RingInvariant(String statement, String source) {
        this.statement = statement;
        this.source = source;
    }

    /** The invariant in one or two sentences. */
    public String statement() {
        return statement;
    }

    /** Where the intent is written down. */
    public String source() {
        return source;
    }

    /** Checks the step: reports through {@link StepCheck#checked()} and {@link StepCheck#fail(String)}. */
    abstract void check(StepCheck c);

    private static boolean sameContents(PendingSqe x, PendingSqe y) {
        return x.opcode() == y.opcode() && x.flags() == y.flags() && x.userData() == y.userData()
                && x.ioprio() == y.ioprio() && x.fd() == y.fd() && x.off() == y.off() && x.addr() == y.addr()
                && x.len() == y.len() && x.opFlags() == y.opFlags() && x.bufIndex() == y.bufIndex()
                && x.personality() == y.personality();
    }

    /** Names a pending range whose counters straddle 2^32 (the head numerically above the tail). */
    private static String crossing(int head, int tail) {
        return U32.compare(head, tail) > 0 ? " (the pending range " + U32.value(head) + ".." + U32.value(tail)
                + " crosses 2^32)" : "";
    }

    /** The fdinfo lines that differ between two observations. */
    static String changed(RingObservation before, RingObservation after) {
        List<String> b = before.lines();
        List<String> a = after.lines();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < b.size() ? b.get(i).strip() : "";
            String y = i < a.size() ? a.get(i).strip() : "";
            if (!x.equals(y) && !x.startsWith("Result")) {
                out.append(out.isEmpty() ? "" : "; ").append(x).append(" -> ").append(y);
            }
        }
        return out.isEmpty() ? "(CQE slots outside the visible range)" : out.toString();
    }
}
