package dev.ringspec.cli;

import dev.ringspec.model.KernelProfile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.CodeSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The profile {@code ringspec host} chooses for this kernel without {@code --profile}, kept between runs. Choosing
 * takes the whole capability probe (about 0.25 s of CPU in each hosted run), whose answer cannot change while the
 * same kernel stays booted, so the choice is kept in {@code $XDG_CACHE_HOME/ringspec/host-profile} (else
 * {@code ~/.cache/ringspec/host-profile}) under a key naming the boot ({@code /proc/sys/kernel/random/boot_id}),
 * the release, {@code kernel.io_uring_disabled}, the user and the jar (its path, size and time: another build may
 * choose otherwise). Only a jar has a key: from a class path of directories (Maven's tests) every run probes. A
 * cache file that cannot be read, names another key or an unknown profile, or cannot be written is no cache.
 */
final class HostProfileCache {
    private HostProfileCache() {
    }

    /** The cache file: {@code $XDG_CACHE_HOME/ringspec/host-profile}, else under {@code ~/.cache}. */
    static Path file(Map<String, String> env, String home) {
        String xdg = env.get("XDG_CACHE_HOME");
        // the XDG base directory specification ignores a relative path
        Path cache = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg) : Path.of(home, ".cache");
        return cache.resolve("ringspec").resolve("host-profile");
    }

    /** This boot, kernel, io_uring sysctl, user and jar, or empty where ringspec does not run from a jar. */
    static Optional<String> key() {
        try {
            // no location for classes an AOT cache made with a relative -jar path loaded
            CodeSource source = HostProfileCache.class.getProtectionDomain().getCodeSource();
            URL location = source == null ? null : source.getLocation();
            if (location == null) {
                return Optional.empty();
            }
            Path jar = Path.of(location.toURI());
            if (!Files.isRegularFile(jar)) {
                return Optional.empty();
            }
            StringBuilder key = new StringBuilder();
            for (String proc : List.of("/proc/sys/kernel/random/boot_id", "/proc/sys/kernel/osrelease",
                    "/proc/sys/kernel/io_uring_disabled")) {
                Path p = Path.of(proc);
                key.append(Files.isReadable(p) ? Files.readString(p).strip() : "-").append(' ');
            }
            return Optional.of(key.append(System.getProperty("user.name")).append(' ').append(jar).append(' ')
                    .append(Files.size(jar)).append(' ').append(Files.getLastModifiedTime(jar).toMillis()).toString());
        } catch (IOException | URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The profile kept under {@code key} in {@code file}, else {@code probe}'s, then kept there.
     *
     * @param profiles the profiles a kept version may name
     */
    static KernelProfile choose(Path file, Optional<String> key, List<KernelProfile> profiles,
            Supplier<KernelProfile> probe) {
        if (key.isEmpty()) {
            return probe.get();
        }
        String prefix = key.get().replace('\n', ' ') + '\t';
        try {
            String kept = Files.readString(file, StandardCharsets.UTF_8);
            if (kept.startsWith(prefix) && kept.endsWith("\n")) {
                String version = kept.substring(prefix.length(), kept.length() - 1);
                Optional<KernelProfile> known = profiles.stream().filter(p -> p.version().equals(version)).findFirst();
                if (known.isPresent()) {
                    return known.get();
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // no cache, or one that cannot be read: probe
        }
        KernelProfile chosen = probe.get();
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "host-profile", ".tmp");
            try {
                Files.writeString(tmp, prefix + chosen.version() + "\n", StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // an unwritable cache: the next run probes again
        }
        return chosen;
    }
}
