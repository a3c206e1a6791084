package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.emulator.sys.Linux;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client of {@code ringspec host --serve} ({@link HostServer}): what {@code src/main/c/ringspec-host-client.c}
 * sent (its host arguments, cwd, environment, and its open descriptors, received here as this JVM's own), the
 * program started for it, and the end of the exchange.
 *
 * <p>The request, little-endian: "RSH1", the body's length (u32); the body: the counts of arguments, environment
 * entries and descriptors (u32 each), the cwd, the arguments and the entries (each NUL-terminated), then each
 * descriptor's number in the client (i32), in the order of the SCM_RIGHTS array that came with the first bytes.
 * Then the client sends 'S' and a signal number for each SIGINT, SIGTERM, SIGHUP or SIGQUIT it gets; the server
 * answers once, 'X' and the exit status (i32), when the program has ended.
 */
public final class ServedClient implements AutoCloseable {
    private static final int MAGIC = 0x31485352; // "RSH1" little-endian
    /** A request's body at most: arguments and environment as execve takes them (ARG_MAX-like, generous). */
    private static final int MAX_BODY = 8 << 20;
    /** How long a connected client may take to send its request. */
    private static final long REQUEST_MILLIS = 10_000;
    private static final long SYS_KILL = 62;
    /** The exit status of a run that could not be hosted: conformance's {@code ExitStatus.UNAVAILABLE}. */
    public static final int UNAVAILABLE = 77;

    private final int socket;
    private final List<String> args;
    private final Path cwd;
    private final Map<String, String> env;
    private final int[] numbers;
    private final int[] locals;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile Process process;
    private volatile boolean gone;
    private Thread reader;

    private ServedClient(int socket, List<String> args, Path cwd, Map<String, String> env, int[] numbers,
            int[] locals) {
        this.socket = socket;
        this.args = List.copyOf(args);
        this.cwd = cwd;
        this.env = env;
        this.numbers = numbers;
        this.locals = locals;
        this.out = new PrintStream(new DescriptorStream(local(1)), true, StandardCharsets.UTF_8);
        this.err = new PrintStream(new DescriptorStream(local(2)), true, StandardCharsets.UTF_8);
    }

    /**
     * Reads a request from connection {@code socket} (which the client then owns, with the descriptors it brought).
     *
     * @throws IOException where the client sent no well-formed request in time (the connection and descriptors are
     *     closed)
     */
    static ServedClient read(int socket) throws IOException {
        List<Integer> fds = new ArrayList<>();
        try {
            UnixSocket.receiveTimeout(socket, REQUEST_MILLIS);
            byte[] header = new byte[8];
            UnixSocket.receive(socket, header, fds);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            int magic = h.getInt();
            int length = h.getInt();
            if (magic != MAGIC || length < 12 || length > MAX_BODY) {
                throw new IOException("not a ringspec host client's request");
            }
            byte[] body = new byte[length];
            UnixSocket.receive(socket, body, fds);
            UnixSocket.receiveTimeout(socket, 0);
            ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            int argc = b.getInt();
            int envc = b.getInt();
            int fdc = b.getInt();
            if (argc < 0 || envc < 0 || fdc != fds.size()) {
                throw new IOException("a request whose counts do not match (" + fdc + " descriptors named, "
                        + fds.size() + " received)");
            }
            Path cwd = Path.of(string(b));
            List<String> args = new ArrayList<>();
            for (int i = 0; i < argc; i++) {
                args.add(string(b));
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (int i = 0; i < envc; i++) {
                String entry = string(b);
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            int[] numbers = new int[fdc];
            int[] locals = new int[fdc];
            for (int i = 0; i < fdc; i++) {
                numbers[i] = b.getInt();
                locals[i] = fds.get(i);
            }
            return new ServedClient(socket, args, cwd, env, numbers, locals);
        } catch (IOException | RuntimeException e) {
            fds.forEach(Linux::close);
            Linux.close(socket);
            throw e instanceof IOException io ? io : new IOException("a malformed request: " + e, e);
        }
    }

    private static String string(ByteBuffer b) throws IOException {
        int start = b.position();
        while (b.hasRemaining() && b.get() != 0) {
            // to the NUL
        }
        if (b.get(b.position() - 1) != 0) {
            throw new IOException("a request string without its NUL");
        }
        return new String(b.array(), start, b.position() - start - 1, StandardCharsets.UTF_8);
    }

    /** What the client gave after {@code host}: its options, {@code --}, the program and its arguments. */
    public List<String> args() {
        return args;
    }

    /** The client's working directory, the program's. */
    public Path cwd() {
        return cwd;
    }

    /** The client's environment, the program's. */
    public Map<String, String> env() {
        return env;
    }

    /** The client's standard output (its own open file description; discarding where it had none). */
    public PrintStream out() {
        return out;
    }

    /** The client's standard error: the summary line and the host's messages go there. */
    public PrintStream err() {
        return err;
    }

    /** This JVM's copy of the client's descriptor {@code number}, or -1. */
    int local(int number) {
        for (int i = 0; i < numbers.length; i++) {
            if (numbers[i] == number) {
                return locals[i];
            }
        }
        return -1;
    }

    /** The client's descriptors by number, and this JVM's copies of them, for the program ({@link Launcher}). */
    int[] numbers() {
        return numbers.clone();
    }

    int[] locals() {
        return locals.clone();
    }

    /** The program started for the client, or null before it starts. */
    Process process() {
        return process;
    }

    /** Whether the client went away before its program ended (its connection closed: killed, or it crashed). */
    public boolean gone() {
        return gone;
    }

    /**
     * The program runs as {@code started}: from now on the client's signals go to it, and the client's going away
     * kills it and its children (a program is never left running, nor stopped in a call, for nobody).
     */
    void started(Process started) {
        process = started;
        reader = Thread.ofPlatform().daemon().name("ringspec-serve-client").start(this::readSignals);
    }

    private void readSignals() {
        byte[] message = new byte[2];
        try {
            while (true) {
                UnixSocket.receive(socket, message, new ArrayList<>());
                Process p = process;
                if (message[0] == 'S' && p != null && p.isAlive() && !finished.get()) {
                    Linux.call(SYS_KILL, p.pid(), message[1] & 0xff);
                }
            }
        } catch (IOException end) {
            // the client's end (or ours, at finish)
            if (!finished.get()) {
                gone = true;
                kill(process);
            }
        }
    }

    /**
     * Kills {@code process}, its children and the orphans of its family this JVM adopted ({@link Orphans}), a few
     * times over (a child forked meanwhile is caught next round).
     */
    static void kill(Process process) {
        if (process == null) {
            return;
        }
        for (int round = 0; round < 3; round++) {
            for (ProcessHandle orphan : Orphans.adopted(process)) {
                orphan.descendants().forEach(ProcessHandle::destroyForcibly);
                orphan.destroyForcibly();
            }
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            if (!process.isAlive() && process.descendants().findAny().isEmpty()
                    && Orphans.adopted(process).stream().noneMatch(ProcessHandle::isAlive)) {
                return;
            }
        }
    }

    /** Ends the exchange: the client exits with {@code status} (0 to 255) once it reads it. Once only. */
    public void finish(int status) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        byte[] answer = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).put((byte) 'X').putInt(status).array();
        UnixSocket.send(socket, answer);
        UnixSocket.shutdown(socket);
    }

    /** Closes the connection and this JVM's copies of the client's descriptors. */
    @Override
    public void close() {
        finish(UNAVAILABLE);
        Thread r = reader;
        if (r != null) {
            try {
                r.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        out.flush();
        err.flush();
        for (int local : locals) {
            Linux.close(local);
        }
        Linux.close(socket);
    }

    /** Writes to a descriptor of this JVM's (the client's stream); nothing where there is none or it fails. */
    private static final class DescriptorStream extends OutputStream {
        private final int fd;

        DescriptorStream(int fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            if (fd < 0 || length == 0) {
                return;
            }
            try (Arena call = Arena.ofConfined()) {
                MemorySegment buf = call.allocate(length);
                MemorySegment.copy(bytes, offset, buf, JAVA_BYTE, 0, length);
                long done = 0;
                while (done < length) {
                    long n = Linux.call(Linux.SYS_WRITE, fd, buf.address() + done, length - done);
                    if (n == -4) {
                        continue;
                    }
                    if (n <= 0) {
                        return;
                    }
                    done += n;
                }
            }
        }
    }
}
