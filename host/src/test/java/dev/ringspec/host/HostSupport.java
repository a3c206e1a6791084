package dev.ringspec.host;

import dev.ringspec.emulator.sys.Linux;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the hosted tests need, and the C programs they run. */
final class HostSupport {
    private HostSupport() {
    }

    /**
     * Why hosting cannot run here, or null: it needs pidfd_open (5.3), pidfd_getfd (5.6) and seccomp
     * user notification with ADDFD_FLAG_SEND (5.14); io_uring itself is not needed.
     */
    static String reason() {
        int self = (int) Linux.call(Linux.SYS_GETPID, 0);
        int pidfd = (int) Linux.call(Seccomp.SYS_PIDFD_OPEN, self, 0);
        if (pidfd < 0) {
            return "pidfd_open is not available here (" + pidfd + "; Linux 5.3+)";
        }
        Linux.close(pidfd);
        return null;
    }

    /** {@code src/test/c/NAME.c} compiled into {@code dir}, or null without a working gcc. */
    static Path compile(Path dir, String name) throws IOException, InterruptedException {
        Path source = Path.of("src/test/c", name + ".c").toAbsolutePath();
        Path binary = dir.resolve(name);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-pthread", "-o", binary.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            return null;
        }
        String out;
        try (InputStream in = gcc.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0 || !Files.isExecutable(binary)) {
            throw new IOException("gcc failed on " + source + ":\n" + out);
        }
        return binary;
    }
}
