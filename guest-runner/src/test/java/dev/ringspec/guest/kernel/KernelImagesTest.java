package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.GuestUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelImagesTest {
    @TempDir
    Path cache;

    @Test
    void anUnreachableArchiveIsOneSentenceAndNothingIsCached() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "apt-get is not installed");
        // Port 9 (discard) on the loopback address: nothing listens, so the connection is refused at once.
        KernelImages images = new KernelImages(cache, Duration.ofHours(1),
                new PrivateApt.Mirrors("http://127.0.0.1:9/debian", "http://127.0.0.1:9/debian-security"));
        assertThatThrownBy(() -> images.resolve("debian:7.2"))
                .isInstanceOfSatisfying(GuestUnavailableException.class, e -> {
                    assertThat(e.reason()).isEqualTo(GuestUnavailableException.Reason.DOWNLOAD_UNAVAILABLE);
                    assertThat(e.exitCode()).isEqualTo(77);
                })
                .hasMessageStartingWith("The kernel debian:7.2 could not be downloaded and no copy is cached")
                .hasMessageNotContaining("\n");
        assertThat(cache.resolve("apt/sid/sources.list")).content()
                .contains(" http://127.0.0.1:9/debian sid main").doesNotContain("experimental");
        assertThat(cache.resolve("kernels")).doesNotExist();
    }

    @Test
    void aUsersFileThatIsNoKernelIsRefused() throws Exception {
        byte[] noise = new byte[4096];
        new Random(2).nextBytes(noise);
        Path image = Files.write(cache.resolve("vmlinuz"), noise);
        KernelImages images = new KernelImages(cache, Duration.ofHours(1), null);
        assertThatThrownBy(() -> images.resolve(image.toString())).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("is not an x86 kernel image");
    }

    @Test
    void builtinModulesAreReadFromModulesBuiltin() throws Exception {
        Path release = Files.createDirectories(cache.resolve("lib/modules/7.2.13+deb14-cloud-amd64"));
        Files.writeString(release.resolve("modules.builtin"),
                "kernel/drivers/virtio/virtio.ko\nkernel/drivers/char/virtio_console.ko\nkernel/fs/fuse/virtio-fs.ko\n");
        assertThat(KernelImages.builtinModules(release)).containsExactlyInAnyOrder("virtio", "virtio_console",
                "virtio_fs");
    }

    @Test
    void anEpochsColonIsNotPutInADirectoryName() {
        assertThat(KernelImages.directoryName("linux-binary-7.2.13+deb14-cloud-amd64", "1:7.2.13-1"))
                .isEqualTo("linux-binary-7.2.13+deb14-cloud-amd64_1%3a7.2.13-1");
    }
}
