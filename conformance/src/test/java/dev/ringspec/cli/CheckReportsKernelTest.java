package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringspec.nativerunner.IoUringAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ringspec check --out DIR} on this kernel writes the four reports, says where, and the JUnit XML is valid. */
@Tag("kernel")
class CheckReportsKernelTest {
    @TempDir
    Path out;

    /** Runs {@code ringspec check} with {@code args} on this kernel, expecting exit 0; its standard output. */
    private static String check(String... args) {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        StringWriter text = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(text));
        int exit = cli.execute(args);
        assertThat(exit).as(text.toString()).isZero();
        return text.toString();
    }

    @Test
    void checkWritesFourReportsIntoOut() throws Exception {
        String text = check("check", "--seed", "3", "--runs", "10", "--steps", "100", "--out", out.toString());
        for (String file : new String[] {"report.md", "report.json", "junit.xml", "report.html"}) {
            assertThat(text).contains(out.resolve(file).toAbsolutePath().toString());
            assertThat(out.resolve(file)).isNotEmptyFile();
        }
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
                .newSchema(getClass().getResource("/junit-report.xsd")).newValidator()
                .validate(new StreamSource(out.resolve("junit.xml").toFile()));
        JsonNode json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        JsonNode kernel = json.get("kernels").get(0);
        assertThat(kernel.get("kernel").asText()).isEqualTo("native");
        // the classic-BPF part is watched for splats too: the log is read a last time after it
        assertThat(text.indexOf("cBPF: ")).as(text).isNotNegative();
        assertThat(text.indexOf("kernel splats: ")).as(text).isGreaterThan(text.indexOf("cBPF: "));
        assertThat(kernel.get("caps").get("requestOpcodes").get("uapiCount").asInt()).isGreaterThan(60);
        assertThat(kernel.get("totals").get("runs").asInt()).isEqualTo(10);
        // the shipped replays run, one test case each
        assertThat(kernel.get("replayFiles").size()).isEqualTo(kernel.get("totals").get("replays").asInt())
                .isPositive();
        assertThat(kernel.get("bpfStatus").asInt()).isZero();
        assertThat(Files.readString(out.resolve("junit.xml")))
                .contains("classname=\"ringspec.native.replays\"", "name=\"classic BPF\"");
    }

    @Test
    void deepModeRunsUntilItsStepBudgetIsSpentAndSaysWhatWasNeverReached() throws Exception {
        String text = check("check", "--seed", "11", "--steps", "100", "--budget", "3000steps", "--replay-dir",
                Files.createDirectories(out.resolve("none")).toString(), "--out", out.toString(),
                "--progress-seconds", "0");
        JsonNode kernel = new ObjectMapper().readTree(out.resolve("report.json").toFile()).get("kernels").get(0);
        // 3000 steps of runs of at most 100 steps: the budget is spent within one run of it
        assertThat(kernel.get("totals").get("steps").asLong()).isBetween(3000L, 3100L);
        assertThat(kernel.get("totals").get("runs").asInt()).isGreaterThanOrEqualTo(30);
        assertThat(kernel.get("areas").get(1).get("summary").asText()).contains("deep mode, budget 3000steps");
        assertThat(kernel.get("coverage").get("rulesNeverReached")).isNotEmpty();
        assertThat(text).contains("deep mode: generated runs until 3000steps are spent")
                .doesNotContain("interrupted");
        // progress counts against the budget (not against a run count the budget has no use for)
        assertThat(text).contains("seed 11, runs of 100 steps;").containsPattern(
                "progress: \\d+ runs, \\d+ of the budget's 3000 steps \\(\\d+%\\), ").doesNotContain(
                Integer.toString(Integer.MAX_VALUE));
    }

    @Test
    void budgetThatIsNoTimeOrStepCountIsAUsageError() {
        for (String bad : new String[] {"0s", "30x", "1.5h", "steps"}) {
            StringWriter err = new StringWriter();
            CommandLine cli = Ringspec.commandLine();
            cli.setErr(new PrintWriter(err));
            assertThat(cli.execute("check", "--budget", bad)).as(bad).isEqualTo(ExitStatus.USAGE);
            assertThat(err.toString()).as(bad).contains("is no budget");
        }
        Budget b = new Budget.Converter().convert("30m");
        assertThat(b.time()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(new Budget.Converter().convert("500000steps").steps()).isEqualTo(500_000L);
    }
}
