package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.sys.Linux;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Starts a program under the C launcher ({@code src/main/c/ringspec-launcher.c}, a resource of this module) and
 * takes the seccomp listener it installed: the launcher writes "PID FD KILLABLE" into a FIFO, this JVM takes the
 * descriptor with {@code pidfd_getfd} and writes one byte back, and the launcher execs the program. The program's
 * standard streams are this JVM's.
 */
final class Launcher {
    private static final String RESOURCE = "/dev/ringspec/host/ringspec-launcher";
    private static volatile byte[] launcherBytes;
    private static final long SYS_MKNODAT = 259;
    private static final int AT_FDCWD = -100;
    private static final int S_IFIFO = 0x1000;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int ENXIO = 6;
    /** How long the launcher may take from its start to the supervisor's answer: its work is a few system calls. */
    private static final long HANDOVER_NANOS = 60_000_000_000L;

    private Launcher() {
    }

    /**
     * A started program and the listener of its filter, a descriptor of this JVM; {@code killableWait}: the filter has
     * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (a received call is not abandoned on a signal).
     */
    record Started(Process process, int listener, boolean killableWait) {
    }

    /**
     * Starts {@code command} under the filter, its standard output to {@code output} (the others this JVM's); the
     * listener comes back once the program is about to be executed.
     *
     * @throws IOException where the launcher cannot be extracted or started, or fails before the exec (its reason on
     *     standard error)
     */
    static Started start(List<String> command, ProcessBuilder.Redirect output) throws IOException {
        return start(command, output, null);
    }

    /**
     * Starts {@code command} for a client of the host server, as the client would have run it: in its cwd, with its
     * environment, and with its descriptors at their numbers ({@link #installAtExec}); the launcher's own complaints
     * before the exec go to the client's standard error.
     */
    static Started start(List<String> command, ServedClient client) throws IOException {
        return start(command, ProcessBuilder.Redirect.DISCARD, client);
    }

    /**
     * The launcher's bytes, read from the class path once: a host server goes on starting programs after its jar was
     * rebuilt under it (a read from the replaced jar fails, "ZipFile invalid LOC header").
     */
    private static byte[] launcherBytes() throws IOException {
        byte[] bytes = launcherBytes;
        if (bytes == null) {
            try (InputStream in = Launcher.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException("the launcher is missing from the class path (" + RESOURCE + "): build the"
                            + " host module with gcc");
                }
                bytes = in.readAllBytes();
            }
            launcherBytes = bytes;
        }
        return bytes;
    }

    private static Started start(List<String> command, ProcessBuilder.Redirect output, ServedClient client)
            throws IOException {
        Path dir = Files.createTempDirectory("ringspec-host");
        Path launcher = dir.resolve("ringspec-launcher");
        Path fifo = dir.resolve("listener");
        Files.write(launcher, launcherBytes());
        if (!launcher.toFile().setExecutable(true, true)) {
            throw new IOException("cannot make " + launcher + " executable");
        }
        try (Arena call = Arena.ofConfined()) {
            long r = Linux.call(SYS_MKNODAT, AT_FDCWD, call.allocateFrom(fifo.toString()).address(), S_IFIFO | 0600,
                    0, 0, 0);
            if (r < 0) {
                throw new IOException("mkfifo " + fifo + ": " + r);
            }
        }
        List<String> argv = new ArrayList<>(List.of(launcher.toString(), fifo.toString(),
                String.valueOf(ProcessHandle.current().pid())));
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv).inheritIO().redirectOutput(output);
        if (client != null) {
            builder.directory(client.cwd().toFile()).redirectInput(new File("/dev/null"))
                    .redirectError(ProcessBuilder.Redirect.PIPE);
            builder.environment().clear();
            builder.environment().putAll(client.env());
        }
        Process process = builder.start();
        if (client != null) {
            relay(process.getErrorStream(), client.err());
        }
        long deadline = System.nanoTime() + HANDOVER_NANOS;
        int listener = -1;
        boolean started = false;
        try {
            int[] pidAndFd = readLine(fifo, process, deadline);
            int pidfd = (int) Linux.call(Seccomp.SYS_PIDFD_OPEN, pidAndFd[0], 0);
            listener = pidfd < 0 ? pidfd : (int) Linux.call(Seccomp.SYS_PIDFD_GETFD, pidfd, pidAndFd[1], 0);
            if (pidfd >= 0) {
                Linux.close(pidfd);
            }
            if (listener < 0) {
                process.destroyForcibly();
                throw new IOException("cannot take the launcher's seccomp listener: " + listener);
            }
            acknowledge(fifo, process, deadline);
            if (client != null) {
                installAtExec(listener, process, client);
            }
            started = true;
            return new Started(process, listener, pidAndFd[2] == 1);
        } finally {
            if (!started) {
                // a launcher that failed, or stopped and never finished the hand-over, is not left behind
                process.destroyForcibly();
                if (listener >= 0) {
                    Linux.close(listener);
                }
            }
            Files.deleteIfExists(fifo);
            Files.deleteIfExists(launcher);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * The client's descriptors become the program's, at their numbers, at the launcher's exec of it (the first exec
     * the filter hands over; calls before it, a close on the way to a failure, are let run): each is installed with
     * SECCOMP_IOCTL_NOTIF_ADDFD and SECCOMP_ADDFD_FLAG_SETFD (kernel/seccomp.c seccomp_notify_addfd, then
     * receive_fd_replace: a dup2 into the target), not close-on-exec, before the exec is let run. So the program's
     * standard streams are the client's own open file descriptions (an append, a pipe, a terminal), as if the client
     * had executed it; what the launcher had at those numbers (this JVM's null device and pipe, its FIFO) is closed.
     */
    private static void installAtExec(int listener, Process process, ServedClient client) throws IOException {
        Seccomp.Receiver receiver = new Seccomp.Receiver(false, new LongAdder());
        int[] numbers = client.numbers();
        int[] locals = client.locals();
        while (true) {
            Seccomp.Notification n;
            try {
                n = receiver.receive(listener);
            } catch (Seccomp.Gone gone) {
                throw new IOException("the launcher ended before its exec of the program (its reason above)");
            }
            if (n == null) {
                continue;
            }
            if (n.nr() != Supervisor.NR_EXECVE && n.nr() != Supervisor.NR_EXECVEAT) {
                Seccomp.sendContinue(listener, n.id());
                continue;
            }
            for (int i = 0; i < numbers.length; i++) {
                int r = Seccomp.addFdAt(listener, n.id(), locals[i], numbers[i]);
                if (r < 0) {
                    throw new IOException("cannot give the program the client's descriptor " + numbers[i] + ": " + r);
                }
            }
            Seccomp.sendContinue(listener, n.id());
            return;
        }
    }

    /** Copies {@code from} to {@code to} until its end, on a thread of its own. */
    private static void relay(InputStream from, PrintStream to) {
        Thread.ofPlatform().daemon().name("ringspec-serve-launcher-err").start(() -> {
            try (from) {
                from.transferTo(to);
            } catch (IOException e) {
                // the launcher is gone
            }
            to.flush();
        });
    }

    /** "PID FD KILLABLE" from the FIFO, waiting while the launcher lives, until {@code deadline}. */
    private static int[] readLine(Path fifo, Process process, long deadline) throws IOException {
        int fd = open(fifo, O_RDONLY | O_NONBLOCK);
        StringBuilder line = new StringBuilder();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(64);
            MemorySegment pollFd = call.allocate(8, 4);
            MemorySegment timeout = call.allocate(16, 8);
            while (line.indexOf("\n") < 0) {
                pollFd.set(JAVA_INT, 0, fd);
                pollFd.set(JAVA_INT, 4, 1);
                // set every time: the ppoll system call writes the time left back (see RingEnds.watch)
                timeout.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 0L);
                timeout.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 50_000_000L);
                Linux.call(Linux.SYS_PPOLL, pollFd.address(), 1, timeout.address(), 0, 0, 0);
                long n = Linux.call(Linux.SYS_READ, fd, buf.address(), 64);
                if (n > 0) {
                    line.append(new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
                } else if (!process.isAlive()) {
                    throw new IOException("the launcher exited with status " + exitStatus(process)
                            + " before it handed over the seccomp listener");
                } else if (System.nanoTime() - deadline > 0) {
                    throw late("hand over the seccomp listener");
                }
            }
        } finally {
            Linux.close(fd);
        }
        String[] parts = line.toString().trim().split(" ");
        try {
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
        } catch (RuntimeException e) {
            throw new IOException("the launcher said " + line.toString().trim() + ", not \"PID FD KILLABLE\"", e);
        }
    }

    /** One byte back: the launcher may exec the program. */
    private static void acknowledge(Path fifo, Process process, long deadline) throws IOException {
        while (true) {
            int fd = open(fifo, O_WRONLY | O_NONBLOCK);
            if (fd >= 0) {
                try (Arena call = Arena.ofConfined()) {
                    Linux.call(Linux.SYS_WRITE, fd, call.allocateFrom("!").address(), 1);
                } finally {
                    Linux.close(fd);
                }
                return;
            }
            if (fd != -ENXIO || !process.isAlive()) {
                throw new IOException("the launcher did not wait for the supervisor: " + fd);
            }
            if (System.nanoTime() - deadline > 0) {
                throw late("open its FIFO for the supervisor's answer");
            }
            LockSupport.parkNanos(100_000);
        }
    }

    private static IOException late(String what) {
        return new IOException("the launcher did not " + what + " within " + HANDOVER_NANOS / 1_000_000_000L
                + " s (stopped, or starved of CPU); it was killed");
    }

    private static int open(Path path, int flags) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            int fd = (int) Linux.call(Linux.SYS_OPENAT, AT_FDCWD, call.allocateFrom(path.toString()).address(),
                    flags | O_CLOEXEC, 0, 0, 0);
            if (fd < 0 && fd != -ENXIO) {
                throw new IOException("open " + path + ": " + fd);
            }
            return fd;
        }
    }

    /** Signal names by number, as kill -l prints them (1 to 31). */
    private static final List<String> SIGNALS = List.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
            "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
            "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

    /** An exit status in words: above 128 a shell's way of saying that a signal killed the program. */
    static String describe(int status) {
        int signal = status - 128;
        if (signal < 1 || signal > SIGNALS.size()) {
            return String.valueOf(status);
        }
        return status + " (128 + " + signal + ": killed by SIG" + SIGNALS.get(signal - 1) + ")";
    }

    /** The program's exit status as a shell reports it: its code, or 128 + the signal that killed it. */
    static int exitStatus(Process process) {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while waiting for the program", e));
        }
    }
}
