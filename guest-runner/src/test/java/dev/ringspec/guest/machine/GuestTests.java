package dev.ringspec.guest.machine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.kernel.KernelImage;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.kernel.KernelImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the tests that boot guests share: a stand-in /init compiled from {@code test-init.c}, kernels from the
 * user's cache, and the skips (with the reason) where QEMU, gcc's static libc or the Debian archive is missing.
 */
final class GuestTests {
    private static final KernelImages KERNELS = KernelImages.inUserCache();
    private static Path init;

    private GuestTests() {
    }

    static void assumeQemu() {
        try {
            GuestMachine.locateQemu(GuestMachine.Options.defaults().qemu());
        } catch (GuestUnavailableException e) {
            assumeTrue(false, e.getMessage());
        }
    }

    /** The stand-in agent, compiled once per test JVM with {@code gcc -static}. */
    static synchronized Path testInit() throws IOException, InterruptedException {
        if (init == null) {
            Path dir = Files.createTempDirectory("ringspec-test-init-");
            Path source = dir.resolve("test-init.c");
            try (InputStream in = GuestTests.class.getResourceAsStream("test-init.c")) {
                Files.write(source, in.readAllBytes());
            }
            Path binary = dir.resolve("init");
            Process gcc;
            try {
                gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", binary.toString(), source.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                assumeTrue(false, "gcc is not installed, so the test /init cannot be built");
                throw e;
            }
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assumeTrue(gcc.waitFor(120, TimeUnit.SECONDS) && gcc.exitValue() == 0,
                    "gcc -static cannot build the test /init (is libc6-dev installed?): " + output);
            init = binary;
        }
        return init;
    }

    /** The kernel for {@code spec} from the user's cache, downloading it if needed; skips where that cannot be. */
    static KernelImage kernel(String spec) throws IOException, KernelImageException {
        try {
            return KERNELS.resolve(spec);
        } catch (GuestUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw new IllegalStateException(e);
        }
    }

    /** An initramfs with the test /init and the kernel's modules, plus empty marker files ({@code hang}, {@code fail}). */
    static Path initramfs(Path dir, KernelImage kernel, String... markers) throws IOException, InterruptedException {
        Initramfs initramfs = Initramfs.of(testInit(), kernel.modules());
        for (String marker : markers) {
            initramfs.file(marker, new byte[0], 0644);
        }
        Path file = dir.resolve("initrd.gz");
        initramfs.write(file, true);
        return file;
    }

    static List<String> specs() {
        return List.of("debian:6.1", "debian:6.12", "debian:7.2", "debian:7.3");
    }
}
