package dev.ringspec.lockstep;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * One observation of one side's ring after a step: the syscall's result, the SQ and CQ counters and flags in the
 * order of the kernel's fdinfo, and the CQEs between the CQ head and tail (at most one ring's worth), read by
 * {@link Side#observe}. The engine compares observations word by word ({@link Word}); a report prints two of them
 * side by side.
 *
 * @param cqes the visible CQEs, or an empty list where the observation was taken without them
 *     ({@link Side#observeCounters})
 */
public record Observation(boolean exists, int result, int sqHead, int sqTail, int sqDropped, int sqFlags,
        int cqHead, int cqTail, int cqOverflow, int cqFlags, List<Cqe> cqes) {

    public Observation {
        cqes = List.copyOf(cqes);
    }

    /** No ring: a failed setup, or before the first. */
    public static Observation none(int result) {
        return new Observation(false, result, 0, 0, 0, 0, 0, 0, 0, 0, List.of());
    }

    /** The ring words an application can read, by the names a divergence reports them under. */
    public enum Word {
        SQ_HEAD("SqHead", Observation::sqHead),
        SQ_TAIL("SqTail", Observation::sqTail),
        SQ_DROPPED("SqDropped", Observation::sqDropped),
        SQ_FLAGS("SqFlags", Observation::sqFlags),
        CQ_HEAD("CqHead", Observation::cqHead),
        CQ_TAIL("CqTail", Observation::cqTail),
        CQ_OVERFLOW("CqOverflow", Observation::cqOverflow),
        CQ_FLAGS("CqFlags", Observation::cqFlags);

        private final String field;
        private final ToIntFunction<Observation> read;

        Word(String field, ToIntFunction<Observation> read) {
            this.field = field;
            this.read = read;
        }

        /** The field name of a divergence in this word ({@link Divergence#field()}). */
        public String field() {
            return field;
        }

        public int of(Observation o) {
            return read.applyAsInt(o);
        }

        /** The value as a report prints it: SQ flags by name, counters as unsigned numbers. */
        public String describe(int value) {
            return this == SQ_FLAGS ? FlagNames.sqFlags(value) : String.valueOf(U32.value(value));
        }

        /** The word whose field name is {@code field}. */
        public static Word byField(String field) {
            for (Word w : values()) {
                if (w.field.equals(field)) {
                    return w;
                }
            }
            throw new IllegalArgumentException("no ring word " + field);
        }
    }

    /** The CQEs between head and tail, in counter order; {@code tail - head} as a u32 distance, at most the ring. */
    public long pendingCqSlots() {
        return U32.distance(cqTail, cqHead);
    }

    /** fdinfo-style lines: {@code SqHead}, {@code SqTail}, ..., one CQE per line. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("Result:     " + Errno.describe(result));
        if (!exists) {
            lines.add("(no ring)");
            return lines;
        }
        for (Word w : Word.values()) {
            lines.add(String.format("%-12s", w.field() + ":") + (w == Word.CQ_FLAGS ? "0x" + Integer.toHexString(cqFlags)
                    : w.describe(w.of(this))));
        }
        lines.add("CQEs:       " + cqes.size());
        for (int i = 0; i < cqes.size(); i++) {
            Cqe c = cqes.get(i);
            lines.add("  " + i + ": ud " + c.userData() + " res " + Errno.describe(c.res()) + " flags "
                    + FlagNames.cqeFlags(c.flags())
                    + (c.big0() != 0 || c.big1() != 0
                            ? " big 0x" + Long.toHexString(c.big0()) + ",0x" + Long.toHexString(c.big1()) : ""));
        }
        return lines;
    }

    /** Two observations side by side, lines that differ marked with {@code <>}. */
    public static String sideBySide(String leftName, Observation left, String rightName, Observation right) {
        List<String> l = left.lines();
        List<String> r = right.lines();
        int width = Math.max(leftName.length(), l.stream().mapToInt(String::length).max().orElse(0)) + 2;
        StringBuilder b = new StringBuilder();
        b.append("   ").append(pad(leftName, width)).append(rightName).append('\n');
        for (int i = 0; i < Math.max(l.size(), r.size()); i++) {
            String a = i < l.size() ? l.get(i) : "";
            String c = i < r.size() ? r.get(i) : "";
            b.append(a.equals(c) ? "   " : "<> ").append(pad(a, width)).append(c).append('\n');
        }
        return b.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(1, width - s.length()));
    }
}
