package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.seam.UserMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A guest kernel booted for one test class ({@link KernelTests#bootGuest}: the test aborts with the reason where it
 * cannot be had), the memory its backend mirrors, and what the capability probe found in it.
 */
final class BootedGuest implements AutoCloseable {
    final GuestKernel kernel;
    final UserMemory memory;
    final KernelCapabilities caps;

    private BootedGuest(GuestKernel kernel, UserMemory memory) {
        this.kernel = kernel;
        this.memory = memory;
        this.caps = CapabilityProbe.probe(kernel.backend(memory), memory);
    }

    static BootedGuest boot() throws Exception {
        return new BootedGuest(KernelTests.bootGuest(), new UserMemory());
    }

    /**
     * Compiles the C program {@code source} statically in {@code dir}, runs it in the guest as /tmp/{@code name},
     * asserts that both succeed, and returns its output lines.
     */
    List<String> runStatically(String source, String name, Path dir) throws Exception {
        Path c = dir.resolve(name + ".c");
        Path exe = dir.resolve(name);
        Files.writeString(c, source);
        Process gcc = new ProcessBuilder("gcc", "-O1", "-Wall", "-Werror", "-static", "-o", exe.toString(),
                c.toString(), "-lpthread").redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as(gccOut).isZero();
        String target = "/tmp/" + name;
        AgentSession session = kernel.session();
        assertThat(session.writeFile(target, 0755, Files.readAllBytes(exe))).isZero();
        AgentSession.RunResult result = session.run(List.of(target), Duration.ofSeconds(120));
        String out = new String(result.stdout(), StandardCharsets.UTF_8);
        assertThat(result.exitCode()).as(out + new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return out.lines().toList();
    }

    @Override
    public void close() {
        kernel.close();
        memory.close();
    }
}
