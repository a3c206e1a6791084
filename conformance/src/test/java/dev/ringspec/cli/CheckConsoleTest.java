package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.nativerunner.IoUringAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ringspec check} as a new user meets it: started from any directory, with a replay directory holding files
 * that are no replays, interrupted with Ctrl-C; every time one sentence where something is wrong, and a summary.
 */
@Tag("kernel")
class CheckConsoleTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needsIoUring() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
    }

    private static List<String> shippedReplayNames() throws Exception {
        try (Stream<Path> files = Files.list(ReplayStore.shipped().orElseThrow().directory())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void fromAnotherDirectoryTheShippedReplaysRunOneLineEachAndNothingIsWrittenThere() throws Exception {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path out = tmp.resolve("out");
        ChildRingspec child = ChildRingspec.start(elsewhere, null, Map.of(), "check", "--runs", "3", "--steps", "50",
                "--out", out.toString(), "--progress-seconds", "0");
        int status = child.finish(600);
        String text = child.output();
        assertThat(status).as(text).isIn(ExitStatus.OK, ExitStatus.DIVERGENCE);
        assertThat(text).contains("replays from those shipped with ringspec", "new findings go to "
                + out.resolve("replays"), "progress: 3 of 3 runs");
        List<String> replays = shippedReplayNames();
        assertThat(replays).hasSizeGreaterThan(10);
        for (String name : replays) {
            assertThat(text.lines().filter(l -> l.startsWith("replay " + name + ":"))).as(name).hasSize(1);
        }
        // a catalogued difference a replay still shows is one line, not its steps and ring states
        assertThat(text).doesNotContain("CATALOGUED DIVERGENCE", "<-- diverges");
        assertThat(text).containsPattern("replays: \\d+ of " + replays.size() + " still show a catalogued difference");
        try (Stream<Path> left = Files.list(elsewhere)) {
            assertThat(left).as("files left in the working directory").isEmpty();
        }
    }

    @Test
    void replayFilesThatAreNoReplaysAreNamedOnceEachAndTheRestOfTheCheckRuns() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("replays"));
        Path good = ReplayStore.shipped().orElseThrow().directory().resolve("cqe32-stale-big-cqe-after-skip.json");
        String json = Files.readString(good);
        Files.writeString(dir.resolve("a-good.json"), json);
        Files.writeString(dir.resolve("b-empty.json"), "");
        Files.writeString(dir.resolve("c-not-json.json"), "<html>not a replay</html>\n");
        Files.writeString(dir.resolve("d-unknown-step.json"), json.replace("\"op\" : \"setup\"", "\"op\" : \"reboot\""));
        // registerFiles with count -4: the kernel's nr_args is huge, so both sides answer -EINVAL; the harness
        // once sliced -16 bytes of its descriptor table and crashed
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode negative = (ObjectNode) mapper.readTree(json);
        ((ArrayNode) negative.get("steps")).insertObject(1).put("op", "registerFiles").put("count", -4)
                .put("sparse", false).put("pattern", 0);
        Files.writeString(dir.resolve("e-negative-count.json"), mapper.writeValueAsString(negative));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int status = cli.execute("check", "--runs", "2", "--steps", "50", "--replay-dir", dir.toString(), "--out",
                tmp.resolve("out").toString());

        String text = out + err.toString();
        assertThat(status).as(text).isEqualTo(ExitStatus.BAD_INPUT);
        for (String bad : List.of("b-empty.json", "c-not-json.json", "d-unknown-step.json")) {
            assertThat(text.lines().filter(l -> l.startsWith("bad replay: " + dir.resolve(bad))))
                    .as(bad).hasSize(2).allSatisfy(l -> assertThat(l).endsWith("; skipped"));
        }
        assertThat(text).contains("the file is empty", "not JSON", "unknown step \"reboot\"",
                "replay a-good.json:", "replay e-negative-count.json:", "runs: 2;", "coverage:",
                "(3 bad replay file(s) skipped)").doesNotContain("Exception", "\tat ");
    }

    @Test
    void ctrlCPrintsWhatRanSoFarAndExits130() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("no-replays"));
        ChildRingspec child = ChildRingspec.start(tmp, null, Map.of(), "check", "--runs", "1000000", "--replay-dir",
                empty.toString(), "--out", tmp.resolve("out").toString(), "--progress-seconds", "0");
        try {
            assertThat(child.awaitLine(l -> l.startsWith("progress: "))).as(child.output()).isTrue();
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();
            int status = child.finish(120);
            String text = child.output();
            assertThat(status).as(text).isEqualTo(ExitStatus.INTERRUPTED);
            assertThat(text).contains("ringspec: interrupted", "stopped early", "coverage:",
                    "divergences in generated runs: ").containsPattern("runs: [1-9]\\d*; steps: ");
        } finally {
            child.kill();
        }
    }
}
