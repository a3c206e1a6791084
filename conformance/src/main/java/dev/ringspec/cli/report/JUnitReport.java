package dev.ringspec.cli.report;

import java.io.StringWriter;
import java.util.List;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The report for CI dashboards: {@code junit.xml}, in the JUnit XML format that Jenkins, GitLab and GitHub's test
 * reporters read (the Ant/Surefire {@code testsuites} shape). One {@code testsuite} per kernel, named
 * {@code ringspec.KERNEL}; in it one {@code testcase} per replay (the saved scenarios, class
 * {@code ringspec.KERNEL.replays}) and one per lockstep area (class {@code ringspec.KERNEL.lockstep}). A new
 * divergence fails its replay's case or the generated runs' case, and the failure's text carries its shrunk steps,
 * the side-by-side ring state, the C reproducer and the JUnit test; a bad replay file is an {@code error}; an area
 * that did not run is {@code skipped}.
 */
final class JUnitReport {
    private JUnitReport() {
    }

    static String render(CheckReport report, List<KernelView> views) {
        StringWriter text = new StringWriter();
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(text);
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuites");
            x.writeAttribute("name", "ringspec check");
            int[] all = new int[4];
            views.forEach(v -> add(all, tally(v)));
            counts(x, all);
            x.writeAttribute("time", seconds(report.seconds()));
            for (KernelView v : views) {
                suite(x, report, v);
            }
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException(e);
        }
        return text + "\n";
    }

    private static void suite(XMLStreamWriter x, CheckReport report, KernelView v) throws XMLStreamException {
        CheckReport.Kernel k = v.kernel;
        x.writeCharacters("\n  ");
        x.writeStartElement("testsuite");
        x.writeAttribute("name", "ringspec." + k.kernel());
        counts(x, tally(v));
        x.writeAttribute("time", seconds(v.seconds));
        x.writeAttribute("timestamp", report.started().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                .replace("Z", ""));
        x.writeCharacters("\n    ");
        x.writeStartElement("properties");
        property(x, "kernel", k.kernel());
        property(x, "outcome", k.outcome());
        property(x, "exitStatus", String.valueOf(k.status()));
        property(x, "release", k.release());
        property(x, "profile", k.profile());
        property(x, "reason", k.reason());
        for (KernelView.Hit h : v.hits) {
            property(x, "catalogued:" + h.id(), h.runs() + " run(s), " + h.replays() + " replay(s)");
        }
        x.writeCharacters("\n    ");
        x.writeEndElement();
        for (String replay : v.replayFiles) {
            List<KernelView.NewFinding> failed = v.findings.stream()
                    .filter(f -> f.replayFile() != null && f.replayFile().endsWith(replay)).toList();
            testcase(x, "ringspec." + k.kernel() + ".replays", replay, "0", failed, null, null);
        }
        for (KernelView.Area a : v.areas) {
            String error = a.outcome().equals("error") ? String.join("\n", v.badReplays) : null;
            String skipped = a.outcome().equals("skipped") ? a.summary() : null;
            String failure = a.outcome().equals("failed") && a.failures().isEmpty() ? a.summary() : null;
            List<KernelView.NewFinding> failures = a.failures().stream().filter(KernelView.NewFinding::stable)
                    .toList();
            testcase(x, "ringspec." + k.kernel() + ".lockstep", a.name(),
                    a.name().equals(KernelView.GENERATED) ? seconds(v.seconds) : "0", failures,
                    error != null ? error : failure, skipped);
        }
        if (k.capsTable() != null) {
            x.writeCharacters("\n    ");
            x.writeStartElement("system-out");
            x.writeCharacters(clean(k.capsTable()));
            x.writeEndElement();
        }
        x.writeCharacters("\n  ");
        x.writeEndElement();
    }

    /**
     * One test case: failed by each of {@code failures}; or in error (bad input), failed by a sentence, or skipped,
     * as {@code other} and {@code skipped} say.
     */
    private static void testcase(XMLStreamWriter x, String classname, String name, String time,
            List<KernelView.NewFinding> failures, String other, String skipped) throws XMLStreamException {
        x.writeCharacters("\n    ");
        x.writeStartElement("testcase");
        x.writeAttribute("classname", classname);
        x.writeAttribute("name", name);
        x.writeAttribute("time", time);
        if (skipped != null) {
            x.writeEmptyElement("skipped");
            x.writeAttribute("message", clean(skipped));
        } else if (other != null && failures.isEmpty()) {
            boolean error = name.equals(KernelView.REPLAYS);
            x.writeStartElement(error ? "error" : "failure");
            x.writeAttribute("message", clean(other.lines().findFirst().orElse("")));
            x.writeAttribute("type", error ? "bad replay" : "new divergence");
            x.writeCharacters(clean(other));
            x.writeEndElement();
        }
        for (KernelView.NewFinding f : failures) {
            x.writeStartElement("failure");
            x.writeAttribute("message", clean("new divergence " + f.title() + ": the reference says "
                    + f.referenceValue() + "; the kernel side says " + f.subjectValue()));
            x.writeAttribute("type", "new divergence");
            x.writeCharacters(clean(body(f)));
            x.writeEndElement();
        }
        x.writeEndElement();
    }

    /** A failure's text: what the terminal printed for the divergence, then its reproducers. */
    static String body(KernelView.NewFinding f) {
        StringBuilder b = new StringBuilder();
        b.append(f.title()).append('\n').append(f.field()).append(" after step ").append(f.step())
                .append(": the reference says ").append(f.referenceValue()).append("; the kernel side says ")
                .append(f.subjectValue()).append('\n');
        if (f.shrink() != null) {
            b.append(f.shrink()).append('\n');
        }
        if (f.replayFile() != null) {
            b.append("saved as ").append(f.replayFile()).append('\n');
        }
        b.append("\nsteps:\n").append(String.join("\n", f.steps())).append('\n');
        if (f.diff() != null) {
            b.append("\nring state after step ").append(f.step()).append(":\n").append(f.diff()).append('\n');
        }
        if (f.cReproducer() != null) {
            b.append("\nC reproducer:\n").append(f.cReproducer()).append('\n');
        }
        if (f.junitBody() != null) {
            b.append("\nJUnit test:\n").append(f.junitBody()).append('\n');
        }
        return b.toString();
    }

    /** tests, failures, errors, skipped of one kernel's suite. */
    private static int[] tally(KernelView v) {
        int[] t = new int[4];
        for (String replay : v.replayFiles) {
            t[0]++;
            if (v.findings.stream().anyMatch(f -> f.replayFile() != null && f.replayFile().endsWith(replay))) {
                t[1]++;
            }
        }
        for (KernelView.Area a : v.areas) {
            t[0]++;
            switch (a.outcome()) {
                case "failed" -> t[1] += a.failures().isEmpty() || a.failures().stream()
                        .anyMatch(KernelView.NewFinding::stable) ? 1 : 0;
                case "error" -> t[2]++;
                case "skipped" -> t[3]++;
                default -> { }
            }
        }
        return t;
    }

    private static void add(int[] sum, int[] t) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += t[i];
        }
    }

    private static void counts(XMLStreamWriter x, int[] t) throws XMLStreamException {
        x.writeAttribute("tests", String.valueOf(t[0]));
        x.writeAttribute("failures", String.valueOf(t[1]));
        x.writeAttribute("errors", String.valueOf(t[2]));
        x.writeAttribute("skipped", String.valueOf(t[3]));
    }

    private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
        if (value == null) {
            return;
        }
        x.writeCharacters("\n      ");
        x.writeEmptyElement("property");
        x.writeAttribute("name", name);
        x.writeAttribute("value", clean(value));
    }

    private static String seconds(double s) {
        return String.format(java.util.Locale.ROOT, "%.3f", s);
    }

    /** Text XML 1.0 can hold: control characters other than tab and line ends become U+FFFD. */
    private static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 && c != '\t' && c != '\n' && c != '\r'
                || c == 0xFFFE || c == 0xFFFF ? 0xFFFD : c));
        return b.toString();
    }
}
