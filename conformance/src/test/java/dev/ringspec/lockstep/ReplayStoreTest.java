package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replay directory as a user leaves it: files that are no replay are named in one sentence each and skipped. */
class ReplayStoreTest {
    @TempDir
    Path dir;

    private static final ReplayCase GOOD = new ReplayCase(5, "model", "kernel", "6.18", "Enter:CQEs", 1, "a", "b",
            List.of(new Step.Setup(4, 0, 0), new Step.Enter(0, 0, 0)));

    @Test
    void eachFileThatIsNoReplayIsNamedWithWhatIsWrongAndTheOthersLoad() throws IOException {
        Path good = new ReplayStore(dir).save(GOOD, "c", "junit");
        String json = Files.readString(good);
        Files.writeString(dir.resolve("a-empty.json"), "");
        Files.writeString(dir.resolve("b-not-json.json"), "this is not json\n");
        Files.writeString(dir.resolve("c-unknown-step.json"), json.replace("\"op\" : \"enter\"", "\"op\" : \"frob\""));
        Files.writeString(dir.resolve("d-cut.json"), json.substring(0, json.length() / 2));
        Files.writeString(dir.resolve("e-no-steps.json"), json.replaceAll("(?s)\"steps\" : \\[.*\\]", "\"steps\" : []"));
        Files.writeString(dir.resolve("f-null-step.json"), json.replace("\"steps\" : [", "\"steps\" : [ null,"));
        List<String> problems = new ArrayList<>();

        List<ReplayStore.Entry> loaded = new ReplayStore(dir).load(problems::add);

        assertThat(loaded).extracting(ReplayStore.Entry::replayCase).containsExactly(GOOD);
        assertThat(problems).hasSize(6).allSatisfy(p -> assertThat(p).contains(dir.toString(), "is not a ring replay")
                .endsWith("; skipped").doesNotContain("\n", "Exception", "dev.ringspec"));
        assertThat(problems.get(0)).contains("a-empty.json", "the file is empty");
        assertThat(problems.get(1)).contains("b-not-json.json", "not JSON");
        assertThat(problems.get(2)).contains("c-unknown-step.json", "unknown step \"frob\" at steps[1]");
        assertThat(problems.get(3)).contains("d-cut.json");
        assertThat(problems.get(4)).contains("e-no-steps.json", "a replay needs at least one step");
        assertThat(problems.get(5)).contains("f-null-step.json", "step 0 is null");
    }

    @Test
    void aMissingDirectoryHoldsNoReplaysAndAFileThatIsNoReplayEndsAStrictLoad() throws IOException {
        assertThat(new ReplayStore(dir.resolve("absent")).load(p -> {
            throw new AssertionError(p);
        })).isEmpty();
        Files.writeString(dir.resolve("empty.json"), "");
        assertThatThrownBy(() -> new ReplayStore(dir).load()).hasMessageContaining("the file is empty");
    }

    @Test
    void aSaveWhereNoDirectoryCanBeMadeFailsWithAnIoError() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> new ReplayStore(file.resolve("replays")).save(GOOD, "c", "j"))
                .isInstanceOf(IOException.class);
    }
}
