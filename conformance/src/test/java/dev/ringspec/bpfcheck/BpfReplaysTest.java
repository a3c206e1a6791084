package dev.ringspec.bpfcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A saved case comes back as it was, with its reproducer beside it. */
class BpfReplaysTest {
    @TempDir
    Path dir;

    @Test
    void aSavedCaseLoadsBackWithItsReproducer() throws Exception {
        BpfReplays replays = new BpfReplays(dir.resolve("bpf"));
        assertThat(replays.load()).isEmpty();
        BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(3, 4));
        Path json = replays.save("case-1", c, "RESULT: a difference", "int main(void) { return 0; }\n");
        assertThat(replays.load()).containsExactly(c);
        assertThat(Files.readString(json)).contains("RESULT: a difference");
        assertThat(dir.resolve("bpf").resolve("case-1.c")).hasContent("int main(void) { return 0; }");
    }

    @Test
    void aFileThatIsNotAReplayIsNamedAndSkippedAndTheOthersStillLoad() throws Exception {
        BpfReplays replays = new BpfReplays(dir);
        BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(5, 6));
        replays.save("b-good", c, "RESULT", "int main(void) { return 0; }\n");
        Files.writeString(dir.resolve("a-corrupt.json"), "{not json");
        Files.writeString(dir.resolve("c-empty.json"), "");
        Files.writeString(dir.resolve("d-wrong.json"), "{\"seed\": 1}");
        List<String> problems = new ArrayList<>();
        assertThat(replays.load(problems::add)).containsExactly(c);
        assertThat(problems).hasSize(3).allSatisfy(p -> assertThat(p).contains("is not a cBPF replay").endsWith(
                "skipped"));
        assertThat(problems.get(0)).contains("a-corrupt.json");
    }
}
