package dev.ringspec.guest.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.guest.kernel.KernelImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JVM that dies with a guest running leaves no QEMU behind: SIGTERM (as Ctrl-C or kill) runs the shutdown hook,
 * SIGKILL runs nothing in the JVM and the watchdog sees its pipe close.
 */
@Tag("guest")
class NoStrayQemuTest {
    @TempDir
    Path dir;

    @BeforeEach
    void qemu() {
        GuestTests.assumeQemu();
    }

    @ParameterizedTest(name = "killed with SIGKILL: {0}")
    @ValueSource(booleans = {false, true})
    void qemuDiesWithItsJvm(boolean sigkill) throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        Path initrd = GuestTests.initramfs(dir, kernel);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                BootAndWait.class.getName(), kernel.image().toString(), initrd.toString())
                .redirectErrorStream(true).start();
        long qemuPid = -1;
        List<String> output = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            // The child prints the pid after the hello, or dies with the boot's error (the boot timeout bounds it).
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                output.add(line);
                if (line.startsWith("QEMU ")) {
                    qemuPid = Long.parseLong(line.substring(5).strip());
                    break;
                }
            }
            assertThat(qemuPid).as("the child booted a guest: %s", output).isPositive();
            ProcessHandle qemu = ProcessHandle.of(qemuPid).orElseThrow();
            assertThat(qemu.isAlive()).isTrue();
            if (sigkill) {
                child.destroyForcibly();
            } else {
                child.destroy();
            }
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(qemu.onExit().completeOnTimeout(null, 20, TimeUnit.SECONDS).get())
                    .as("QEMU %d exits after its JVM is killed", qemuPid).isNotNull();
            assertThat(qemu.isAlive()).isFalse();
        } finally {
            child.destroyForcibly();
            if (qemuPid > 0) {
                ProcessHandle.of(qemuPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
