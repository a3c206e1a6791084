package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_URING_CMD128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.model.Rule;
import dev.ringspec.model.Rules;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringSqe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Labels counted per run: from the rules the reference model reported ({@link Label#rule}, where the model has a
 * rule for the event), else from each step's observed transition (state before, state after, the step and its
 * result), as quickcheck-lockstep's {@code tagStep} does: they show the interesting states were really reached.
 */
public final class Coverage {

    /** What a step can be labelled with. */
    public enum Label {
        CQ_WRAPS("cq wraps"),
        SQ_WRAPS("sq wraps"),
        SKIP_FILLERS("skip fillers", Rules.CQE_SKIP_FILLER),
        BIG_CQES("32-byte cqes"),
        OVERFLOW_ENTERED("overflow entered"),
        OVERFLOW_FLUSHES("overflow flushes", Rules.CQ_OVERFLOW_FLUSH),
        DROPPED_SQES("dropped sqes", Rules.GET_SQE_DROPPED),
        FAILED_CHAIN_AT_0("failed chains by position 0"),
        FAILED_CHAIN_AT_1("failed chains by position 1"),
        FAILED_CHAIN_AT_2_PLUS("failed chains by position 2+"),
        DRAIN_REFUSALS("drain refusals", Rules.INIT_REQ_DRAIN_DISABLED),
        SKIP_SUCCESS_SILENCED("skip-success silenced"),
        DEFER_TASK_WORK("defer task work", Rules.RUN_LOCAL_WORK),
        SECOND_THREAD_EEXIST("second-thread eexist"),
        RESIZES("resizes", Rules.RESIZE_RINGS),
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
        PROBES_ANSWERED("probes answered", Rules.PROBE),
        TASK_RESTRICTIONS_REGISTERED("task restrictions registered", Rules.TASK_RESTRICTIONS_REGISTERED),
        TASK_RESTRICTIONS_REFUSED("task restrictions refused"),
        RINGS_UNDER_TASK_RESTRICTIONS("rings created under task restrictions", Rules.RING_INHERITS_TASK_RESTRICTIONS),
        TASKS_FORKED("tasks forked"),
        FORKS_INHERITING_RESTRICTIONS("forks inheriting task restrictions", Rules.FORK_INHERITS_TASK_RESTRICTIONS),
        RING_RESTRICTIONS_REGISTERED("ring restrictions registered"),
        RING_RESTRICTIONS_REFUSED("ring restrictions refused"),
        RESTRICTION_HALVES("restriction sets of one half (sqe or register)", Rules.RESTRICTIONS_SPLIT),
        SQES_DENIED("sqes denied by restrictions (-EACCES)", Rules.CHECK_RESTRICTION),
        REGISTERS_DENIED("register calls denied by restrictions (-EACCES)", Rules.REGISTER_RESTRICTED),
        SQE_MIXED_RINGS("SQE_MIXED rings set up"),
        SQES_128_WRITTEN("128-byte sqes written"),
        SQES_128_IN_LAST_SLOT("128-byte sqes written in the last slot"),
        SQES_128_TWO_SLOTS("128-byte sqes taking two slots", Rules.INIT_REQ_SQE128_TWO_POSITIONS),
        SQES_128_REFUSED("128-byte sqes refused (-EINVAL)", Rules.INIT_REQ_SQE128_NO_ROOM),
        MIXED_SQE_ENTERS("enters taking 64- and 128-byte sqes"),
        SQ_REWIND_RINGS("SQ_REWIND rings set up"),
        REWINDS("rewound submissions (from sqe 0)");

        final String text;
        /** The model's rule whose firings this label counts, or null for a label read from the rings. */
        final Rule rule;

        Label(String text) {
            this(text, null);
        }

        Label(String text, Rule rule) {
            this.text = text;
            this.rule = rule;
        }
    }

    private final long[] counts = new long[Label.values().length];
    /** How often each of the model's rules fired, by {@link Rule#id()}: the reference's own account of a run. */
    private long[] rules = new long[Rule.count()];
    private final Map<String, Long> refusals = new TreeMap<>();
    private final Map<String, Long> choices = new TreeMap<>();
    /** Filters, denies and the filtered opcodes' requests ({@link FilterCoverage}). */
    private final FilterCoverage filters = new FilterCoverage();
    private long steps;

    public long count(Label label) {
        return label.rule != null ? count(label.rule) : counts[label.ordinal()];
    }

    /** How often {@code rule} fired in the reference model (in the referee's model where the reference is not one). */
    public long count(Rule rule) {
        return rule.id() < rules.length ? rules[rule.id()] : 0;
    }

    /** Counts one firing of {@code rule}. */
    void rule(Rule rule) {
        if (rule.id() >= rules.length) {
            rules = Arrays.copyOf(rules, Math.max(Rule.count(), rule.id() + 1));
        }
        rules[rule.id()]++;
    }

    /** How often the filter label {@code label} ({@link FilterCoverage}'s names) was seen. */
    public long filterCount(String label) {
        return filters.count(label);
    }

    /** A new run: its task and ring start without filters. */
    void beginRun() {
        filters.beginRun();
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

    /** A step whose difference one of the model's allowed outcomes explained (see {@link Choices}). */
    void choice(String taken) {
        choices.merge(taken, 1L, Long::sum);
    }

    public Map<String, Long> choices() {
        return choices;
    }

    /**
     * The choice search's account ({@link ChoiceRebuild#explain}): the steps it searched and those it explained, the
     * rebuilt references it tried in each kind, the milliseconds it took in all, the differences it was not started
     * for because the catalogue knew them, and those the catalogue knew only under another outcome it tried.
     */
    private final long[] search = new long[8];
    /** The references each search that explained its step tried, for the distribution the budget is chosen from. */
    private final List<Integer> explainedTrials = new ArrayList<>();

    /**
     * One search of the choice points, which explained its step or not, with {@code trials} rebuilt references;
     * {@code budgetSpent}: it stopped at {@link ChoiceRebuild#TRIAL_BUDGET} without an explanation.
     */
    void choiceSearch(boolean explained, int trials, long nanos, boolean budgetSpent) {
        search[explained ? 1 : 0]++;
        search[explained ? 3 : 2] += trials;
        search[4] += nanos;
        search[7] += budgetSpent ? 1 : 0;
        if (explained) {
            explainedTrials.add(trials);
        }
    }

    /** A difference the catalogue knew, for which the choice search was not started ({@link LockstepRunner}). */
    void catalogueFirst() {
        search[5]++;
    }

    /**
     * A difference no outcome explained but the catalogue knew under one the search tried, whose reference the run
     * then took ({@link ChoiceRebuild#explain}).
     */
    void choiceCatalogued() {
        search[6]++;
    }

    /** The choice search's rows of the {@link #table}: none where it never ran. */
    private Map<String, Long> searchRows() {
        Map<String, Long> rows = new LinkedHashMap<>();
        if (search[0] + search[1] + search[5] > 0) {
            rows.put("  choice search: steps explained", search[1]);
            rows.put("  choice search: steps not explained", search[0]);
            rows.put("  choice search: references tried, explained", search[3]);
            rows.put("  choice search: references tried, not explained", search[2]);
            rows.put("  choice search: milliseconds", search[4] / 1_000_000);
            rows.put("  choice search: not started, catalogued", search[5]);
            rows.put("  choice search: stopped at the budget of " + ChoiceRebuild.TRIAL_BUDGET + " references",
                    search[7]);
            if (!explainedTrials.isEmpty()) {
                List<Integer> sorted = explainedTrials.stream().sorted().toList();
                for (int percent : new int[] {50, 90, 99, 100}) {
                    rows.put("  choice search: references of a step explained, " + (percent == 100 ? "most"
                            : percent + "th percentile"), (long) sorted.get((sorted.size() - 1) * percent / 100));
                }
            }
            if (search[6] > 0) {
                rows.put("  choice search: not explained, catalogued under another outcome", search[6]);
            }
        }
        return rows;
    }

    private void add(Label label) {
        counts[label.ordinal()]++;
    }

    public void addAll(Coverage other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        if (other.rules.length > rules.length) {
            rules = Arrays.copyOf(rules, other.rules.length);
        }
        for (int i = 0; i < other.rules.length; i++) {
            rules[i] += other.rules[i];
        }
        steps += other.steps;
        filters.addAll(other.filters);
        other.refusals.forEach((k, v) -> refusals.merge(k, v, Long::sum));
        other.choices.forEach((k, v) -> choices.merge(k, v, Long::sum));
        for (int i = 0; i < search.length; i++) {
            search[i] += other.search[i];
        }
        explainedTrials.addAll(other.explainedTrials);
    }

    void tag(Side runner, Step op, Counters before, Counters after) {
        steps++;
        int result = after.result();
        Step effective = op.effective();
        filters.step(effective, result);
        if (op instanceof Step.OnOtherThread && result == -Errno.EEXIST) {
            add(Label.SECOND_THREAD_EEXIST);
        }
        switch (effective) {
            case Step.Setup s -> {
                if (result < 0) {
                    add(Label.SETUP_REFUSED);
                } else {
                    newerLayouts(runner.ringFlags);
                }
                return;
            }
            case Step.EnableRings e -> {
                if (result == 0) {
                    add(Label.RINGS_ENABLED);
                }
            }
            case Step.RegisterFiles r -> registerResult(result);
            case Step.UpdateFiles r -> registerResult(result);
            case Step.RegisterBuffers r -> registerResult(result);
            case Step.Probe p -> {
                registerResult(result);
            }
            case Step.RegisterRestrictions t -> add(result == 0 ? Label.RING_RESTRICTIONS_REGISTERED
                    : Label.RING_RESTRICTIONS_REFUSED);
            case Step.RegisterTaskRestrictions t -> {
                if (result < 0) {
                    add(Label.TASK_RESTRICTIONS_REFUSED);
                }
            }
            case Step.ForkTask f -> {
                if (result == 0) {
                    add(Label.TASKS_FORKED);
                }
            }
            default -> {
            }
        }
        if (!runner.hasRing()) {
            return;
        }
        int cqEntries = runner.cqEntries;
        int sqEntries = runner.sqEntries;
        if (((before.cqTail() ^ after.cqTail()) & -cqEntries) != 0 && before.cqTail() != after.cqTail()) {
            add(Label.CQ_WRAPS);
        }
        if (((before.sqHead() ^ after.sqHead()) & -sqEntries) != 0 && before.sqHead() != after.sqHead()) {
            add(Label.SQ_WRAPS);
        }
        boolean overflowBefore = (before.sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0;
        boolean overflowAfter = (after.sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0;
        if (!overflowBefore && overflowAfter) {
            add(Label.OVERFLOW_ENTERED);
        }
        if (effective instanceof Step.Enter e && (e.flags() & Referee.HARMLESS_ENTER_FLAGS) != 0) {
            add(Label.ENTER_OTHER_FLAGS);
        }
        if (effective instanceof Step.MoveSqHead m && m.delta() != 0) {
            add(Label.SQ_HEAD_MOVED);
        }
        if (effective instanceof Step.Resize && result == 0) {
            if (before.sqTail() != before.sqHead()) {
                add(Label.RESIZE_PENDING_SQES);
            }
            if ((before.sqTail() != before.sqHead()
                    && Integer.compareUnsigned(before.sqHead(), before.sqTail()) > 0)
                    || (before.cqTail() != before.cqHead()
                            && Integer.compareUnsigned(before.cqHead(), before.cqTail()) > 0)) {
                add(Label.RESIZE_ACROSS_WRAP);
            }
        }
        if (effective instanceof Step.MoveCqHead && after.cqHead() - after.cqTail() > 0) {
            add(Label.CQ_HEAD_BEYOND_TAIL);
        }
        if (effective instanceof Step.PublishTail
                && U32.distance(after.sqTail(), after.sqHead()) > sqEntries) {
            add(Label.SQ_TAIL_FAR_AHEAD);
        }
        if (effective instanceof Step.WriteSqe128 w) {
            add(Label.SQES_128_WRITTEN);
            if (runner.sq.sqeSizeBytes() == 64 && (w.slot() & (sqEntries - 1)) == sqEntries - 1) {
                add(Label.SQES_128_IN_LAST_SLOT);
            }
        }
        if (effective instanceof Step.Enter e) {
            if (result < 0) {
                add(Label.ENTER_ERRORS);
            }
            if ((runner.ringFlags & IORING_SETUP_SQ_REWIND) != 0 && result > 0) {
                add(Label.REWINDS);
            }
            tagCompletions(runner, before, after);
        }
    }

    private void newerLayouts(int ringFlags) {
        if ((ringFlags & IORING_SETUP_SQE_MIXED) != 0) {
            add(Label.SQE_MIXED_RINGS);
        }
        if ((ringFlags & IORING_SETUP_SQ_REWIND) != 0) {
            add(Label.SQ_REWIND_RINGS);
        }
    }

    private void registerResult(int result) {
        if (result < 0) {
            add(Label.REGISTER_ERRORS);
        }
    }

    /** Labels from the CQEs this enter posted, matched by user_data to the SQEs it consumed. */
    private void tagCompletions(Side runner, Counters before, Counters after) {
        SqRingView sq = runner.sq;
        List<Cqe> posted = runner.cqes(before.cqTail(), after.cqTail());
        boolean big32 = (runner.ringFlags & IORING_SETUP_CQE32) != 0;
        for (Cqe c : posted) {
            if ((c.flags() & IORING_CQE_F_32) != 0 || big32) {
                add(Label.BIG_CQES);
            }
        }
        // An SQ_REWIND ring never moves sq.head: an enter takes `result` SQEs from index 0 (io_submit_sqes).
        boolean rewind = (runner.ringFlags & IORING_SETUP_SQ_REWIND) != 0;
        int from = rewind ? 0 : before.sqHead();
        int consumed = rewind ? Math.max(after.result(), 0)
                : (int) Math.min(U32.distance(after.sqHead(), before.sqHead()), runner.sqEntries);
        boolean mixed = (runner.ringFlags & IORING_SETUP_SQE_MIXED) != 0;
        int sqMask = runner.sqEntries - 1;
        int chainPosition = 0;
        boolean chainFailureSeen = false;
        boolean prevLinked = false;
        boolean small = false;
        boolean big = false;
        for (int i = 0; i < consumed; i++) {
            int position = from + i;
            int sqeIndex = sq.hasArray() ? sq.readOnceArray(position & sqMask) : position & sqMask;
            if (Integer.compareUnsigned(sqeIndex, runner.sqEntries) >= 0) {
                prevLinked = false;
                continue;
            }
            long off = sq.sqeOffset(sqeIndex & sqMask);
            int opcode = Byte.toUnsignedInt(sq.sqes().get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET));
            if (mixed && is128(opcode) && sqeIndex < sqMask && i + 1 < consumed) {
                i++; // io_init_req: the second half took the next position
                big = true;
            } else {
                small = true;
            }
            int flags = Byte.toUnsignedInt(sq.sqes().get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            long userData = sq.sqes().get(JAVA_LONG, off + IoUringSqe.USER_DATA_OFFSET);
            int res = resultOf(posted, userData);
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
            filters.completion(opcode, flags, prevLinked, res);
            if ((flags & IOSQE_CQE_SKIP_SUCCESS) != 0 && res == Integer.MIN_VALUE) {
                add(Label.SKIP_SUCCESS_SILENCED);
            }
            chainPosition++;
            prevLinked = linked;
        }
        if (small && big) {
            add(Label.MIXED_SQE_ENTERS);
        }
    }

    /** The opcodes whose SQE is 128 bytes ({@code io_issue_defs[].is_128}, io_uring/opdef.c, 6.19+). */
    private static boolean is128(int opcode) {
        return opcode == IORING_OP_NOP128 || opcode == IORING_OP_URING_CMD128;
    }

    /** The res of the first posted CQE with this user_data, or {@code Integer.MIN_VALUE} if none was posted. */
    private static int resultOf(List<Cqe> posted, long userData) {
        for (Cqe c : posted) {
            if (c.userData() == userData && (c.flags() & IORING_CQE_F_SKIP) == 0) {
                return c.res();
            }
        }
        return Integer.MIN_VALUE;
    }

    /**
     * One line per label, in a fixed order, with counts; refusals, choices, the choice search's account and rules
     * after. Every count starts in one column, however long the longest label is.
     */
    public String table() {
        Map<String, Long> rows = new LinkedHashMap<>();
        labels().forEach((label, n) -> rows.put("  " + label, n));
        rows.putAll(searchRows());
        long seen = Rule.all().stream().filter(r -> count(r) > 0).count();
        String rulesHeading = String.format("  rules seen: %d of %d", seen, Rule.count());
        Map<String, Long> rules = new LinkedHashMap<>();
        rules().forEach((name, n) -> rules.put("    " + name, n));
        // counts in one column; a label too long for it (a refusal's sentence) gets a line of its own above its count
        int width = Math.max(42, Stream.concat(rows.keySet().stream(), rules.keySet().stream())
                .mapToInt(String::length).filter(n -> n <= MAX_LABEL_WIDTH).max().orElse(0));
        StringBuilder b = new StringBuilder();
        rows.forEach((label, n) -> row(b, width, label, n));
        b.append(rulesHeading).append(System.lineSeparator());
        rules.forEach((label, n) -> row(b, width, label, n));
        return b.toString();
    }

    /** Every label with its count, in the table's order: the labels, filters, refusals and choices taken. */
    public Map<String, Long> labels() {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (Label l : Label.values()) {
            rows.put(l.text, count(l));
        }
        filters.counts().forEach(rows::put);
        refusals.forEach((reason, n) -> rows.put("refused: " + reason, n));
        choices.forEach((taken, n) -> rows.put("choice taken: " + taken, n));
        return rows;
    }

    /** Every rule of the model by name, with how often it fired (0: never reached). */
    public Map<String, Long> rules() {
        Map<String, Long> rules = new LinkedHashMap<>();
        for (Rule r : Rule.all()) {
            rules.put(r.name(), count(r));
        }
        return rules;
    }

    /** The widest label that shares a line with its count. */
    static final int MAX_LABEL_WIDTH = 64;

    private static void row(StringBuilder b, int width, String label, long count) {
        if (label.length() > width) {
            b.append(label).append(System.lineSeparator());
            label = "";
        }
        b.append(String.format("%-" + width + "s %d%n", label, count));
    }
}
