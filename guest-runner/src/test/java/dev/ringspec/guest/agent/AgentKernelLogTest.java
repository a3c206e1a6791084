package dev.ringspec.guest.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The agent reads the kernel log for the host ({@link AgentSession#kernelLog()}): the first call answers what the log
 * holds, each later one only what was logged since, as {@code <level>message}. Checked on an agent running natively
 * (it reads this machine's {@code /dev/kmsg}), with an informational line (no splat that a check running beside
 * it could take for its own) written into the log through the agent's write-file request, which writes to a
 * character device instead of replacing it.
 */
@Tag("kernel")
class AgentKernelLogTest {

    @Test
    void aLineWrittenIntoTheKernelLogComesBackOnceWithItsLevel() throws Exception {
        Path kmsg = Path.of("/dev/kmsg");
        assumeTrue(Files.isReadable(kmsg) && Files.isWritable(kmsg), "/dev/kmsg is not readable and writable here "
                + "(not root?), so nothing can be logged and read back");
        NativeAgent agent = NativeAgent.start();
        try (AgentSession session = AgentSession.open(agent, Duration.ofSeconds(30))) {
            session.kernelLog();
            String marker = "ringspec agent log test " + System.nanoTime();
            assertThat(session.writeFile(kmsg.toString(), 0, ("<6>" + marker + "\n")
                    .getBytes(StandardCharsets.UTF_8))).isZero();
            assertThat(Files.isRegularFile(kmsg)).as("/dev/kmsg is still the device, not a file").isFalse();
            AgentSession.KernelLog log = session.kernelLog();
            assertThat(log.lines()).contains("<6>" + marker);
            assertThat(session.kernelLog().lines()).as("read once").doesNotContain("<6>" + marker);
        }
    }
}
