package dev.ringspec.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.LockstepRunner;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Mutant;
import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The four reports of a check, from real lockstep results: a model mutant against the unmutated model (the engine
 * finds, shrinks and reproduces a real divergence, with no kernel needed) and the model against itself (clean). The
 * JUnit XML is validated against {@code junit-report.xsd}, the format CI servers read.
 */
class ReportsTest {
    private static final KernelProfile PROFILE = KernelProfile.LINUX_6_18;

    @TempDir
    Path dir;

    static Backend model(Set<Mutant> mutants) {
        return Backend.model("model, profile " + PROFILE.version() + (mutants.isEmpty() ? "" : ", mutants " + mutants),
                memory -> new ModelIoUring(PROFILE, memory, mutants));
    }

    /** A check of the unmutated model (the "kernel" side) against {@code mutants}: its report. */
    static CheckReport report(Set<Mutant> mutants, int runs) {
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withSeed(1).withRuns(runs).withSteps(200)
                .withSaveReplays(false).withShrinkBudget(Duration.ofSeconds(5));
        Backend reference = model(mutants);
        Backend subject = model(Set.of());
        LockstepCheck.Summary s = new LockstepCheck(reference, subject, DivergenceCatalogue.load(), config,
                model(Set.of())).run(new PrintWriter(PrintWriter.nullWriter()));
        int status = s.newDivergences().isEmpty() ? 0 : 1;
        CheckReport.Lockstep lockstep = new CheckReport.Lockstep(reference.name(), subject.name(),
                LockstepRunner.Role.SUBJECT, 1, 200, runs, List.of(s), null);
        CheckReport.Kernel kernel = new CheckReport.Kernel("model", status, status == 0 ? "ok" : "divergence", null,
                "model " + PROFILE.version(), PROFILE.version(), null, "io_uring on the model\n", null, lockstep,
                null);
        return new CheckReport("check --test", Instant.parse("2026-11-26T05:00:00Z"), 1.5, status,
                status == 0 ? "ok" : "divergence", List.of(kernel, CheckReport.Kernel.failed("debian:6.1", 77,
                        "unavailable", "QEMU <is> missing & so on")), DivergenceCatalogue.load());
    }

    @Test
    void mutantDivergenceIsInEveryReportWithStepsDiffAndReproducers() throws Exception {
        CheckReport report = report(Set.of(Mutant.DROPPED_SQE_COUNTED), 200);
        List<Path> files = Reports.write(dir, report);
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("report.md", "report.json", "junit.xml", "report.html");
        LockstepCheck.Finding finding = report.kernels().getFirst().lockstep().parts().getFirst().newDivergences()
                .getFirst();
        String firstStep = finding.steps().getFirst().describe();
        String reproducerLine = finding.cReproducer().lines().filter(l -> l.contains("(")).findFirst().orElseThrow();

        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(json.get("schema").asText()).isEqualTo("ringspec-check-report/1");
        assertThat(json.get("status").asInt()).isEqualTo(1);
        JsonNode kernel = json.get("kernels").get(0);
        JsonNode found = kernel.get("newDivergences").get(0);
        assertThat(found.get("steps")).hasSize(finding.steps().size());
        assertThat(found.get("steps").get(0).asText()).contains(firstStep);
        assertThat(found.get("diff").asText()).contains("model, profile 6.18, mutants [DROPPED_SQE_COUNTED]");
        assertThat(found.get("cReproducer").asText()).contains(reproducerLine);
        assertThat(found.get("junitBody").asText()).contains("@Test");
        assertThat(kernel.get("areas").findValuesAsText("outcome")).contains("failed");
        assertThat(kernel.get("coverage").get("rules").size()).isGreaterThan(10);
        assertThat(json.get("kernels").get(1).get("reason").asText()).isEqualTo("QEMU <is> missing & so on");

        Document junit = validJUnit(dir.resolve("junit.xml"));
        Element generated = testcase(junit, "ringspec.model.lockstep", "generated runs");
        NodeList failures = generated.getElementsByTagName("failure");
        assertThat(failures.getLength()).isEqualTo(1);
        assertThat(failures.item(0).getTextContent()).contains(firstStep, reproducerLine, "ring state after step",
                "@Test");
        assertThat(testcase(junit, "ringspec.debian:6.1.lockstep", "replays").getElementsByTagName("skipped")
                .getLength()).isEqualTo(1);
        Element suites = junit.getDocumentElement();
        assertThat(suites.getAttribute("failures")).isEqualTo("1");

        String md = Files.readString(dir.resolve("report.md"));
        assertThat(md).contains("# ringspec check: divergence (exit status 1)", "<a id=\"k0-new-1\"></a>",
                "](#k0-new-1)", firstStep, reproducerLine, "```c");
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("<section id=\"k0-new-1\">", HtmlReport.esc(firstStep),
                "QEMU &lt;is&gt; missing &amp; so on");
        assertNoNetwork(html);
    }

    @Test
    void cleanCheckReportsPassesAndCatalogueLinksResolve() throws Exception {
        CheckReport report = report(Set.of(), 20);
        Reports.write(dir, report);
        Document junit = validJUnit(dir.resolve("junit.xml"));
        assertThat(junit.getElementsByTagName("failure").getLength()).isZero();
        assertThat(testcase(junit, "ringspec.model.lockstep", "generated runs").getAttribute("time"))
                .matches("\\d+\\.\\d{3}");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(json.get("outcome").asText()).isEqualTo("ok");
        assertThat(json.get("kernels").get(0).get("newDivergences")).isEmpty();
        assertThat(json.get("kernels").get(0).get("totals").get("runs").asInt()).isEqualTo(20);
        // every in-page link of the page and of the Markdown has its target
        for (String file : List.of("report.html", "report.md")) {
            String text = Files.readString(dir.resolve(file));
            Matcher link = Pattern.compile("(?:href=\"|\\]\\()#([^\")]+)").matcher(text);
            while (link.find()) {
                assertThat(text).as(file + " link #" + link.group(1)).contains("id=\"" + link.group(1) + "\"");
            }
        }
    }

    @Test
    void schemaRejectsWhatCiServersWouldNotRead() throws Exception {
        Path bad = dir.resolve("bad.xml");
        Files.writeString(bad, "<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"no class\"/>"
                + "</testsuite></testsuites>");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> validJUnit(bad)))
                .isInstanceOf(org.xml.sax.SAXException.class).hasMessageContaining("classname");
        Files.writeString(bad, "<testsuites><testsuite name=\"s\" tests=\"-1\"/></testsuites>");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> validJUnit(bad)))
                .isInstanceOf(org.xml.sax.SAXException.class);
    }

    /** The page loads nothing: no src, no link, no href leaving the page. */
    static void assertNoNetwork(String html) {
        assertThat(html).doesNotContainPattern("(?i)<(link|img|iframe|object|embed)\\b")
                .doesNotContainPattern("(?i)src\\s*=").doesNotContainPattern("(?i)href=\"(?!#)")
                .doesNotContainPattern("(?i)url\\(").doesNotContainPattern("(?i)@import");
    }

    static Document validJUnit(Path file) throws Exception {
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        factory.newSchema(ReportsTest.class.getResource("/junit-report.xsd")).newValidator()
                .validate(new StreamSource(file.toFile()));
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    private static Element testcase(Document junit, String classname, String name) {
        NodeList cases = junit.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element e = (Element) cases.item(i);
            if (e.getAttribute("classname").equals(classname) && e.getAttribute("name").equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no test case " + classname + " " + name);
    }
}
