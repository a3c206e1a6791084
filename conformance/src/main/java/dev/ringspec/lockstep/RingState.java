package dev.ringspec.lockstep;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * What an application can see of one ring after a step, in the order of the kernel's fdinfo: the SQ and CQ
 * counters and flags, and the CQEs between the CQ head and tail (at most one ring's worth).
 */
public record RingState(boolean exists, int result, int sqHead, int sqTail, int sqDropped, int sqFlags, int cqHead,
        int cqTail, int cqOverflow, int cqFlags, List<Cqe> cqes) {

    public static RingState none(int result) {
        return new RingState(false, result, 0, 0, 0, 0, 0, 0, 0, 0, List.of());
    }

    /** fdinfo-style lines: {@code SqHead}, {@code SqTail}, ..., one CQE per line. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("Result:     " + Errno.describe(result));
        if (!exists) {
            lines.add("(no ring)");
            return lines;
        }
        lines.add("SqHead:     " + U32.value(sqHead));
        lines.add("SqTail:     " + U32.value(sqTail));
        lines.add("SqDropped:  " + U32.value(sqDropped));
        lines.add("SqFlags:    " + FlagNames.sqFlags(sqFlags));
        lines.add("CqHead:     " + U32.value(cqHead));
        lines.add("CqTail:     " + U32.value(cqTail));
        lines.add("CqOverflow: " + U32.value(cqOverflow));
        lines.add("CqFlags:    0x" + Integer.toHexString(cqFlags));
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

    /** Two states side by side, lines that differ marked with {@code <>}. */
    public static String sideBySide(String leftName, RingState left, String rightName, RingState right) {
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
