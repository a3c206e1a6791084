package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.GuestUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads a real kernel (debian:7.3, the smallest: about 14 MB) into an empty cache, from two threads at once,
 * then finds it again with the archive unreachable. Skips where the Debian archive cannot be reached.
 */
@Tag("guest")
class KernelDownloadTest {
    @TempDir
    Path cache;

    @Test
    void concurrentResolutionsDownloadOnceAndTheCopyServesOffline() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "apt-get is not installed");
        KernelImages online = new KernelImages(cache, Duration.ofHours(1), null);
        Callable<KernelImage> resolve = () -> online.resolve("debian:7.3");
        KernelImage first;
        KernelImage second;
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            Future<KernelImage> a = threads.submit(resolve);
            Future<KernelImage> b = threads.submit(resolve);
            try {
                first = a.get();
            } catch (java.util.concurrent.ExecutionException e) {
                assumeTrue(!(e.getCause() instanceof GuestUnavailableException), e.getCause().getMessage());
                throw e;
            }
            second = b.get();
        }
        assertThat(second).isEqualTo(first);
        assertThat(first.packageName()).startsWith("linux-binary-7.3");
        assertThat(first.version()).startsWith("7.3");
        assertThat(first.modules()).as("7.3 has virtio-serial built in").isEmpty();
        assertThat(BzImage.read(first.image()).release()).isEqualTo(first.release());
        assertThat(first.config()).hasValueSatisfying(config -> assertThat(config).content()
                .contains("CONFIG_IO_URING=y"));
        try (Stream<Path> kernels = Files.list(cache.resolve("kernels"))) {
            assertThat(kernels.map(dir -> dir.getFileName().toString()).toList())
                    .as("one kernel directory and no scratch left").containsExactly(
                            KernelImages.directoryName(first.packageName(), first.version()));
        }
        try (Stream<Path> debs = Files.walk(cache)) {
            assertThat(debs.filter(file -> file.toString().endsWith(".deb")).toList()).as("no .deb kept").isEmpty();
        }
        assertThat(cache.resolve("apt/experimental/sources.list")).content()
                .contains(" experimental main").doesNotContain(" sid ");

        // Offline: lists always stale, the archive unreachable; the cached kernel is still found.
        KernelImages offline = new KernelImages(cache, Duration.ZERO,
                new PrivateApt.Mirrors("http://127.0.0.1:9/debian", ""));
        assertThat(offline.resolve("debian:7.3")).isEqualTo(first);
        assertThat(List.of(first.image(), cache.resolve("kernels"))).allSatisfy(path -> assertThat(path).exists());
    }
}
