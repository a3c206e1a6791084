package dev.ringspec.guest.kernel;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A bootable kernel on disk, with the modules its guest must load (in order) before the agent's virtio-serial port
 * exists.
 *
 * @param spec        what the user asked for ({@code debian:7.2} or the image's path)
 * @param packageName the Debian package the image came from, or empty for a user's image
 * @param version     the package's version ({@code 7.2.13-1}), or empty for a user's image
 * @param release     the kernel release ({@code uname -r}), from the image's own header
 * @param image       the bzImage
 * @param modules     modules to load with finit_module, in order; empty where the drivers are built in
 * @param config      the kernel's build configuration, where the package ships one
 */
public record KernelImage(String spec, String packageName, String version, String release, Path image,
        List<Path> modules, Optional<Path> config) {
    public KernelImage {
        modules = List.copyOf(modules);
    }

    /** {@code linux-binary-7.2.13+deb14-cloud-amd64 7.2.13-1}, or the image's path. */
    public String describe() {
        return packageName.isEmpty() ? image.toString() : packageName + " " + version;
    }
}
