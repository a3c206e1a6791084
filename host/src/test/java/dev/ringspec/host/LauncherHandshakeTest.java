package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's FIFO handshake when its supervisor dies in the middle of it: the launcher must not stay blocked in
 * either FIFO open. A shell stands in for the JVM (the launcher's parent, whose process id it is given) and is
 * killed with SIGKILL at each blocking open; the launcher must be gone (or a zombie waiting for its new parent)
 * within seconds. No io_uring and no seccomp listener are taken here, so this runs wherever the launcher was built.
 */
class LauncherHandshakeTest {
    @TempDir
    static Path dir;

    private static Path launcher;

    @BeforeAll
    static void extract() throws IOException {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "the launcher filters x86-64 syscalls only");
        launcher = dir.resolve("ringspec-launcher");
        try (InputStream in = Launcher.class.getResourceAsStream("/dev/ringspec/host/ringspec-launcher")) {
            assertThat(in).as("the launcher resource").isNotNull();
            Files.copy(in, launcher);
        }
        assertThat(launcher.toFile().setExecutable(true, true)).isTrue();
    }

    @Test
    @Timeout(60)
    void aSupervisorKilledBeforeItReadsTheListenerLeavesNoLauncher() throws Exception {
        // the launcher blocks in open(FIFO, O_WRONLY): nobody ever opens the FIFO to read
        assertLauncherEndsWithItsParent("");
    }

    @Test
    @Timeout(60)
    void aSupervisorKilledBeforeItAcknowledgesLeavesNoLauncher() throws Exception {
        // the launcher wrote its line and blocks in open(FIFO, O_RDONLY): the acknowledgement never comes
        assertLauncherEndsWithItsParent("read line < \"$1\"; ");
    }

    @Test
    @Timeout(60)
    void aLauncherWhoseParentIsNotTheSupervisorNamedExitsAtOnce() throws Exception {
        Path fifo = fifo("stranger");
        Path out = dir.resolve("stranger.out");
        Process p = new ProcessBuilder(launcher.toString(), fifo.toString(), "1", "/bin/true").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isEqualTo(127);
        assertThat(Files.readString(out)).contains("the supervisor is gone");
    }

    /**
     * A shell starts the launcher with its own pid as PARENT, runs {@code step} (which may read the launcher's line
     * from the FIFO, "$1"), then sleeps; the shell is killed once the launcher is blocked.
     */
    private static void assertLauncherEndsWithItsParent(String step) throws Exception {
        Path fifo = fifo("listener" + step.length());
        String script = "\"$0\" \"$1\" $$ /bin/true >/dev/null 2>&1 & echo $!; " + step + "echo blocked; exec sleep 60";
        Process shell = new ProcessBuilder(List.of("/bin/sh", "-c", script, launcher.toString(), fifo.toString()))
                .redirectErrorStream(true).start();
        long launcherPid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(),
                StandardCharsets.UTF_8))) {
            launcherPid = Long.parseLong(out.readLine().trim());
            try {
                assertThat(out.readLine()).isEqualTo("blocked");
                // the launcher sleeps in the FIFO's open, the state every later check is against
                assertThat(waitForState(launcherPid, "S", 10_000)).as("launcher %d blocked", launcherPid).isEqualTo(
                        "S");
                shell.destroyForcibly();
                assertThat(shell.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(waitForState(launcherPid, "gone", 10_000)).as("launcher %d after its parent's death",
                        launcherPid).isIn("gone", "Z");
            } finally {
                ProcessHandle.of(launcherPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** The process's state letter from /proc ("gone" when it has no entry), waiting up to {@code millis} for want. */
    private static String waitForState(long pid, String want, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        String state;
        do {
            state = state(pid);
            if (state.equals(want) || (want.equals("gone") && state.equals("Z"))) {
                return state;
            }
            Thread.sleep(20);
        } while (System.nanoTime() - end < 0);
        return state;
    }

    private static String state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // "pid (comm) S ...": the state follows the last ')'
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException gone) {
            return "gone";
        }
    }

    private static Path fifo(String name) throws IOException, InterruptedException {
        Path fifo = dir.resolve(name);
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        return fifo;
    }
}
