package dev.ringspec.cli.report;

import dev.ringspec.lockstep.DivergenceCatalogue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The four reports of {@code ringspec check}, written side by side in the output directory: {@value #MARKDOWN} for
 * people, {@value #JSON} for tools ({@link JsonReport}), {@value #JUNIT} for CI dashboards ({@link JUnitReport}) and
 * {@value #HTML}, one page that needs no network ({@link HtmlReport}).
 */
public final class Reports {
    public static final String MARKDOWN = "report.md";
    public static final String JSON = "report.json";
    public static final String JUNIT = "junit.xml";
    public static final String HTML = "report.html";

    private Reports() {
    }

    /** Writes the four reports into {@code dir} (created when needed); the files written, in that order. */
    public static List<Path> write(Path dir, CheckReport report) throws IOException {
        List<KernelView> views = views(report);
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        written.add(write(dir.resolve(MARKDOWN), MarkdownReport.render(report, views)));
        written.add(write(dir.resolve(JSON), JsonReport.render(report, views)));
        written.add(write(dir.resolve(JUNIT), JUnitReport.render(report, views)));
        written.add(write(dir.resolve(HTML), HtmlReport.render(report, views)));
        return written;
    }

    private static Path write(Path file, String text) throws IOException {
        // written beside, then moved: a dashboard reading the directory never sees half a report
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(partial, text, StandardCharsets.UTF_8);
        return Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static List<KernelView> views(CheckReport report) {
        List<KernelView> views = new ArrayList<>();
        for (int i = 0; i < report.kernels().size(); i++) {
            views.add(new KernelView(report.kernels().get(i), i));
        }
        return views;
    }

    /** The catalogue entries any kernel hit, in catalogue order. */
    static List<DivergenceCatalogue.Entry> entriesHit(CheckReport report, List<KernelView> views) {
        Set<String> ids = new LinkedHashSet<>();
        views.forEach(v -> v.hits.forEach(h -> ids.add(h.id())));
        return report.catalogue().entries().stream().filter(e -> ids.contains(e.id())).toList();
    }

    /** The id of a catalogue entry's section in the Markdown and HTML reports. */
    static String catalogueAnchor(String id) {
        return "cat-" + id.replaceAll("[^A-Za-z0-9_-]", "-");
    }
}
