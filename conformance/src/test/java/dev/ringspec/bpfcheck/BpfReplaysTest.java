package dev.ringspec.bpfcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
