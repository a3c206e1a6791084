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

    @Test
    void checkWritesFourReportsIntoOut() throws Exception {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        StringWriter text = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(text));
        int exit = cli.execute("check", "--seed", "3", "--runs", "10", "--steps", "100", "--out", out.toString());
        assertThat(exit).as(text.toString()).isZero();
        for (String file : new String[] {"report.md", "report.json", "junit.xml", "report.html"}) {
            assertThat(text.toString()).contains(out.resolve(file).toAbsolutePath().toString());
            assertThat(out.resolve(file)).isNotEmptyFile();
        }
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
                .newSchema(getClass().getResource("/junit-report.xsd")).newValidator()
                .validate(new StreamSource(out.resolve("junit.xml").toFile()));
        JsonNode json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        JsonNode kernel = json.get("kernels").get(0);
        assertThat(kernel.get("kernel").asText()).isEqualTo("native");
        assertThat(kernel.get("caps").get("requestOpcodes").get("uapiCount").asInt()).isGreaterThan(60);
        assertThat(kernel.get("totals").get("runs").asInt()).isEqualTo(10);
        // the shipped replays run, one test case each
        assertThat(kernel.get("replayFiles").size()).isEqualTo(kernel.get("totals").get("replays").asInt())
                .isPositive();
        assertThat(kernel.get("bpfStatus").asInt()).isZero();
        assertThat(Files.readString(out.resolve("junit.xml")))
                .contains("classname=\"ringspec.native.replays\"", "name=\"classic BPF\"");
    }
}
