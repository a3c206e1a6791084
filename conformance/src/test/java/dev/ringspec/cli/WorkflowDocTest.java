package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The GitHub Actions workflow the README shows is the one in docs/, and it runs what the README documents. */
class WorkflowDocTest {
    @Test
    void theReadmeShowsTheWorkflowFileWhole() throws Exception {
        String workflow = Files.readString(Path.of("..", "docs", "github-actions.yml"));
        assertThat(Files.readString(Path.of("..", "README.md"))).contains("```yaml\n" + workflow + "```\n");
    }

    @Test
    void theWorkflowChecksTheRunnerAndTheMatrixAndUploadsOut() throws Exception {
        String workflow = Files.readString(Path.of("..", "docs", "github-actions.yml"));
        assertThat(workflow).contains("java -jar conformance/target/ringspec.jar check --out reports/native",
                "check --kernel debian:6.12,debian:7.2 --out reports/matrix", "actions/upload-artifact",
                "path: reports/", "java-version: \"25\"");
        // the upload and the matrix run after a failed check too: the reports matter most then
        assertThat(workflow.split("if: \\$\\{\\{ !cancelled\\(\\) }}", -1)).hasSize(5);
    }
}
