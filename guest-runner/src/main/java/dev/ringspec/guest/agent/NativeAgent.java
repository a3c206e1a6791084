package dev.ringspec.guest.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent running natively on this machine, a child process served over its stdin and stdout: the same
 * protocol and the same agent as in a guest, against this machine's kernel. What tests use to check the guest
 * backend without QEMU.
 */
public final class NativeAgent implements AgentChannel {
    private final Process process;
    private final Path stderr;

    private NativeAgent(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    /** Starts the agent (building it first if needed). */
    public static NativeAgent start() {
        Path binary = AgentBinary.path();
        try {
            Path stderr = Files.createTempFile("ringspec-agent", ".stderr");
            stderr.toFile().deleteOnExit();
            Process process = new ProcessBuilder(List.of(binary.toString(), "--stdio"))
                    .redirectError(stderr.toFile()).start();
            return new NativeAgent(process, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the agent " + binary + ": " + e.getMessage(), e);
        }
    }

    /** A session with a natively running agent. */
    public static AgentSession session() {
        return AgentSession.open(start(), Duration.ofSeconds(30));
    }

    @Override
    public String description() {
        return "a native agent (pid " + process.pid() + ")";
    }

    @Override
    public InputStream in() {
        return process.getInputStream();
    }

    @Override
    public OutputStream out() {
        return process.getOutputStream();
    }

    @Override
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String deathDetail() {
        StringBuilder s = new StringBuilder();
        if (!process.isAlive()) {
            int code = process.exitValue();
            s.append(code > 128 ? "killed by signal " + (code - 128) : "exit status " + code);
        }
        try {
            String text = Files.readString(stderr, StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                List<String> lines = text.lines().toList();
                s.append(s.isEmpty() ? "" : "; ").append(String.join(" / ",
                        lines.subList(Math.max(0, lines.size() - 3), lines.size())));
            }
        } catch (IOException e) {
            // no detail beyond the exit status
        }
        return s.toString();
    }

    /** The process, for tests that kill it to see what the host says. */
    public Process process() {
        return process;
    }
}
