package dev.ringspec.guest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The agent mirrors this process's descriptor table by number ({@link AgentSession#mirrorFileTable()}): when a number
 * it mirrored is closed here and reused for another file, the agent's descriptor must follow, not keep the old file.
 * Checked on an agent running natively, through its {@code /proc/<pid>/fd} links.
 */
@Tag("kernel")
class AgentFileMirrorTest {

    @Test
    void aHostNumberReusedForAnotherPipeGetsTheNewPipe() throws Exception {
        NativeAgent agent = NativeAgent.start();
        try (AgentSession session = AgentSession.open(agent, Duration.ofSeconds(30))) {
            int[] first = Posix.pipe(Posix.O_CLOEXEC);
            session.mirrorFileTable();
            Path inAgent = Path.of("/proc", Long.toString(agent.process().pid()), "fd", Integer.toString(first[0]));
            String before = Files.readSymbolicLink(inAgent).toString();
            assertThat(before).startsWith("pipe:[");
            Posix.close(first[0]);
            Posix.close(first[1]);
            int[] second = Posix.pipe(Posix.O_CLOEXEC);
            try {
                assumeTrue(second[0] == first[0], "another thread took the number meanwhile");
                session.mirrorFileTable();
                assertThat(Files.readSymbolicLink(inAgent).toString()).as("the agent's fd %d", first[0])
                        .startsWith("pipe:[").isNotEqualTo(before);
            } finally {
                Posix.close(second[0]);
                Posix.close(second[1]);
            }
        }
    }
}
