package dev.ringspec.cli.report;

import dev.ringspec.lockstep.DivergenceCatalogue;
import java.util.List;
import java.util.Map;

/**
 * The report as one page: {@code report.html}. Everything is inline (CSS, an SVG bar per kernel, a few lines of
 * script to filter the coverage table), so it opens from a CI artifact with no network; the sections are
 * {@code details} elements, which work without the script.
 */
final class HtmlReport {
    private static final String STYLE = """
            body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2327}
            h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:1px solid #ccd;padding-bottom:4px;margin-top:28px}
            h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;margin:6px 0}
            td,th{border:1px solid #d5d8dc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f3f5}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:8px;overflow:auto;font-size:12px;line-height:1.3}
            .verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600}
            .passed,.ok{background:#1a7f37}.failed,.divergence{background:#cf222e}.error,.bad-replay{background:#9a6700}
            .skipped,.unavailable,.interrupted,.guest-failed,.usage,.splat{background:#6e7781}
            .tag{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
            .zero td{color:#9a6700}details{margin:6px 0}summary{cursor:pointer;font-weight:600}
            .wide{overflow-x:auto}.side{display:grid;grid-template-columns:1fr;gap:8px}.muted{color:#57606a}
            """;
    private static final String SCRIPT = """
            function onlyZero(box, id) {
              for (const row of document.querySelectorAll('#' + id + ' tr.c')) {
                row.style.display = box.checked && !row.classList.contains('zero') ? 'none' : '';
              }
            }
            """;

    private HtmlReport() {
    }

    static String render(CheckReport report, List<KernelView> views) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
                .append("<title>ringspec check: ").append(esc(report.outcome())).append("</title>\n<style>")
                .append(STYLE).append("</style>\n<script>").append(SCRIPT).append("</script></head><body>\n");
        b.append("<h1>ringspec check <span class=\"verdict ").append(cls(report.outcome())).append("\">")
                .append(esc(report.outcome())).append("</span></h1>\n");
        b.append(String.format("<p class=\"muted\"><code>ringspec %s</code> &middot; started %s &middot; %.1f s "
                + "&middot; exit status %d &middot; JSON schema <code>%s</code></p>%n", esc(report.command()),
                esc(report.started().toString()), report.seconds(), report.status(), CheckReport.SCHEMA));
        b.append("<div class=\"wide\"><table><tr><th>kernel</th><th>outcome</th><th>release</th><th>profile</th><th>areas</th>"
                + "<th>replays</th><th>runs</th><th>steps</th><th>new divergences</th><th>catalogue hits</th></tr>\n");
        for (KernelView v : views) {
            CheckReport.Kernel k = v.kernel;
            b.append("<tr><td><a href=\"#").append(kernelAnchor(v)).append("\">").append(esc(k.kernel()))
                    .append("</a></td><td>").append(tag(k.outcome())).append("</td><td>").append(esc(k.release()))
                    .append("</td><td>").append(esc(k.profile())).append("</td><td>").append(areaBar(v))
                    .append("</td>");
            num(b, v.replays);
            num(b, v.runs);
            num(b, v.steps);
            num(b, v.findings.size());
            num(b, v.hits.stream().mapToLong(h -> h.runs() + h.replays()).sum());
            b.append("</tr>\n");
        }
        b.append("</table></div>\n");
        for (KernelView v : views) {
            kernel(b, v);
        }
        List<DivergenceCatalogue.Entry> entries = Reports.entriesHit(report, views);
        if (!entries.isEmpty()) {
            b.append("<h2>Catalogue entries hit</h2>\n<p class=\"muted\">From <code>")
                    .append(CheckReport.CATALOGUE_FILE).append("</code>.</p>\n");
            for (DivergenceCatalogue.Entry e : entries) {
                b.append("<details id=\"").append(Reports.catalogueAnchor(e.id())).append("\"><summary>")
                        .append(esc(e.id())).append("</summary><table>");
                row(b, "kernels", e.kernelVersions());
                row(b, "observed", e.observed());
                row(b, "intended", e.intended());
                row(b, "wrong side", e.wrongSide());
                row(b, "why it matters", e.why());
                row(b, "evidence", e.evidence());
                row(b, "replay", e.replay());
                b.append("</table></details>\n");
            }
        }
        b.append("<script>for (const d of document.querySelectorAll('details')) { if (location.hash === '#' + d.id)"
                + " d.open = true; }</script>\n</body></html>\n");
        return b.toString();
    }

    private static void kernel(StringBuilder b, KernelView v) {
        CheckReport.Kernel k = v.kernel;
        b.append("<h2 id=\"").append(kernelAnchor(v)).append("\">").append(esc(k.kernel())).append(' ')
                .append(tag(k.outcome())).append("</h2>\n");
        if (k.reason() != null) {
            b.append("<p>").append(esc(k.reason())).append("</p>\n");
        }
        if (k.release() != null) {
            b.append("<p>Release <b>").append(esc(k.release())).append("</b>, model profile <b>")
                    .append(esc(k.profile())).append("</b>")
                    .append(k.bootSeconds() == null ? "" : String.format(", booted in %.1f s", k.bootSeconds()))
                    .append(String.format("; %d replays, %d generated runs, %d steps in %.1f s%s.</p>%n", v.replays,
                            v.runs, v.steps, v.seconds, v.stopped ? " (stopped early)" : ""));
        }
        b.append("<h3>Areas</h3>\n<table><tr><th>area</th><th>outcome</th><th>summary</th></tr>\n");
        for (KernelView.Area a : v.areas) {
            b.append("<tr><td>").append(esc(a.name())).append("</td><td>").append(tag(a.outcome()))
                    .append("</td><td>").append(esc(a.summary()));
            for (KernelView.NewFinding f : a.failures()) {
                b.append(" <a href=\"#").append(f.anchor()).append("\">").append(f.anchor()).append("</a>");
            }
            b.append("</td></tr>\n");
        }
        b.append("</table>\n");
        for (String bad : v.badReplays) {
            b.append("<p>").append(tag("error")).append(" bad replay: ").append(esc(bad)).append("</p>\n");
        }
        if (!v.findings.isEmpty()) {
            b.append("<h3>New divergences</h3>\n");
        }
        for (KernelView.NewFinding f : v.findings) {
            finding(b, f);
        }
        if (!v.newInvariants.isEmpty()) {
            b.append("<h3>Invariants the kernel broke (not in the catalogue)</h3><ul>");
            v.newInvariants.forEach(i -> b.append("<li>").append(esc(i)).append("</li>"));
            b.append("</ul>\n");
        }
        if (!v.hits.isEmpty()) {
            b.append("<h3>Known kernel differences (catalogue hits)</h3>\n<table><tr><th>entry</th>"
                    + "<th>generated runs</th><th>first seed</th><th>replays</th></tr>\n");
            for (KernelView.Hit h : v.hits) {
                b.append("<tr><td><a href=\"#").append(Reports.catalogueAnchor(h.id())).append("\">")
                        .append(esc(h.id())).append("</a></td>");
                num(b, h.runs());
                b.append("<td class=\"n\">").append(h.firstSeed() < 0 ? "-" : h.firstSeed()).append("</td>");
                num(b, h.replays());
                b.append("</tr>\n");
            }
            b.append("</table>\n");
        }
        if (k.capsTable() != null) {
            b.append("<details><summary>Capabilities beside the latest uapi</summary><pre>").append(esc(k.capsTable()))
                    .append("</pre></details>\n");
        }
        if (k.lockstep() != null) {
            coverage(b, v);
        }
    }

    private static void finding(StringBuilder b, KernelView.NewFinding f) {
        b.append("<section id=\"").append(f.anchor()).append("\"><h3>").append(tag(f.stable() ? "failed" : "skipped"))
                .append(' ').append(esc(f.title())).append("</h3>\n<p><code>").append(esc(f.field()))
                .append("</code> after step ").append(f.step()).append(": the reference says <code>")
                .append(esc(f.referenceValue())).append("</code>; the kernel side says <code>")
                .append(esc(f.subjectValue())).append("</code>.")
                .append(f.shrink() == null ? "" : " " + esc(f.shrink()) + ".")
                .append(f.replayFile() == null ? "" : " Saved as <code>" + esc(f.replayFile()) + "</code>.")
                .append("</p>\n<div class=\"side\"><div><b>Minimal steps</b><pre>")
                .append(esc(String.join("\n", f.steps()))).append("</pre></div>");
        if (f.diff() != null) {
            b.append("<div><b>Ring state after step ").append(f.step()).append(", side by side</b><pre>")
                    .append(esc(f.diff())).append("</pre></div>");
        }
        b.append("</div>\n");
        if (f.cReproducer() != null) {
            b.append("<details><summary>C reproducer</summary><pre>").append(esc(f.cReproducer()))
                    .append("</pre></details>\n");
        }
        if (f.junitBody() != null) {
            b.append("<details><summary>JUnit test</summary><pre>").append(esc(f.junitBody()))
                    .append("</pre></details>\n");
        }
        b.append("</section>\n");
    }

    private static void coverage(StringBuilder b, KernelView v) {
        String id = kernelAnchor(v) + "-coverage";
        b.append(String.format("<details><summary>Coverage: %d of %d labels reached, %d of %d rules of the model seen"
                + "</summary>%n<label><input type=\"checkbox\" onchange=\"onlyZero(this, '%s')\"> only what was "
                + "never reached</label>%n<table id=\"%s\"><tr><th>label or rule</th><th>count</th></tr>%n",
                v.labels.size() - v.labelsNeverReached().size(), v.labels.size(),
                v.rules.size() - v.rulesNeverReached().size(), v.rules.size(), id, id));
        counts(b, v.labels, "");
        counts(b, v.rules, "rule ");
        b.append("</table></details>\n");
    }

    private static void counts(StringBuilder b, Map<String, Long> counts, String prefix) {
        counts.forEach((label, n) -> {
            b.append("<tr class=\"c").append(n == 0 ? " zero" : "").append("\"><td>").append(esc(prefix + label))
                    .append("</td>");
            num(b, n);
            b.append("</tr>\n");
        });
    }

    /** One coloured segment per area: a kernel's results at a glance. */
    private static String areaBar(KernelView v) {
        StringBuilder b = new StringBuilder("<svg width=\"").append(v.areas.size() * 22)
                .append("\" height=\"14\" role=\"img\"><title>");
        v.areas.forEach(a -> b.append(esc(a.name() + ": " + a.outcome() + "; ")));
        b.append("</title>");
        for (int i = 0; i < v.areas.size(); i++) {
            String colour = switch (v.areas.get(i).outcome()) {
                case "passed" -> "#1a7f37";
                case "failed" -> "#cf222e";
                case "error" -> "#9a6700";
                default -> "#8c959f";
            };
            b.append("<rect x=\"").append(i * 22).append("\" y=\"1\" width=\"20\" height=\"12\" rx=\"2\" fill=\"")
                    .append(colour).append("\"/>");
        }
        return b.append("</svg>").toString();
    }

    private static void row(StringBuilder b, String name, String value) {
        if (value != null) {
            b.append("<tr><th>").append(name).append("</th><td>").append(esc(value)).append("</td></tr>");
        }
    }

    private static void num(StringBuilder b, long n) {
        b.append("<td class=\"n\">").append(n).append("</td>");
    }

    private static String tag(String outcome) {
        return "<span class=\"tag " + cls(outcome) + "\">" + esc(outcome) + "</span>";
    }

    private static String cls(String outcome) {
        return outcome == null ? "" : outcome.replace(' ', '-');
    }

    private static String kernelAnchor(KernelView v) {
        return "kernel-" + v.kernel.kernel().replaceAll("[^A-Za-z0-9_-]", "-");
    }

    static String esc(String text) {
        if (text == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
