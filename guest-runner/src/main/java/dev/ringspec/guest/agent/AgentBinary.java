package dev.ringspec.guest.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent program, built from its C source (resources of this jar: {@value #SOURCE_RESOURCE} and the parts it
 * includes) with {@code gcc -static -O2} on first use and cached under
 * {@code ${XDG_CACHE_HOME:-~/.cache}/ringspec/agent/<source hash>/ringspec-agent}: one static binary that runs as a
 * guest's /init on any x86-64 kernel and natively on this machine.
 */
public final class AgentBinary {
    static final String SOURCE_RESOURCE = "ringspec-agent.c";
    /** The files {@value #SOURCE_RESOURCE} includes: one translation unit in three files. */
    static final List<String> INCLUDED_RESOURCES = List.of("agent-memory.h", "agent-calls.h");
    private static final long COMPILE_SECONDS = 300;

    private AgentBinary() {
    }

    /** The cached binary, compiled now if needed. */
    public static synchronized Path path() {
        Path dir = cacheRoot().resolve("agent").resolve(hash(source()));
        Path binary = dir.resolve("ringspec-agent");
        if (Files.isExecutable(binary)) {
            return binary;
        }
        try {
            Files.createDirectories(dir);
            Path build = Files.createTempDirectory(dir, "build");
            Path src = build.resolve(SOURCE_RESOURCE);
            Path tmp = Files.createTempFile(dir, "ringspec-agent", ".tmp");
            try {
                Files.write(src, resource(SOURCE_RESOURCE));
                for (String part : INCLUDED_RESOURCES) {
                    Files.write(build.resolve(part), resource(part));
                }
                compile(src, tmp);
                try {
                    Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, binary, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                for (String part : INCLUDED_RESOURCES) {
                    Files.deleteIfExists(build.resolve(part));
                }
                Files.deleteIfExists(src);
                Files.deleteIfExists(build);
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the agent binary under " + dir + ": " + e.getMessage(), e);
        }
        return binary;
    }

    /** The C source, as packaged: {@value #SOURCE_RESOURCE}, then each file it includes. */
    public static byte[] source() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(resource(SOURCE_RESOURCE));
        for (String part : INCLUDED_RESOURCES) {
            all.writeBytes(resource(part));
        }
        return all.toByteArray();
    }

    private static byte[] resource(String name) {
        try (InputStream in = AgentBinary.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the agent's C source " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void compile(Path src, Path out) throws IOException {
        List<String> command = List.of("gcc", "-static", "-O2", "-pthread", "-o", out.toString(), src.toString());
        Process gcc;
        try {
            gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AgentException("gcc is needed once to build the guest agent and was not found; install it "
                    + "(on Debian: apt-get install gcc libc6-dev)", e);
        }
        gcc.getOutputStream().close();
        byte[] output = gcc.getInputStream().readAllBytes();
        try {
            if (!gcc.waitFor(COMPILE_SECONDS, TimeUnit.SECONDS)) {
                gcc.destroyForcibly();
                throw new AgentException("gcc did not build the guest agent within " + COMPILE_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            gcc.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted while gcc built the guest agent", e);
        }
        if (gcc.exitValue() != 0) {
            String text = new String(output, StandardCharsets.UTF_8).strip();
            if (text.contains("cannot find -lc") || text.contains("cannot find -lpthread")) {
                throw new AgentException("the guest agent is linked statically and this machine has no static C "
                        + "library; install it (on Debian: apt-get install libc6-dev)");
            }
            throw new AgentException("gcc failed to build the guest agent: " + lastLines(text, 5));
        }
    }

    private static String lastLines(String text, int count) {
        List<String> lines = text.lines().toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "ringspec");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "ringspec");
    }

    private static String hash(byte[] source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(source), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
