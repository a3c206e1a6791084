package dev.ringspec.teach;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.FlagNames;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.U32;
import dev.ringspec.teach.RingPicture.CqSlot;
import dev.ringspec.teach.RingPicture.SqSlot;
import dev.ringspec.uapi.Errno;
import java.util.List;

/**
 * An explanation as one self-contained HTML page (no network: styles, script and SVG inline). Each step is a section
 * with an SVG drawing of each side's rings; one is shown at a time, chosen by the URL fragment ({@code #step-3}), the
 * Back and Forward buttons or the arrow keys. A slot, counter or list whose content differs from the step before is
 * drawn highlighted ({@code class="changed"}), and on a step where model and kernel differ the page says so.
 */
public final class HtmlPage {
    private static final int SLOT_WIDTH = 118;
    private static final int SLOT_HEIGHT = 46;

    private HtmlPage() {
    }

    public static String of(Explanation e) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(e.title()))
                .append("</title>\n<style>\n").append(STYLE).append("</style></head>\n<body>\n<h1>")
                .append(esc(e.title())).append("</h1>\n<p class=\"source\">").append(esc(e.source())).append("</p>\n");
        for (String note : e.notes()) {
            b.append("<p class=\"note\">").append(esc(note)).append("</p>\n");
        }
        b.append("<nav><button id=\"back\">&larr; Back</button> <span id=\"where\"></span> "
                + "<button id=\"forward\">Forward &rarr;</button> <span class=\"hint\">(arrow keys, or #step-N in the "
                + "address)</span></nav>\n");
        Frame previous = null;
        for (Frame f : e.frames()) {
            b.append("<section class=\"step\" id=\"step-").append(f.number()).append("\">\n<h2>Step ")
                    .append(f.number()).append(" <code>").append(esc(f.action())).append("</code> <small>line ")
                    .append(f.line()).append("</small></h2>\n");
            for (String n : f.narration()) {
                b.append("<p class=\"say\">").append(esc(n)).append("</p>\n");
            }
            if (f.differs()) {
                b.append("<p class=\"parted\">Model and kernel differ after this step").append(f.number() == e.partedAt()
                        ? " for the first time: this is where they part." : ".").append("</p>\n");
            }
            b.append("<div class=\"sides\">\n");
            if (f.model() != null) {
                side(b, e.modelName(), f.model(), previous == null ? null : previous.model(), f.action());
            }
            if (f.kernel() != null) {
                side(b, e.kernelName(), f.kernel(), previous == null ? null : previous.kernel(), f.action());
            }
            b.append("</div>\n");
            if (f.model() != null && !f.model().rules().isEmpty()) {
                b.append("<h3>Rules that acted</h3><ol class=\"rules\">\n");
                for (String r : Frame.grouped(f.model().rules())) {
                    int cite = r.lastIndexOf(" [");
                    b.append("<li>").append(esc(r.substring(0, cite))).append(" <span class=\"cite\">")
                            .append(esc(r.substring(cite + 1))).append("</span></li>\n");
                }
                b.append("</ol>\n");
            }
            b.append("</section>\n");
            previous = f;
        }
        b.append("<p class=\"question\"><b>Question:</b> ").append(esc(e.question())).append("</p>\n<script>\n")
                .append(SCRIPT).append("</script>\n</body></html>\n");
        return b.toString();
    }

    private static void side(StringBuilder b, String name, Frame.View v, Frame.View before, String action) {
        RingObservation o = v.ring();
        RingObservation p = before == null ? null : before.ring();
        b.append("<div class=\"side\"><h3>").append(esc(name)).append("</h3>\n");
        if (!o.exists()) {
            b.append("<p>No ring (").append(esc(Errno.describe(o.result()))).append(").</p></div>\n");
            return;
        }
        boolean sameShape = p != null && p.exists() && p.sqEntries() == o.sqEntries() && p.cqEntries() == o.cqEntries();
        int slots = Math.max(o.sqEntries(), o.cqEntries());
        int width = 60 + SLOT_WIDTH * Math.min(slots, 8) + 40;
        int sqRows = (o.sqEntries() + 7) / 8;
        int cqRows = (o.cqEntries() + 7) / 8;
        int height = 70 + sqRows * (SLOT_HEIGHT + 30) + 60 + cqRows * (SLOT_HEIGHT + 30) + 40;
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        int y = 16;
        text(b, 4, y, "title", "ring flags " + FlagNames.setup(o.setupFlags()), p != null
                && p.setupFlags() != o.setupFlags());
        y += 20;
        text(b, 4, y, "title", "SQ  head " + RingPicture.counter(o.sqHead(), o.sqEntries()) + "   tail "
                + RingPicture.counter(o.sqTail(), o.sqEntries()) + "   dropped " + U32.value(o.sqDropped())
                + "   flags " + FlagNames.sqFlags(o.sqFlags()), p != null && (p.sqHead() != o.sqHead()
                        || p.sqTail() != o.sqTail() || p.sqDropped() != o.sqDropped() || p.sqFlags() != o.sqFlags()));
        y += 12;
        List<SqSlot> sq = RingPicture.sqSlots(o);
        List<SqSlot> sqBefore = sameShape ? RingPicture.sqSlots(p) : null;
        for (SqSlot s : sq) {
            int x = 40 + SLOT_WIDTH * (s.index() % 8);
            int top = y + (SLOT_HEIGHT + 30) * (s.index() / 8);
            boolean changed = sqBefore != null && !sqBefore.get(s.index()).equals(s);
            String label = s.pending() == null ? "" : RingPicture.sqe(s.pending(), o.sqEntries());
            slot(b, x, top, s.pending() == null ? "free" : "pending", changed, s.index(),
                    s.arrayWord() == null ? "" : "array \u2192 " + Integer.toUnsignedString(s.arrayWord()), label);
            marks(b, x, top, s.head(), s.tail(), s.index() == o.sqEntries() - 1);
        }
        y += sqRows * (SLOT_HEIGHT + 30) + 24;
        boolean cqe32 = o.has(IORING_SETUP_CQE32);
        text(b, 4, y, "title", "CQ  head " + RingPicture.counter(o.cqHead(), o.cqEntries()) + "   tail "
                + RingPicture.counter(o.cqTail(), o.cqEntries()) + "   overflow " + U32.value(o.cqOverflow())
                + (cqe32 ? "   32-byte slots" : ""), p != null && (p.cqHead() != o.cqHead() || p.cqTail() != o.cqTail()
                        || p.cqOverflow() != o.cqOverflow()));
        y += 12;
        List<CqSlot> cq = RingPicture.cqSlots(o);
        List<CqSlot> cqBefore = sameShape ? RingPicture.cqSlots(p) : null;
        for (CqSlot s : cq) {
            int x = 40 + SLOT_WIDTH * (s.index() % 8);
            int top = y + (SLOT_HEIGHT + 30) * (s.index() / 8);
            boolean changed = cqBefore != null && !cqBefore.get(s.index()).equals(s);
            Cqe c = s.cqe();
            String[] lines = switch (s.state()) {
                case VISIBLE -> new String[] {"ud " + Long.toUnsignedString(c.userData()) + " res "
                        + RingPicture.res(c.res()), c.flags() != 0 ? FlagNames.cqeFlags(c.flags())
                        : cqe32 || c.big0() != 0 ? "big " + Long.toHexString(c.big0()) + "," + Long.toHexString(c.big1())
                        : ""};
                case SECOND_HALF -> new String[] {"second half", "of a 32-byte CQE"};
                case SKIP -> new String[] {"skip CQE", "filler to the wrap"};
                case OLD -> new String[] {"old: ud " + Long.toUnsignedString(c.userData()), "(reaped)"};
                case EMPTY -> new String[] {"", ""};
            };
            slot(b, x, top, s.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), changed,
                    s.index(), lines[0], lines[1]);
            marks(b, x, top, s.head(), s.tail(), s.index() == o.cqEntries() - 1);
        }
        y += cqRows * (SLOT_HEIGHT + 30) + 24;
        List<Cqe> ov = v.overflowList();
        boolean ovChanged = before != null && before.overflowList() != null && ov != null
                && !before.overflowList().equals(ov);
        text(b, 4, y, "title", ov == null ? "overflow list: not visible to applications (SQ flag CQ_OVERFLOW)"
                : ov.isEmpty() ? "overflow list: empty" : "overflow list: " + String.join("  \u2192  ",
                        ov.stream().map(c -> RingPicture.cqe(c, false)).toList()), ovChanged);
        b.append("</svg>\n");
        if (!v.reaped().isEmpty()) {
            b.append("<p class=\"reaped\">Reaped: ").append(esc(String.join("; ", v.reaped().stream()
                    .map(c -> RingPicture.cqe(c, c.big0() != 0 || c.big1() != 0)).toList()))).append("</p>\n");
        }
        if (v.result() != null) {
            b.append("<p class=\"result\">Result: ").append(esc(TerminalText.result(v.result(), action))).append("</p>\n");
        }
        for (String failure : v.failures()) {
            b.append("<p class=\"failure\">").append(esc(failure)).append("</p>\n");
        }
        for (String remark : v.remarks()) {
            b.append("<p class=\"remark\">Note: ").append(esc(remark)).append("</p>\n");
        }
        b.append("</div>\n");
    }

    private static void slot(StringBuilder b, int x, int y, String state, boolean changed, int index, String line1,
            String line2) {
        b.append("<g class=\"slot ").append(state).append(changed ? " changed" : "").append("\"><rect x=\"").append(x)
                .append("\" y=\"").append(y).append("\" width=\"").append(SLOT_WIDTH - 6).append("\" height=\"")
                .append(SLOT_HEIGHT).append("\" rx=\"4\"/>");
        b.append("<text class=\"index\" x=\"").append(x + 3).append("\" y=\"").append(y + 11).append("\">")
                .append(index).append("</text>");
        b.append("<text x=\"").append(x + 14).append("\" y=\"").append(y + 21).append("\">").append(esc(line1))
                .append("</text><text x=\"").append(x + 14).append("\" y=\"").append(y + 37).append("\">")
                .append(esc(line2)).append("</text></g>\n");
    }

    /** The head (H) and tail (T) marks under a slot, and the wrap arrow after the last slot. */
    private static void marks(StringBuilder b, int x, int y, boolean head, boolean tail, boolean last) {
        if (head) {
            b.append("<text class=\"head\" x=\"").append(x + 8).append("\" y=\"").append(y + SLOT_HEIGHT + 16)
                    .append("\">\u25b2 head</text>\n");
        }
        if (tail) {
            b.append("<text class=\"tail\" x=\"").append(x + 58).append("\" y=\"").append(y + SLOT_HEIGHT + 16)
                    .append("\">\u25b2 tail</text>\n");
        }
        if (last) {
            b.append("<text class=\"wrap\" x=\"").append(x + SLOT_WIDTH - 4).append("\" y=\"")
                    .append(y + SLOT_HEIGHT / 2 + 4).append("\">\u21b5 0</text>\n");
        }
    }

    private static void text(StringBuilder b, int x, int y, String cls, String s, boolean changed) {
        b.append("<text class=\"").append(cls).append(changed ? " changed" : "").append("\" x=\"").append(x)
                .append("\" y=\"").append(y).append("\">").append(esc(s)).append("</text>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String STYLE = """
            body { font-family: sans-serif; margin: 1em 2em; color: #222; }
            section.step { display: none; } section.step.current { display: block; }
            .sides { display: flex; gap: 2em; flex-wrap: wrap; } .side h3 { margin: .3em 0; }
            svg text { font-family: monospace; font-size: 11px; } svg text.title { font-size: 12px; }
            svg text.changed { fill: #b35c00; font-weight: bold; }
            .slot rect { stroke: #555; fill: #fff; } .slot.pending rect, .slot.visible rect { fill: #d8f0d8; }
            .slot.second-half rect { fill: #eaf7ea; stroke-dasharray: 4 2; } .slot.skip rect { fill: #ddd; }
            .slot.old text { fill: #999; } .slot.changed rect { stroke: #e08000; stroke-width: 3; }
            text.index { fill: #777; font-size: 9px; } text.head { fill: #0050b0; } text.tail { fill: #a00000; }
            text.wrap { fill: #555; } .say { background: #f4f4ff; padding: .4em; } .parted { color: #a00000;
            font-weight: bold; } .failure { color: #a00000; } .cite { color: #777; font-size: smaller; }
            .remark { color: #555; font-style: italic; }
            nav { position: sticky; top: 0; background: #fff; padding: .4em 0; } .hint { color: #888; }
            .question { border-top: 1px solid #ccc; padding-top: .5em; }
            """;

    private static final String SCRIPT = """
            const steps = Array.from(document.querySelectorAll('section.step'));
            function show(n) {
              n = Math.max(1, Math.min(steps.length, n));
              steps.forEach((s, i) => s.classList.toggle('current', i === n - 1));
              document.body.dataset.current = String(n);
              document.getElementById('where').textContent = 'step ' + n + ' of ' + steps.length;
              if (location.hash !== '#step-' + n) history.replaceState(null, '', '#step-' + n);
            }
            function current() { return Number(document.body.dataset.current || 1); }
            function fromHash() { const m = /^#step-(\\d+)$/.exec(location.hash); show(m ? Number(m[1]) : 1); }
            document.getElementById('back').onclick = () => show(current() - 1);
            document.getElementById('forward').onclick = () => show(current() + 1);
            document.addEventListener('keydown', ev => {
              if (ev.key === 'ArrowRight') show(current() + 1);
              if (ev.key === 'ArrowLeft') show(current() - 1);
            });
            window.addEventListener('hashchange', fromHash);
            fromHash();
            """;
}
