package dev.ringspec.host;

import dev.ringspec.emulator.EmulatorOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code ringspec host --serve SOCKET}: one JVM that hosts the programs of many clients
 * ({@code src/main/c/ringspec-host-client.c}, which the {@code ringspec} script runs instead of a JVM where
 * {@code RINGSPEC_HOST_SERVER} names the socket), so that each program meets a JIT that has already compiled the
 * serving path instead of paying for its warm-up inside its own calls. Before its first client it hosts the bundled
 * training program ({@code src/main/c/ringspec-aot-training.c}) for {@link #WARM_NANOS}.
 *
 * <p>Clients are served one after another, in the order they connected; the others wait in the socket's backlog. Not
 * at once: a served program's opcodes move bytes through one process-wide program memory and descriptor table (the
 * emulator's {@code ProgramTransfers.serve}, set by {@code EmulatedIoUring.hosted}), so two programs served at once
 * would read and write each other's memory.
 *
 * <p>The server spawns each program itself (the launcher is its child, and the program the launcher's exec): under
 * Yama's ptrace_scope 1, process_vm_readv and pidfd_getfd need the supervisor to be the program's ancestor. So the
 * program's parent, session and process group are the server's (no controlling terminal, no job control), and so are
 * its resource limits and umask; its cwd, environment and descriptors are the client's ({@link Launcher#start(List,
 * ServedClient)}). It ends on SIGINT or SIGTERM: the program it serves is killed with its children, the client told
 * 137 (128 + SIGKILL), the socket removed, and a summary written on this JVM's standard error.
 */
public final class HostServer {
    /** How long the warm-up hosts the training program, over as many runs as fit (at least one). */
    public static final long WARM_NANOS = 2_000_000_000L;
    private static final String TRAINING = "/dev/ringspec/host/ringspec-aot-training";

    /** Runs one client's request (its host options and program, {@link ServedClient#args}): its exit status. */
    @FunctionalInterface
    public interface Programs {
        int serve(ServedClient client);
    }

    /** How often ended orphans are reaped: a zombie keeps the filter in use, and its program's serving with it. */
    private static final long REAP_MILLIS = 100;

    private final Path socket;
    private final Programs programs;
    private final PrintStream log;
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger abandoned = new AtomicInteger();
    private volatile ServedClient current;
    private volatile boolean stopping;
    private Object socketInode;

    /**
     * @param socket where the server listens
     * @param programs what runs each client's request
     * @param log the server's own messages (its standard error)
     */
    public HostServer(Path socket, Programs programs, PrintStream log) {
        this.socket = socket;
        this.programs = programs;
        this.log = log;
    }

    /**
     * Listens at the socket, warms up with {@code warmOptions} for {@code warmNanos} (0: none), then serves clients
     * until this JVM exits; returns only where the socket cannot be made or accepting fails for good.
     *
     * @throws IOException where the socket cannot be made (a server answers there, its path is taken or too long)
     */
    public void serve(EmulatorOptions warmOptions, long warmNanos) throws IOException {
        int listening = UnixSocket.listen(socket);
        socketInode = Files.getAttribute(socket, "unix:ino", LinkOption.NOFOLLOW_LINKS);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopped, "ringspec-serve-stop"));
        if (Orphans.adopt()) {
            Thread.ofPlatform().daemon().name("ringspec-serve-reaper").start(this::reapOrphans);
        } else {
            log.println("ringspec host --serve: cannot adopt the programs' orphans (prctl PR_SET_CHILD_SUBREAPER"
                    + " failed): a daemon a program leaves behind escapes the kill when its client goes away");
        }
        log.println("ringspec host --serve: listening at " + socket.toAbsolutePath() + " (RINGSPEC_HOST_SERVER="
                + socket.toAbsolutePath() + " ./ringspec host -- PROGRAM runs PROGRAM here)");
        if (warmNanos > 0) {
            warm(warmOptions, warmNanos);
        }
        log.println("ringspec host --serve: serving, one program at a time");
        while (!stopping) {
            int fd = UnixSocket.accept(listening);
            if (fd < 0) {
                log.println("ringspec host --serve: accept failed (" + fd + "); stopping");
                return;
            }
            ServedClient client;
            try {
                client = ServedClient.read(fd);
            } catch (IOException e) {
                log.println("ringspec host --serve: a client's request was not read: " + e.getMessage());
                continue;
            }
            current = client;
            int status = ServedClient.UNAVAILABLE;
            try {
                status = programs.serve(client);
            } catch (RuntimeException e) {
                client.err().println("ringspec host: the server failed serving this program: " + e);
            }
            served.incrementAndGet();
            if (client.gone()) {
                abandoned.incrementAndGet();
                log.println("ringspec host --serve: a client went away while its program ran ("
                        + String.join(" ", client.args()) + "): the program and its children were killed");
            }
            client.finish(status);
            current = null;
            client.close();
        }
    }

    /**
     * Hosts the training program over and over for {@code nanos}: the serving path's classes loaded and its methods
     * compiled, so that the first client does not meet the interpreter.
     */
    private void warm(EmulatorOptions options, long nanos) throws IOException {
        Path dir = Files.createTempDirectory("ringspec-serve-warm");
        try {
            Path training = dir.resolve("ringspec-aot-training");
            try (InputStream in = HostServer.class.getResourceAsStream(TRAINING)) {
                if (in == null) {
                    log.println("ringspec host --serve: no training program in the class path; serving cold");
                    return;
                }
                Files.copy(in, training, StandardCopyOption.REPLACE_EXISTING);
            }
            training.toFile().setExecutable(true, true);
            Host host = new Host(options, true, dir.resolve("report"));
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            long start = System.nanoTime();
            int runs = 0;
            long calls = 0;
            do {
                Host.Outcome o = host.run(List.of(training.toString()), ProcessBuilder.Redirect.DISCARD, quiet);
                runs++;
                calls += o.calls();
                if (o.exitStatus() != 0) {
                    log.println("ringspec host --serve: the training program exited " + o.exitStatus()
                            + "; warming stopped");
                    break;
                }
            } while (System.nanoTime() - start < nanos && !stopping);
            log.printf("ringspec host --serve: warmed up in %.1f s (%d training runs, %d intercepted calls)%n",
                    (System.nanoTime() - start) / 1e9, runs, calls);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Reaps the adopted orphans that ended ({@link Orphans}), every {@value #REAP_MILLIS} ms, until the JVM ends. */
    private void reapOrphans() {
        while (true) {
            // only while a program runs: any other child of this JVM may be one Java started and waits for
            ServedClient client = current;
            Process program = client == null ? null : client.process();
            if (program != null) {
                Orphans.reap(program);
            }
            try {
                Thread.sleep(REAP_MILLIS);
            } catch (InterruptedException stop) {
                return;
            }
        }
    }

    /** The JVM is exiting (SIGINT, SIGTERM): the program served now killed, its client told, the socket removed. */
    private void stopped() {
        stopping = true;
        ServedClient client = current;
        String killed = "";
        if (client != null) {
            ServedClient.kill(client.process());
            client.finish(128 + 9);
            killed = "; the program it served was killed with its children (" + String.join(" ", client.args())
                    + ")";
        }
        try {
            if (socketInode != null && socketInode.equals(
                    Files.getAttribute(socket, "unix:ino", LinkOption.NOFOLLOW_LINKS))) {
                Files.delete(socket);
            }
        } catch (IOException | RuntimeException e) {
            // gone already, or another server's now
        }
        log.println("ringspec host --serve: stopped (SIGINT or SIGTERM) after serving " + served.get()
                + (served.get() == 1 ? " program" : " programs") + " (" + abandoned.get()
                + " abandoned by their clients)" + killed + "; " + socket + " removed");
        log.flush();
    }
}
