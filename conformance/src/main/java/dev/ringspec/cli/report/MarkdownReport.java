package dev.ringspec.cli.report;

import dev.ringspec.lockstep.DivergenceCatalogue;
import java.util.List;
import java.util.Map;

/**
 * The report for people: {@code report.md}. A verdict first, then per kernel its capabilities, its areas, its
 * catalogue hits (linked to the catalogue section at the end) and every new divergence in full; the coverage comes
 * last, being the longest and the least urgent.
 */
final class MarkdownReport {
    private MarkdownReport() {
    }

    static String render(CheckReport report, List<KernelView> views) {
        StringBuilder b = new StringBuilder();
        b.append("# ringspec check: ").append(report.outcome()).append(" (exit status ").append(report.status())
                .append(")\n\n");
        b.append(String.format("`ringspec %s`, started %s, %.1f s. Schema of the JSON beside it: `%s`.%n%n",
                report.command(), report.started(), report.seconds(), CheckReport.SCHEMA));
        b.append("| kernel | outcome | release | profile | replays | runs | steps | new divergences | catalogue hits |\n");
        b.append("|---|---|---|---|---:|---:|---:|---:|---:|\n");
        for (KernelView v : views) {
            CheckReport.Kernel k = v.kernel;
            b.append(String.format("| %s | %s | %s | %s | %d | %d | %d | %d | %d |%n", cell(k.kernel()),
                    cell(k.outcome()), cell(k.release()), cell(k.profile()), v.replays, v.runs, v.steps,
                    v.findings.size(), v.hits.stream().mapToLong(h -> h.runs() + h.replays()).sum()));
        }
        for (KernelView v : views) {
            kernel(b, v);
        }
        List<DivergenceCatalogue.Entry> entries = Reports.entriesHit(report, views);
        if (!entries.isEmpty()) {
            b.append("\n## Catalogue entries hit\n\nFrom `").append(CheckReport.CATALOGUE_FILE).append("`.\n");
            for (DivergenceCatalogue.Entry e : entries) {
                b.append("\n<a id=\"").append(Reports.catalogueAnchor(e.id())).append("\"></a>\n### ")
                        .append(e.id()).append("\n\n");
                b.append("- **kernels:** ").append(line(e.kernelVersions())).append('\n');
                b.append("- **observed:** ").append(line(e.observed())).append('\n');
                b.append("- **intended:** ").append(line(e.intended())).append('\n');
                b.append("- **wrong side:** ").append(line(e.wrongSide())).append("; **why it matters:** ")
                        .append(line(e.why())).append('\n');
                if (e.replay() != null) {
                    b.append("- **replay:** `").append(e.replay()).append("`\n");
                }
            }
        }
        for (KernelView v : views) {
            if (v.kernel.lockstep() == null) {
                continue;
            }
            b.append("\n## Coverage on ").append(v.kernel.kernel()).append("\n\n");
            b.append(String.format("Labels reached: %d of %d; rules of the model seen: %d of %d.%n%n",
                    v.labels.size() - v.labelsNeverReached().size(), v.labels.size(),
                    v.rules.size() - v.rulesNeverReached().size(), v.rules.size()));
            if (!v.labelsNeverReached().isEmpty()) {
                b.append("Never reached: ").append(String.join(", ", v.labelsNeverReached())).append(".\n\n");
            }
            if (!v.rulesNeverReached().isEmpty()) {
                b.append("Rules never seen: ").append(String.join(", ", v.rulesNeverReached())).append(".\n\n");
            }
            counts(b, "label", v.labels);
            b.append('\n');
            counts(b, "rule", v.rules);
        }
        return b.toString();
    }

    private static void kernel(StringBuilder b, KernelView v) {
        CheckReport.Kernel k = v.kernel;
        b.append("\n## ").append(k.kernel()).append(": ").append(k.outcome()).append("\n\n");
        if (k.reason() != null) {
            b.append(line(k.reason())).append("\n\n");
        }
        if (k.release() != null) {
            b.append("Release ").append(k.release()).append(", model profile ").append(k.profile())
                    .append(k.bootSeconds() == null ? "" : String.format(", booted in %.1f s", k.bootSeconds()))
                    .append(".\n\n");
        }
        if (k.capsTable() != null) {
            b.append("### Capabilities beside the latest uapi\n\n");
            fence(b, "text", k.capsTable());
        }
        b.append("### Areas\n\n| area | outcome | summary |\n|---|---|---|\n");
        for (KernelView.Area a : v.areas) {
            b.append("| ").append(a.name()).append(" | **").append(a.outcome()).append("** | ")
                    .append(cell(a.summary()));
            for (KernelView.NewFinding f : a.failures()) {
                b.append(" [").append(f.anchor()).append("](#").append(f.anchor()).append(')');
            }
            b.append(" |\n");
        }
        if (!v.badReplays.isEmpty()) {
            b.append("\nBad replay files (skipped):\n\n");
            v.badReplays.forEach(r -> b.append("- ").append(line(r)).append('\n'));
        }
        if (!v.hits.isEmpty()) {
            b.append("\n### Known kernel differences (catalogue hits)\n\n| entry | generated runs | first seed | "
                    + "replays |\n|---|---:|---:|---:|\n");
            for (KernelView.Hit h : v.hits) {
                b.append(String.format("| [%s](#%s) | %d | %s | %d |%n", h.id(), Reports.catalogueAnchor(h.id()),
                        h.runs(), h.firstSeed() < 0 ? "-" : String.valueOf(h.firstSeed()), h.replays()));
            }
        }
        if (!v.findings.isEmpty()) {
            b.append("\n### New divergences\n");
        }
        for (KernelView.NewFinding f : v.findings) {
            b.append("\n<a id=\"").append(f.anchor()).append("\"></a>\n#### ").append(f.anchor()).append(": ")
                    .append(line(f.title())).append("\n\n");
            b.append("`").append(f.field()).append("` after step ").append(f.step()).append(": the reference says `")
                    .append(inline(f.referenceValue())).append("`; the kernel side says `")
                    .append(inline(f.subjectValue())).append("`.");
            if (f.shrink() != null) {
                b.append(" ").append(f.shrink()).append('.');
            }
            if (f.replayFile() != null) {
                b.append(" Saved as `").append(f.replayFile()).append("`.");
            }
            b.append("\n\nMinimal steps:\n\n");
            fence(b, "text", String.join("\n", f.steps()));
            if (f.diff() != null) {
                b.append("Ring state after step ").append(f.step()).append(", side by side:\n\n");
                fence(b, "text", f.diff());
            }
            if (f.cReproducer() != null) {
                b.append("C reproducer:\n\n");
                fence(b, "c", f.cReproducer());
            }
            if (f.junitBody() != null) {
                b.append("JUnit test:\n\n");
                fence(b, "java", f.junitBody());
            }
        }
        if (!v.newInvariants.isEmpty()) {
            b.append("\n### Invariants the kernel broke (not in the catalogue)\n\n");
            v.newInvariants.forEach(i -> b.append("- ").append(line(i)).append('\n'));
        }
    }

    private static void counts(StringBuilder b, String what, Map<String, Long> counts) {
        b.append("| ").append(what).append(" | count |\n|---|---:|\n");
        counts.forEach((label, n) -> b.append("| ").append(cell(label)).append(" | ").append(n).append(" |\n"));
    }

    /** A fenced block long enough that no run of backticks inside closes it. */
    private static void fence(StringBuilder b, String language, String text) {
        String fence = "```";
        while (text.contains(fence)) {
            fence += "`";
        }
        b.append(fence).append(language).append('\n').append(text.stripTrailing()).append('\n').append(fence)
                .append("\n\n");
    }

    private static String cell(String text) {
        return text == null ? "-" : line(text).replace("|", "\\|");
    }

    private static String line(String text) {
        return text == null ? "-" : text.replace('\n', ' ').replace("<", "&lt;");
    }

    private static String inline(String text) {
        return text == null ? "" : text.replace('\n', ' ').replace('`', '\'');
    }
}
