package dev.ringspec.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * {@code ringspec} in a JVM of its own, as a user starts it: from a working directory of the test's choosing,
 * behind a wrapper program if given (a seccomp filter), with the test's class path (so the shipped replays come
 * from the class path, as from the jar); nothing tells it where the source tree is.
 */
final class ChildRingspec {
    /** How long {@link #awaitLine} waits for a line. */
    static final long AWAIT_SECONDS = 300;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final BufferedReader in;

    private ChildRingspec(Process process) {
        this.process = process;
        this.in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts {@code ringspec ARGS} in {@code directory}, behind {@code wrapper} (a program path) unless null. */
    static ChildRingspec start(Path directory, Path wrapper, Map<String, String> env, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (wrapper != null) {
            command.add(wrapper.toString());
        }
        command.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Ringspec.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ChildRingspec(pb.start());
    }

    long pid() {
        return process.pid();
    }

    /**
     * Reads lines until one matches (true) or the output ends (false). A child that prints neither within
     * {@value #AWAIT_SECONDS} s is killed, which ends its output: a test that waits for a line fails with what the
     * child printed, never hangs the build (under load 16 one waited 18 minutes for a progress line).
     */
    boolean awaitLine(Predicate<String> wanted) throws IOException {
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(AWAIT_SECONDS));
            } catch (InterruptedException answered) {
                return;
            }
            if (!done.get()) {
                killed.set(true);
                process.destroyForcibly();
            }
        });
        try {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (wanted.test(line)) {
                    return true;
                }
            }
            return false;
        } finally {
            done.set(true);
            watchdog.interrupt();
            if (killed.get()) {
                lines.add("(the test killed ringspec: no awaited line and no end of output within " + AWAIT_SECONDS
                        + " s)");
            }
        }
    }

    /** Reads the rest of the output and waits for the exit; its status. */
    int finish(long timeoutSeconds) throws Exception {
        awaitLine(l -> false);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ringspec did not finish within " + timeoutSeconds + " s:\n" + output());
        }
        return process.exitValue();
    }

    /** Everything it printed (standard output and error), so far. */
    String output() {
        return String.join("\n", lines);
    }

    void kill() {
        process.destroyForcibly();
    }
}
