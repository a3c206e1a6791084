package dev.ringspec.teach;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.uapi.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * An explanation as terminal text: the title and notes, then for each step its narration, the pictures of the rings
 * (model and kernel side by side, differing lines marked {@code <>}), what was reaped, and one sentence per rule that
 * acted; the question last.
 */
public final class TerminalText {
    private static final int WIDTH = 100;

    private TerminalText() {
    }

    public static String of(Explanation e) {
        StringBuilder b = new StringBuilder();
        b.append("== ").append(e.title()).append("  (").append(e.source()).append(")\n");
        if (e.modelName() != null || e.kernelName() != null) {
            wrap(b, "Run on: ", e.modelName() == null ? e.kernelName() : e.kernelName() == null ? e.modelName()
                    : e.modelName() + ", beside " + e.kernelName());
        }
        for (String note : e.notes()) {
            wrap(b, "", note);
        }
        for (Frame f : e.frames()) {
            b.append('\n').append("-- step ").append(f.number()).append(" (line ").append(f.line()).append("): ")
                    .append(f.action()).append(f.number() == e.partedAt() ? "   <== model and kernel part here" : "")
                    .append('\n');
            for (String n : f.narration()) {
                wrap(b, "   ", n);
            }
            boolean both = f.model() != null && f.kernel() != null;
            List<String> model = f.model() == null ? null : side(f.model(), f.action(), !both);
            List<String> kernel = f.kernel() == null ? null : side(f.kernel(), f.action(), false);
            if (both) {
                b.append(RingObservation.sideBySide(e.modelName(), model, e.kernelName(), kernel));
                if (f.model().overflowList() != null) {
                    b.append("   model's ").append(RingPicture.overflow(f.model().overflowList())).append('\n');
                }
            } else {
                for (String l : model != null ? model : kernel) {
                    b.append("   ").append(l).append('\n');
                }
            }
            if (f.model() != null) {
                for (String r : Frame.grouped(f.model().rules())) {
                    wrap(b, "   why: ", r);
                }
            }
        }
        if (e.frames().isEmpty()) {
            b.append("\n(no side could run this lesson here)\n");
        }
        b.append('\n');
        wrap(b, "Question: ", e.question());
        return b.toString();
    }

    private static List<String> side(Frame.View v, String action, boolean overflowList) {
        List<String> lines = new ArrayList<>(RingPicture.lines(v.ring(), overflowList ? v.overflowList() : null));
        if (v.result() != null) {
            lines.add("result: " + result(v.result(), action));
        }
        if (!v.reaped().isEmpty()) {
            lines.add("reaped: " + String.join("; ", v.reaped().stream().map(TerminalText::reaped).toList()));
        }
        for (String failure : v.failures()) {
            lines.add("!! " + failure);
        }
        for (String remark : v.remarks()) {
            lines.add("note: " + remark);
        }
        return lines;
    }

    /** A syscall's result; a setup's descriptor number is not shown, as it differs between backends. */
    static String result(long result, String action) {
        return action.startsWith("setup") && result >= 0 ? "a ring descriptor" : Errno.describe(result);
    }

    private static String reaped(Cqe c) {
        return RingPicture.cqe(c, c.big0() != 0 || c.big1() != 0);
    }

    /** Appends {@code text} after {@code prefix}, wrapped at the terminal's width. */
    private static void wrap(StringBuilder b, String prefix, String text) {
        String indent = " ".repeat(prefix.length());
        StringBuilder line = new StringBuilder(prefix);
        for (String word : text.split(" ")) {
            if (line.length() + word.length() + 1 > WIDTH && line.length() > prefix.length()) {
                b.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length() && !line.toString().endsWith(" ")) {
                line.append(' ');
            }
            line.append(word);
        }
        b.append(line).append('\n');
    }
}
