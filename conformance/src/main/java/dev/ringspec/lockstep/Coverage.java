package dev.ringspec.lockstep;

import static dev.ringspec.lockstep.LockstepRunner.CQ_HEAD;
import static dev.ringspec.lockstep.LockstepRunner.CQ_TAIL;
import static dev.ringspec.lockstep.LockstepRunner.SQ_DROPPED;
import static dev.ringspec.lockstep.LockstepRunner.SQ_FLAGS;
import static dev.ringspec.lockstep.LockstepRunner.SQ_HEAD;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringSqe;
import java.util.Map;
import java.util.TreeMap;

/**
 * Labels counted per run from each step's observed transition (state before, state after, the step and its
 * result), as quickcheck-lockstep's {@code tagStep} does: they show the interesting states were really reached.
 */
public final class Coverage {

    /** What a step can be labelled with. */
    public enum Label {
        CQ_WRAPS("cq wraps"),
        SQ_WRAPS("sq wraps"),
        SKIP_FILLERS("skip fillers"),
        BIG_CQES("32-byte cqes"),
        OVERFLOW_ENTERED("overflow entered"),
        OVERFLOW_FLUSHES("overflow flushes"),
        DROPPED_SQES("dropped sqes"),
        FAILED_CHAIN_AT_0("failed chains by position 0"),
        FAILED_CHAIN_AT_1("failed chains by position 1"),
        FAILED_CHAIN_AT_2_PLUS("failed chains by position 2+"),
        DRAIN_REFUSALS("drain refusals"),
        SKIP_SUCCESS_SILENCED("skip-success silenced"),
        DEFER_TASK_WORK("defer task work"),
        SECOND_THREAD_EEXIST("second-thread eexist"),
        RESIZES("resizes"),
        CQ_HEAD_BEYOND_TAIL("cq head beyond tail"),
        SQ_HEAD_MOVED("sq head moved by the application"),
        RESIZE_PENDING_SQES("resizes with pending sqes"),
        RESIZE_ACROSS_WRAP("resizes with pending entries across 2^32"),
        SQ_TAIL_FAR_AHEAD("sq tail far ahead"),
        SETUP_REFUSED("setups refused by the kernel"),
        ENTER_ERRORS("enter errors"),
        ENTER_OTHER_FLAGS("enters with SQ_WAKEUP, SQ_WAIT, EXT_ARG, ABS_TIMER or NO_IOWAIT"),
        REGISTER_ERRORS("register errors"),
        RINGS_ENABLED("rings enabled"),
        PROBES_ANSWERED("probes answered");

        final String text;

        Label(String text) {
            this.text = text;
        }
    }

    private final long[] counts = new long[Label.values().length];
    private final Map<String, Long> refusals = new TreeMap<>();
    private long steps;

    public long count(Label label) {
        return counts[label.ordinal()];
    }

    public long steps() {
        return steps;
    }

    public Map<String, Long> refusals() {
        return refusals;
    }

    void refused(String reason) {
        steps++;
        refusals.merge(reason, 1L, Long::sum);
    }

    private void add(Label label) {
        counts[label.ordinal()]++;
    }

    public void addAll(Coverage other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        steps += other.steps;
        other.refusals.forEach((k, v) -> refusals.merge(k, v, Long::sum));
    }

    void tag(LockstepRunner runner, Op op, int[] before, int[] after, int result) {
        steps++;
        Op effective = op instanceof Op.OnOtherThread(Op inner) ? inner : op;
        if (op instanceof Op.OnOtherThread && result == -Errno.EEXIST) {
            add(Label.SECOND_THREAD_EEXIST);
        }
        switch (effective) {
            case Op.Setup s -> {
                if (result < 0) {
                    add(Label.SETUP_REFUSED);
                }
                return;
            }
            case Op.Resize r -> {
                if (result == 0) {
                    add(Label.RESIZES);
                }
            }
            case Op.EnableRings e -> {
                if (result == 0) {
                    add(Label.RINGS_ENABLED);
                }
            }
            case Op.RegisterFiles r -> registerResult(result);
            case Op.UpdateFiles r -> registerResult(result);
            case Op.RegisterBuffers r -> registerResult(result);
            case Op.Probe p -> {
                registerResult(result);
                if (result == 0) {
                    add(Label.PROBES_ANSWERED);
                }
            }
            default -> {
            }
        }
        if (!runner.hasRing()) {
            return;
        }
        int cqEntries = runner.cqEntries();
        int sqEntries = runner.sqEntries();
        if (((before[CQ_TAIL] ^ after[CQ_TAIL]) & -cqEntries) != 0 && before[CQ_TAIL] != after[CQ_TAIL]) {
            add(Label.CQ_WRAPS);
        }
        if (((before[SQ_HEAD] ^ after[SQ_HEAD]) & -sqEntries) != 0 && before[SQ_HEAD] != after[SQ_HEAD]) {
            add(Label.SQ_WRAPS);
        }
        if (after[SQ_DROPPED] != before[SQ_DROPPED]) {
            add(Label.DROPPED_SQES);
        }
        boolean overflowBefore = (before[SQ_FLAGS] & IORING_SQ_CQ_OVERFLOW) != 0;
        boolean overflowAfter = (after[SQ_FLAGS] & IORING_SQ_CQ_OVERFLOW) != 0;
        if (!overflowBefore && overflowAfter) {
            add(Label.OVERFLOW_ENTERED);
        }
        if (overflowBefore && effective instanceof Op.Enter e && (e.flags() & IORING_ENTER_GETEVENTS) != 0
                && after[CQ_TAIL] != before[CQ_TAIL]) {
            add(Label.OVERFLOW_FLUSHES);
        }
        if (effective instanceof Op.Enter e && (e.flags() & LockstepRunner.HARMLESS_ENTER_FLAGS) != 0) {
            add(Label.ENTER_OTHER_FLAGS);
        }
        if (effective instanceof Op.MoveSqHead m && m.delta() != 0) {
            add(Label.SQ_HEAD_MOVED);
        }
        if (effective instanceof Op.Resize && result == 0) {
            if (before[LockstepRunner.SQ_TAIL] != before[SQ_HEAD]) {
                add(Label.RESIZE_PENDING_SQES);
            }
            if ((before[LockstepRunner.SQ_TAIL] != before[SQ_HEAD]
                    && Integer.compareUnsigned(before[SQ_HEAD], before[LockstepRunner.SQ_TAIL]) > 0)
                    || (before[CQ_TAIL] != before[CQ_HEAD]
                            && Integer.compareUnsigned(before[CQ_HEAD], before[CQ_TAIL]) > 0)) {
                add(Label.RESIZE_ACROSS_WRAP);
            }
        }
        if (effective instanceof Op.MoveCqHead && after[CQ_HEAD] - after[CQ_TAIL] > 0) {
            add(Label.CQ_HEAD_BEYOND_TAIL);
        }
        if (effective instanceof Op.PublishTail
                && U32.distance(after[LockstepRunner.SQ_TAIL], after[SQ_HEAD]) > sqEntries) {
            add(Label.SQ_TAIL_FAR_AHEAD);
        }
        if (effective instanceof Op.Enter e) {
            if (result < 0) {
                add(Label.ENTER_ERRORS);
            }
            boolean defer = (runner.ringFlags() & IORING_SETUP_DEFER_TASKRUN) != 0;
            if (defer && (e.flags() & IORING_ENTER_GETEVENTS) != 0
                    && ((before[SQ_FLAGS] & IORING_SQ_TASKRUN) != 0 || (e.toSubmit() == 0
                            && after[CQ_TAIL] != before[CQ_TAIL]))) {
                add(Label.DEFER_TASK_WORK);
            }
            tagCompletions(runner, before, after);
        }
    }

    private void registerResult(int result) {
        if (result < 0) {
            add(Label.REGISTER_ERRORS);
        }
    }

    /** Labels from the CQEs this enter posted, matched by user_data to the SQEs it consumed. */
    private void tagCompletions(LockstepRunner runner, int[] before, int[] after) {
        CqRingView cq = runner.referenceCq();
        SqRingView sq = runner.referenceSq();
        int cqMask = runner.cqEntries() - 1;
        int posted = (int) Math.min(U32.distance(after[CQ_TAIL], before[CQ_TAIL]), runner.cqEntries());
        boolean big32 = (runner.ringFlags() & IORING_SETUP_CQE32) != 0;
        for (int i = 0; i < posted; i++) {
            int flags = cq.flags((before[CQ_TAIL] + i) & cqMask);
            if ((flags & IORING_CQE_F_SKIP) != 0) {
                add(Label.SKIP_FILLERS);
            }
            if ((flags & IORING_CQE_F_32) != 0 || big32) {
                add(Label.BIG_CQES);
            }
        }
        int consumed = (int) Math.min(U32.distance(after[SQ_HEAD], before[SQ_HEAD]), runner.sqEntries());
        int sqMask = runner.sqEntries() - 1;
        int chainPosition = 0;
        boolean chainFailureSeen = false;
        boolean prevLinked = false;
        for (int i = 0; i < consumed; i++) {
            int sqeIndex = runner.sqArray(before[SQ_HEAD] + i);
            if (Integer.compareUnsigned(sqeIndex, runner.sqEntries()) >= 0) {
                prevLinked = false;
                continue;
            }
            long off = sq.sqeOffset(sqeIndex & sqMask);
            int flags = Byte.toUnsignedInt(sq.sqes().get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            long userData = sq.sqes().get(JAVA_LONG, off + IoUringSqe.USER_DATA_OFFSET);
            int res = resultOf(cq, before[CQ_TAIL], posted, cqMask, userData);
            boolean linked = (flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
            boolean inChain = linked || prevLinked;
            if (!prevLinked) {
                chainPosition = 0;
                chainFailureSeen = false;
            }
            if (inChain && !chainFailureSeen && res != Integer.MIN_VALUE && res < 0 && res != -Errno.ECANCELED) {
                chainFailureSeen = true;
                add(chainPosition == 0 ? Label.FAILED_CHAIN_AT_0
                        : chainPosition == 1 ? Label.FAILED_CHAIN_AT_1 : Label.FAILED_CHAIN_AT_2_PLUS);
            }
            if ((flags & IOSQE_IO_DRAIN) != 0 && res == -Errno.EOPNOTSUPP) {
                add(Label.DRAIN_REFUSALS);
            }
            if ((flags & IOSQE_CQE_SKIP_SUCCESS) != 0 && res == Integer.MIN_VALUE) {
                add(Label.SKIP_SUCCESS_SILENCED);
            }
            chainPosition++;
            prevLinked = linked;
        }
    }

    /** The res of the first posted CQE with this user_data, or {@code Integer.MIN_VALUE} if none was posted. */
    private static int resultOf(CqRingView cq, int fromTail, int posted, int cqMask, long userData) {
        for (int i = 0; i < posted; i++) {
            int index = (fromTail + i) & cqMask;
            if (cq.userData(index) == userData && (cq.flags(index) & IORING_CQE_F_SKIP) == 0) {
                return cq.res(index);
            }
        }
        return Integer.MIN_VALUE;
    }

    /** One line per label, in a fixed order, with counts; refusals after. */
    public String table() {
        StringBuilder b = new StringBuilder();
        for (Label l : Label.values()) {
            b.append(String.format("  %-32s %d%n", l.text, counts[l.ordinal()]));
        }
        refusals.forEach((reason, n) -> b.append(String.format("  refused: %-50s %d%n", reason, n)));
        return b.toString();
    }
}
