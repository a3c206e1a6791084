package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.sys.Linux;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringspec host --serve} ({@link HostServer}) and its C client ({@code src/main/c/ringspec-host-client.c}):
 * a server in a JVM of its own ({@link HostServerMain}, not warmed up), the client run as the ringspec script runs
 * it.
 */
@Timeout(180)
class HostServerTest {
    private static final long SYS_KILL = 62;
    private static final int SIGINT = 2;
    private static final int SIGTERM = 15;

    @TempDir
    static Path dir;
    private static Path waiting;
    private static Server server;

    /** A server JVM, its socket and the lines it wrote on standard error. */
    private record Server(Process process, Path socket, BlockingQueue<String> lines) {
    }

    @BeforeAll
    static void start() throws Exception {
        HostSupport.assumeHostable();
        waiting = HostSupport.compile(dir, "served-wait");
        assumeTrue(waiting != null, "gcc is not installed or cannot build a program here");
        server = startServer("a.sock");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.process().destroyForcibly();
        }
    }

    private static Server startServer(String name) throws Exception {
        Path socket = dir.resolve(name);
        Path reports = Files.createDirectories(dir.resolve("reports-" + name));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HostServerMain.class.getName(), socket.toString(), reports.toString(), "0")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                in.lines().forEach(lines::add);
            } catch (IOException e) {
                // the server ended
            }
        });
        String line;
        do {
            line = lines.poll(60, TimeUnit.SECONDS);
            assertThat(line).as("the server's first lines").isNotNull();
        } while (!line.contains("serving"));
        return new Server(p, socket, lines);
    }

    /** The client as the ringspec script runs it: {@code ringspec-host-client -- PROGRAM ARGS}. */
    private static ProcessBuilder client(Path socket, String... command) {
        List<String> argv = new ArrayList<>(List.of(Path.of("target/classes/dev/ringspec/host/ringspec-host-client")
                .toAbsolutePath().toString(), "--"));
        argv.addAll(List.of(command));
        ProcessBuilder b = new ProcessBuilder(argv);
        b.environment().put("RINGSPEC_HOST_SERVER", socket.toString());
        return b;
    }

    private static String read(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String errors(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aServedProgramsStreamsAndStatusAreTheClientsOwn() throws Exception {
        Path log = dir.resolve("append.txt");
        Files.writeString(log, "before\n");
        // standard output appended to a file (the shell's >>), standard error a pipe
        Process c = client(server.socket(), "sh", "-c", "echo out; echo err >&2; exit 3")
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        String err = errors(c);
        assertThat(c.waitFor()).as(err).isEqualTo(3);
        assertThat(Files.readString(log)).isEqualTo("before\nout\n");
        assertThat(err).startsWith("err\n").contains("ringspec host: 0 rings, 0 intercepted calls");
        // standard output a pipe
        Process piped = client(server.socket(), "sh", "-c", "echo piped; kill -TERM $$").start();
        assertThat(read(piped)).isEqualTo("piped\n");
        assertThat(piped.waitFor()).as("128 + SIGTERM, as ringspec host exits").isEqualTo(143);
    }

    @Test
    void argvEnvironmentAndCwdAreTheClients() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd with space"));
        ProcessBuilder b = client(server.socket(), "sh", "-c", "printf '%s|%s|%s\\n' \"$1\" \"$SERVED_TEST\" \"$PWD\"",
                "sh", "one arg").directory(cwd.toFile());
        b.environment().put("SERVED_TEST", "from the client");
        Process c = b.start();
        assertThat(read(c)).isEqualTo("one arg|from the client|" + cwd.toRealPath() + "\n");
        assertThat(c.waitFor()).isZero();
    }

    @Test
    void aSignalToTheClientEndsTheProgramsHostedWaitWithEintr() throws Exception {
        Process c = client(server.socket(), waiting.toString(), "signal").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
        inTheWait(out.readLine());
        Linux.call(SYS_KILL, c.pid(), SIGINT);
        assertThat(out.readLine()).isEqualTo("enter -4 handled 1");
        assertThat(c.waitFor()).as(errors(c)).isZero();
    }

    @Test
    void aClientKilledMidRunTakesItsProgramAndChildrenAndTheServerServesTheNext() throws Exception {
        killedMidRunTakesBoth("family");
    }

    /**
     * A grandchild that left the program's family as a daemon does (setsid, its parent gone: an orphan) dies with
     * the program when the client is killed: the server adopts its programs' orphans (PR_SET_CHILD_SUBREAPER) and
     * reaps them. Before, the orphan escaped the kill and, as it still used the filter, kept the server serving it:
     * the next client waited for it (18 s for a grandchild that slept 20).
     */
    @Test
    void aClientKilledMidRunTakesItsProgramsOrphanedGrandchildToo() throws Exception {
        killedMidRunTakesBoth("escape");
    }

    /**
     * {@code served-wait MODE} through a client that is killed once the program printed its two process ids: both
     * processes gone, and the next client served (within 20 s: a server still serving a survivor would keep it).
     */
    private static void killedMidRunTakesBoth(String mode) throws Exception {
        Process c = client(server.socket(), waiting.toString(), mode).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
        String[] pids = out.readLine().split(" ");
        assertThat(pids[0]).isEqualTo("pids");
        c.destroyForcibly();
        assertThat(c.waitFor()).isEqualTo(137);
        assertGone(Long.parseLong(pids[1]));
        assertGone(Long.parseLong(pids[2]));
        Process next = client(server.socket(), "sh", "-c", "echo next").start();
        assertThat(next.waitFor(20, TimeUnit.SECONDS)).as("the next client served").isTrue();
        assertThat(read(next)).isEqualTo("next\n");
        assertThat(next.exitValue()).isZero();
    }

    @Test
    void twoClientsAreServedInTurn() throws Exception {
        Process first = client(server.socket(), waiting.toString(), "signal").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8));
        inTheWait(out.readLine());
        Process second = client(server.socket(), "sh", "-c", "echo second").start();
        // waits in the socket's backlog while the first program runs
        assertThat(second.waitFor(500, TimeUnit.MILLISECONDS)).isFalse();
        Linux.call(SYS_KILL, first.pid(), SIGINT);
        assertThat(first.waitFor()).isZero();
        assertThat(read(second)).isEqualTo("second\n");
        assertThat(second.waitFor()).isZero();
    }

    @Test
    void noServerIsAClearErrorAndStatus77() throws Exception {
        Process c = client(dir.resolve("nobody.sock"), "true").start();
        String err = errors(c);
        assertThat(c.waitFor()).isEqualTo(77);
        assertThat(err).contains("host server " + dir.resolve("nobody.sock")).contains("is `ringspec host --serve`"
                + " running there?");
    }

    @Test
    void aSocketThatAnswersIsRefusedAStaleOneReplacedAndAFileLeftAlone() throws Exception {
        assertThatThrownBy(() -> UnixSocket.listen(server.socket())).hasMessageContaining("a server already answers");
        Path stale = dir.resolve("stale.sock");
        Linux.close(UnixSocket.listen(stale)); // its server gone, the socket stays
        int fd = UnixSocket.listen(stale);
        assertThat(fd).isNotNegative();
        assertThat(Files.getPosixFilePermissions(stale)).extracting(Object::toString).containsExactlyInAnyOrder(
                "OWNER_READ", "OWNER_WRITE");
        Linux.close(fd);
        Path file = Files.writeString(dir.resolve("file"), "mine");
        assertThatThrownBy(() -> UnixSocket.listen(file)).hasMessageContaining("is not a socket");
        assertThat(Files.readString(file)).isEqualTo("mine");
    }

    @Test
    void aServerStoppedBySigtermKillsItsProgramAndRemovesItsSocket() throws Exception {
        Server own = startServer("b.sock");
        try {
            Process c = client(own.socket(), waiting.toString(), "family").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(c.getInputStream(),
                    StandardCharsets.UTF_8));
            String[] pids = out.readLine().split(" ");
            Linux.call(SYS_KILL, own.process().pid(), SIGTERM);
            assertThat(c.waitFor()).as("128 + SIGKILL").isEqualTo(137);
            assertGone(Long.parseLong(pids[1]));
            assertGone(Long.parseLong(pids[2]));
            assertThat(own.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(own.socket()).doesNotExist();
            List<String> rest = new ArrayList<>();
            own.lines().drainTo(rest);
            assertThat(String.join("\n", rest)).contains("stopped (SIGINT or SIGTERM) after serving 0 programs")
                    .contains("the program it served was killed");
        } finally {
            own.process().destroyForcibly();
        }
    }

    /**
     * Waits until the program that printed {@code line} ("waiting PID") is in its io_uring_enter (426, the first
     * word of /proc/PID/syscall while it is blocked there), so that a signal sent now ends that wait.
     */
    private static void inTheWait(String line) throws Exception {
        assertThat(line).startsWith("waiting ");
        Path syscall = Path.of("/proc", line.substring("waiting ".length()), "syscall");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            while (!Files.readString(syscall).startsWith("426 ") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(Files.readString(syscall)).startsWith("426 ");
        } catch (IOException notOurs) {
            // /proc/PID/syscall asks for ptrace access (Yama's ptrace_scope 1 gives it to ancestors only; the
            // program's is the server): a moment instead
            Thread.sleep(500);
        }
    }

    /** Waits up to 10 s for process {@code pid} to be gone (or a zombie: dead, its parent not yet told). */
    private static void assertGone(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!alive(pid)) {
                return;
            }
            Thread.sleep(20);
        }
        assertThat(alive(pid)).as("process " + pid + " still runs").isFalse();
    }

    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }
}
