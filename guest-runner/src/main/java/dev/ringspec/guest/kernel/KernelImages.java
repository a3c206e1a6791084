package dev.ringspec.guest.kernel;

import dev.ringspec.guest.GuestUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resolves a {@link KernelSpec} to a bootable kernel on disk, downloading Debian's packages without installing
 * them.
 *
 * <pre>
 * CACHE/ringspec/apt/SUITE/                a private apt configuration per suite set ({@link PrivateApt})
 * CACHE/ringspec/apt/SUITE/ringspec.lock   held while resolving, downloading and extracting
 * CACHE/ringspec/kernels/PACKAGE_VERSION/  vmlinuz, config, modules.builtin, modules/*.ko*, kernel.properties
 * </pre>
 *
 * CACHE is {@code $XDG_CACHE_HOME}, else {@code ~/.cache}. A Debian spec resolves to the newest package of its
 * series in its suites: {@code linux-image-ABI-cloud-amd64-unsigned} for 6.x (image and modules in one package),
 * {@code linux-binary-ABI-cloud-amd64} for 7.x (the image alone; {@code linux-base-ABI} brings the config and
 * {@code modules.builtin}, and {@code linux-modules-ABI} is fetched only where a module the guest needs is not
 * built in). Each package is unpacked with {@code dpkg-deb -x} into a scratch directory, and only what the guest
 * needs is kept; the kernel's directory appears by an atomic rename, so a directory that exists is complete.
 *
 * <p>The lists are refreshed when older than the given age; where the archive cannot be reached the lists and
 * kernels already cached are used, so a kernel fetched once boots offline. Concurrent runs (threads or processes)
 * serialise on the suite's lock file.
 */
public final class KernelImages {
    /**
     * What the guest needs for its virtio-serial port, in load order (each needs the ones before it). Built into
     * Debian's 6.12 and later cloud kernels; modules in 6.1's.
     */
    public static final List<String> GUEST_MODULES = List.of("virtio_ring", "virtio", "virtio_pci_modern_dev",
            "virtio_pci_legacy_dev", "virtio_pci", "virtio_console");

    private static final Pattern PACKAGES = Pattern.compile(
            "^linux-(image-([0-9].*)-cloud-amd64-unsigned|binary-([0-9].*)-cloud-amd64)$");
    private static final Map<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final Path cacheRoot;
    private final Duration maxListAge;
    private final PrivateApt.Mirrors mirrors;
    /** Debian specs already resolved by this instance, reused while younger than the lists' age limit. */
    private final Map<String, Map.Entry<KernelImage, Instant>> resolved = new ConcurrentHashMap<>();

    /**
     * @param cacheRoot  the ringspec cache directory ({@code CACHE/ringspec})
     * @param maxListAge refresh the package lists when older than this
     * @param mirrors    where to download from; null to use the system's apt sources (or the environment)
     */
    KernelImages(Path cacheRoot, Duration maxListAge, PrivateApt.Mirrors mirrors) {
        this.cacheRoot = cacheRoot;
        this.maxListAge = maxListAge;
        this.mirrors = mirrors;
    }

    /** Kernels cached in the user's cache directory, package lists refreshed when older than an hour. */
    public static KernelImages inUserCache() {
        return new KernelImages(userCacheRoot(), Duration.ofHours(1), null);
    }

    /** {@code $XDG_CACHE_HOME/ringspec}, else {@code ~/.cache/ringspec}. */
    public static Path userCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("ringspec");
    }

    /** Resolves {@code spec} as the user writes it. */
    public KernelImage resolve(String spec) throws GuestUnavailableException, KernelImageException, IOException {
        return resolve(KernelSpec.parse(spec));
    }

    public KernelImage resolve(KernelSpec spec) throws GuestUnavailableException, KernelImageException, IOException {
        return switch (spec) {
            case KernelSpec.File file -> {
                BzImage header = BzImage.read(file.image());
                yield new KernelImage(spec.text(), "", "", header.release(), file.image().toAbsolutePath(),
                        List.of(), Optional.empty());
            }
            case KernelSpec.Debian debian -> {
                Map.Entry<KernelImage, Instant> earlier = resolved.get(debian.text());
                if (earlier != null && earlier.getValue().isAfter(Instant.now().minus(maxListAge))
                        && Files.exists(earlier.getKey().image())) {
                    yield earlier.getKey();
                }
                KernelImage image = resolveDebian(debian);
                resolved.put(debian.text(), Map.entry(image, Instant.now()));
                yield image;
            }
        };
    }

    private KernelImage resolveDebian(KernelSpec.Debian spec) throws GuestUnavailableException, IOException {
        Path aptDir = cacheRoot.resolve("apt").resolve(spec.suites().getFirst());
        Files.createDirectories(aptDir);
        ReentrantLock threadLock = IN_PROCESS_LOCKS.computeIfAbsent(aptDir, dir -> new ReentrantLock());
        threadLock.lock();
        try (FileChannel lockFile = FileChannel.open(aptDir.resolve("ringspec.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.lock();
            try {
                return resolveLocked(spec, aptDir);
            } finally {
                lock.release();
            }
        } finally {
            threadLock.unlock();
        }
    }

    private KernelImage resolveLocked(KernelSpec.Debian spec, Path aptDir)
            throws GuestUnavailableException, IOException {
        PrivateApt apt;
        try {
            apt = new PrivateApt(aptDir, spec.suites(), mirrors != null ? mirrors : PrivateApt.Mirrors.fromSystem());
        } catch (GuestUnavailableException noMirror) {
            return newestCached(spec).orElseThrow(() -> noMirror);
        }
        String updateProblem = null;
        FileTime updated = apt.updated();
        if (updated == null || updated.toInstant().isBefore(Instant.now().minus(maxListAge))) {
            PrivateApt.Result result = apt.update();
            if (result.status() != 0) {
                updateProblem = result.lastLines(2);
            }
        }
        if (updateProblem != null && !apt.hasLists()) {
            Optional<KernelImage> cached = newestCached(spec);
            if (cached.isPresent()) {
                return cached.get();
            }
            throw unavailable(spec, "apt-get update failed: " + updateProblem);
        }
        Map.Entry<String, String> newest = newestPackage(apt, spec).orElse(null);
        if (newest == null) {
            Optional<KernelImage> cached = newestCached(spec);
            if (cached.isPresent()) {
                return cached.get();
            }
            throw unavailable(spec, updateProblem != null ? "apt-get update failed: " + updateProblem
                    : "no linux-image-*-cloud-amd64-unsigned or linux-binary-*-cloud-amd64 package of " + spec.series()
                            + " is in " + String.join(", ", spec.suites()));
        }
        Path kernelDir = cacheRoot.resolve("kernels").resolve(directoryName(newest.getKey(), newest.getValue()));
        if (Files.exists(kernelDir.resolve("kernel.properties"))) {
            return load(kernelDir);
        }
        try {
            fetch(apt, spec, newest.getKey(), newest.getValue(), kernelDir);
        } catch (IOException e) {
            Optional<KernelImage> cached = newestCached(spec);
            if (cached.isPresent()) {
                return cached.get();
            }
            throw unavailable(spec, e.getMessage());
        }
        return load(kernelDir);
    }

    private static GuestUnavailableException unavailable(KernelSpec.Debian spec, String why) {
        return new GuestUnavailableException(GuestUnavailableException.Reason.DOWNLOAD_UNAVAILABLE,
                "The kernel " + spec.text() + " could not be downloaded and no copy is cached (" + why
                        + "): connect to the Debian archive once, or name a kernel image file.");
    }

    /** The newest cloud kernel package of the spec's series, as (package, version). */
    static Optional<Map.Entry<String, String>> newestPackage(PrivateApt apt, KernelSpec.Debian spec)
            throws IOException {
        return apt.versions("^linux-(image-[0-9].*-cloud-amd64-unsigned|binary-[0-9].*-cloud-amd64)$").stream()
                .filter(entry -> PACKAGES.matcher(entry.getKey()).matches() && spec.matches(entry.getValue()))
                .max(Comparator.comparing(Map.Entry::getValue, DebianVersion.ORDER));
    }

    /** Downloads, unpacks and keeps what the guest needs, then renames the scratch directory into place. */
    private static void fetch(PrivateApt apt, KernelSpec.Debian spec, String packageName, String version,
            Path kernelDir) throws IOException {
        Path kernels = kernelDir.getParent();
        Files.createDirectories(kernels);
        Path scratch = Files.createTempDirectory(kernels, ".fetch-");
        try {
            Path debs = Files.createDirectories(scratch.resolve("debs"));
            Path root = Files.createDirectories(scratch.resolve("root"));
            Matcher name = PACKAGES.matcher(packageName);
            if (!name.matches()) {
                throw new IllegalStateException(packageName);
            }
            String abi = name.group(2) != null ? name.group(2) : name.group(3);
            List<String> packages = new ArrayList<>(List.of(packageName));
            extract(apt.download(packageName, version, debs), root);
            if (name.group(3) != null) {
                String base = "linux-base-" + abi + "-cloud-amd64";
                extract(apt.download(base, version, debs), root);
                packages.add(base);
            }
            Path modulesDir = modulesDirectory(root);
            Set<String> builtin = builtinModules(modulesDir);
            List<String> needed = GUEST_MODULES.stream().filter(module -> !builtin.contains(module)).toList();
            if (!needed.isEmpty() && findModules(modulesDir, needed).size() < needed.size()
                    && name.group(3) != null) {
                String modules = "linux-modules-" + abi + "-cloud-amd64";
                extract(apt.download(modules, version, debs), root);
                packages.add(modules);
            }
            Map<String, Path> found = findModules(modulesDir, needed);
            List<String> missing = needed.stream().filter(module -> !found.containsKey(module)).toList();
            if (!missing.isEmpty()) {
                throw new IOException(packageName + " " + version + " has neither built in nor as modules: "
                        + String.join(", ", missing));
            }
            Path staged = Files.createDirectories(scratch.resolve("kernel"));
            Path vmlinuz = findImage(root, modulesDir);
            Files.copy(vmlinuz, staged.resolve("vmlinuz"));
            Path config = configOf(root, modulesDir);
            if (config != null) {
                Files.copy(config, staged.resolve("config"));
            }
            if (Files.exists(modulesDir.resolve("modules.builtin"))) {
                Files.copy(modulesDir.resolve("modules.builtin"), staged.resolve("modules.builtin"));
            }
            Path stagedModules = Files.createDirectories(staged.resolve("modules"));
            List<String> moduleFiles = new ArrayList<>();
            for (String module : needed) {
                Path source = found.get(module);
                Files.copy(source, stagedModules.resolve(source.getFileName()));
                moduleFiles.add("modules/" + source.getFileName());
            }
            Properties properties = new Properties();
            properties.setProperty("spec", spec.text());
            properties.setProperty("package", packageName);
            properties.setProperty("version", version);
            properties.setProperty("packages", String.join(" ", packages));
            properties.setProperty("release", modulesDir.getFileName().toString());
            properties.setProperty("modules", String.join(" ", moduleFiles));
            try (var out = Files.newOutputStream(staged.resolve("kernel.properties"))) {
                properties.store(out, "A Debian kernel unpacked by ringspec; only what the guest needs is kept.");
            }
            try {
                Files.move(staged, kernelDir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
                // Another process, not sharing our lock directory, unpacked the same version first: keep theirs.
            }
        } finally {
            deleteTree(scratch);
        }
    }

    private static void extract(Path deb, Path root) throws IOException {
        PrivateApt.Result result = PrivateApt.run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), null,
                Duration.ofMinutes(5));
        if (result.status() != 0) {
            throw new IOException("dpkg-deb -x " + deb.getFileName() + " failed: " + result.lastLines(2));
        }
    }

    /** {@code lib/modules/RELEASE} (6.x) or {@code usr/lib/modules/RELEASE} (7.x). */
    private static Path modulesDirectory(Path root) throws IOException {
        for (Path parent : List.of(root.resolve("lib/modules"), root.resolve("usr/lib/modules"))) {
            if (Files.isDirectory(parent)) {
                try (Stream<Path> releases = Files.list(parent)) {
                    Optional<Path> release = releases.filter(Files::isDirectory).findFirst();
                    if (release.isPresent()) {
                        return release.get();
                    }
                }
            }
        }
        throw new IOException("the package has no lib/modules/RELEASE directory");
    }

    private static Path findImage(Path root, Path modulesDir) throws IOException {
        if (Files.isRegularFile(modulesDir.resolve("vmlinuz"))) {
            return modulesDir.resolve("vmlinuz");
        }
        Path boot = root.resolve("boot/vmlinuz-" + modulesDir.getFileName());
        if (Files.isRegularFile(boot)) {
            return boot;
        }
        throw new IOException("the package has no vmlinuz for " + modulesDir.getFileName());
    }

    private static Path configOf(Path root, Path modulesDir) {
        for (Path config : List.of(modulesDir.resolve("config"), root.resolve("boot/config-"
                + modulesDir.getFileName()))) {
            if (Files.isRegularFile(config)) {
                return config;
            }
        }
        return null;
    }

    /** Module names built into the kernel, from {@code modules.builtin} ({@code kernel/drivers/.../NAME.ko}). */
    static Set<String> builtinModules(Path modulesDir) throws IOException {
        Path builtin = modulesDir.resolve("modules.builtin");
        Set<String> names = new HashSet<>();
        if (Files.exists(builtin)) {
            for (String line : Files.readAllLines(builtin)) {
                String file = line.substring(line.lastIndexOf('/') + 1);
                if (file.endsWith(".ko")) {
                    names.add(file.substring(0, file.length() - 3).replace('-', '_'));
                }
            }
        }
        return names;
    }

    /** Each named module's file under {@code kernel/}: {@code NAME.ko}, or compressed {@code .ko.xz}/{@code .zst}. */
    private static Map<String, Path> findModules(Path modulesDir, List<String> names) throws IOException {
        Map<String, Path> found = new ConcurrentHashMap<>();
        Path tree = modulesDir.resolve("kernel");
        if (!Files.isDirectory(tree)) {
            return found;
        }
        try (Stream<Path> files = Files.walk(tree)) {
            files.filter(Files::isRegularFile).forEach(file -> {
                String fileName = file.getFileName().toString();
                int ko = fileName.indexOf(".ko");
                if (ko > 0 && List.of(".ko", ".ko.xz", ".ko.zst", ".ko.gz").contains(fileName.substring(ko))) {
                    String module = fileName.substring(0, ko).replace('-', '_');
                    if (names.contains(module)) {
                        found.put(module, file);
                    }
                }
            });
        }
        return found;
    }

    /** The newest kernel of {@code spec} in the cache, for running offline. */
    private Optional<KernelImage> newestCached(KernelSpec.Debian spec) throws IOException {
        Path kernels = cacheRoot.resolve("kernels");
        if (!Files.isDirectory(kernels)) {
            return Optional.empty();
        }
        List<KernelImage> cached = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(kernels)) {
            for (Path dir : dirs.toList()) {
                if (Files.exists(dir.resolve("kernel.properties"))) {
                    KernelImage image = load(dir);
                    if (image.spec().equals(spec.text())) {
                        cached.add(image);
                    }
                }
            }
        }
        return cached.stream().max(Comparator.comparing(KernelImage::version, DebianVersion.ORDER));
    }

    private static KernelImage load(Path kernelDir) throws IOException {
        Properties properties = new Properties();
        try (var in = Files.newInputStream(kernelDir.resolve("kernel.properties"))) {
            properties.load(in);
        }
        List<Path> modules = new ArrayList<>();
        for (String module : properties.getProperty("modules", "").split(" ")) {
            if (!module.isBlank()) {
                modules.add(kernelDir.resolve(module));
            }
        }
        Path config = kernelDir.resolve("config");
        return new KernelImage(properties.getProperty("spec"), properties.getProperty("package"),
                properties.getProperty("version"), properties.getProperty("release"), kernelDir.resolve("vmlinuz"),
                modules, Files.exists(config) ? Optional.of(config) : Optional.empty());
    }

    /** {@code PACKAGE_VERSION}, with an epoch's colon (not allowed in some file systems) written as {@code %3a}. */
    static String directoryName(String packageName, String version) {
        return packageName + "_" + version.replace(":", "%3a");
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // A scratch directory left behind is only space.
        }
    }
}
