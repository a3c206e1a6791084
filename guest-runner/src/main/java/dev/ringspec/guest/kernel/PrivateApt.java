package dev.ringspec.guest.kernel;

import dev.ringspec.guest.GuestUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * apt with a configuration of its own, for downloading kernel packages without touching the system's package
 * state. Everything lives under one directory:
 *
 * <pre>
 * DIR/sources.list      only the suites asked for, verified with the system's archive keyring
 * DIR/sources.list.d/   empty (Dir::Etc::SourceParts): the system's sources are not read
 * DIR/preferences.d/    empty (Dir::Etc::PreferencesParts): nor its pinning
 * DIR/status            empty (Dir::State::status): nothing counts as installed
 * DIR/state/lists/      the suites' package lists (Dir::State, Dir::State::Lists)
 * DIR/cache/            apt's package cache, pkgcache.bin (Dir::Cache)
 * </pre>
 *
 * Only {@code apt-get update}, {@code apt-cache} and {@code apt-get download} run with it; nothing is installed.
 * The system's apt.conf still applies (a proxy configured there is honoured).
 */
final class PrivateApt {
    /** The keyring the system's own Debian sources are verified with. */
    static final Path ARCHIVE_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");

    /**
     * Where the Debian archive and its security archive are fetched from: by default the URIs the system's own apt
     * sources use for them, overridden by {@code RINGSPEC_DEBIAN_MIRROR} and {@code RINGSPEC_DEBIAN_SECURITY_MIRROR}.
     *
     * @param archive  the Debian archive's URI
     * @param security the security archive's URI, or empty where none is known (security suites are then skipped)
     */
    record Mirrors(String archive, String security) {
        static Mirrors fromSystem() throws GuestUnavailableException {
            String archive = System.getenv("RINGSPEC_DEBIAN_MIRROR");
            String security = System.getenv("RINGSPEC_DEBIAN_SECURITY_MIRROR");
            if (archive == null || security == null) {
                Mirrors system;
                try {
                    system = fromIndexTargets(run(List.of("apt-get", "indextargets", "--format",
                            "$(ORIGIN)\t$(LABEL)\t$(REPO_URI)"), null, Duration.ofSeconds(30)).output(), "");
                    if (system.archive().isEmpty()) {
                        // Without the system's lists (never updated, or cleaned) apt knows no origins; the suite
                        // names in its sources still tell a Debian archive.
                        system = fromIndexTargets("", run(List.of("apt-get", "indextargets", "--no-release-info",
                                "--format", "$(RELEASE)\t$(REPO_URI)"), null, Duration.ofSeconds(30)).output());
                    }
                } catch (IOException e) {
                    system = new Mirrors("", "");
                }
                archive = archive != null ? archive : system.archive();
                security = security != null ? security : system.security();
            }
            if (archive.isBlank()) {
                throw new GuestUnavailableException(GuestUnavailableException.Reason.DOWNLOAD_UNAVAILABLE,
                        "No Debian archive is configured in this system's apt sources: set RINGSPEC_DEBIAN_MIRROR"
                                + " to a Debian archive URI, or name a kernel image file.");
            }
            return new Mirrors(archive, security);
        }

        /**
         * The archives named in {@code apt-get indextargets} output: {@code withOrigins} in the format
         * {@code ORIGIN LABEL REPO_URI} (labels Debian and Debian-Security), else {@code withSuites} in the format
         * {@code RELEASE REPO_URI} (a Debian suite name, or one ending in {@code -security}); fields tab-separated.
         */
        static Mirrors fromIndexTargets(String withOrigins, String withSuites) {
            String archive = "";
            String security = "";
            for (String line : withOrigins.split("\n")) {
                String[] fields = line.split("\t");
                if (fields.length == 3 && fields[0].equals("Debian")) {
                    if (fields[1].equals("Debian") && archive.isEmpty()) {
                        archive = fields[2];
                    } else if (fields[1].equals("Debian-Security") && security.isEmpty()) {
                        security = fields[2];
                    }
                }
            }
            for (String line : withSuites.split("\n")) {
                String[] fields = line.split("\t");
                if (fields.length != 2) {
                    continue;
                }
                if (DEBIAN_SUITES.contains(fields[0]) && archive.isEmpty()) {
                    archive = fields[1];
                } else if (fields[0].endsWith("-security") && security.isEmpty()
                        && DEBIAN_SUITES.contains(fields[0].substring(0, fields[0].length() - "-security".length()))) {
                    security = fields[1];
                }
            }
            return new Mirrors(archive, security);
        }
    }

    /** Debian's suite names, to recognise a Debian archive in the system's sources when apt has no lists. */
    static final Set<String> DEBIAN_SUITES = Set.of("bullseye", "bookworm", "trixie", "forky",
            "duke", "sid", "oldoldstable", "oldstable", "stable", "testing", "unstable");

    /** A finished command: its exit status and its standard output and error, merged. */
    record Result(int status, String output) {
        /** The last few lines, for an error message. */
        String lastLines(int count) {
            List<String> lines = output.lines().filter(line -> !line.isBlank()).toList();
            return String.join(" ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        }
    }

    private final Path dir;

    PrivateApt(Path dir, List<String> suites, Mirrors mirrors) throws IOException {
        this.dir = dir;
        for (String sub : List.of("sources.list.d", "preferences.d", "state/lists/partial", "cache/archives/partial")) {
            Files.createDirectories(dir.resolve(sub));
        }
        if (!Files.exists(dir.resolve("status"))) {
            Files.writeString(dir.resolve("status"), "");
        }
        StringBuilder sources = new StringBuilder("# Written by ringspec: used only to download kernel packages.\n");
        for (String suite : suites) {
            boolean isSecurity = suite.endsWith("-security");
            String uri = isSecurity ? mirrors.security() : mirrors.archive();
            if (uri.isBlank()) {
                continue;
            }
            sources.append("deb [signed-by=").append(ARCHIVE_KEYRING).append("] ").append(uri).append(' ')
                    .append(suite).append(" main\n");
        }
        Path list = dir.resolve("sources.list");
        if (!Files.exists(list) || !Files.readString(list).contentEquals(sources)) {
            Files.writeString(list, sources);
            Files.deleteIfExists(dir.resolve("updated"));
        }
    }

    /** The options that point apt at this directory instead of the system's state. */
    private List<String> options() {
        List<String> options = new ArrayList<>();
        for (Map.Entry<String, Path> option : List.of(
                Map.entry("Dir::Etc::SourceList", dir.resolve("sources.list")),
                Map.entry("Dir::Etc::SourceParts", dir.resolve("sources.list.d")),
                Map.entry("Dir::Etc::Preferences", dir.resolve("preferences")),
                Map.entry("Dir::Etc::PreferencesParts", dir.resolve("preferences.d")),
                Map.entry("Dir::State", dir.resolve("state")),
                Map.entry("Dir::State::Lists", dir.resolve("state/lists")),
                Map.entry("Dir::State::status", dir.resolve("status")),
                Map.entry("Dir::Cache", dir.resolve("cache")))) {
            options.add("-o");
            options.add(option.getKey() + "=" + option.getValue());
        }
        // As root apt fetches as the _apt user, who cannot write into a cache under /root; the files are ours.
        options.addAll(List.of("-o", "APT::Sandbox::User=root", "-o", "Acquire::Languages=none"));
        // Keep apt's binary package cache (some systems' apt.conf switch it off), so that each apt-cache after the
        // first reads it instead of parsing every list again; the source cache is not needed.
        options.addAll(List.of("-o", "Dir::Cache::pkgcache=pkgcache.bin", "-o", "Dir::Cache::srcpkgcache="));
        return options;
    }

    /** When the lists were last fetched, or null if never. */
    java.nio.file.attribute.FileTime updated() throws IOException {
        Path stamp = dir.resolve("updated");
        return Files.exists(stamp) ? Files.getLastModifiedTime(stamp) : null;
    }

    /** Whether a list was fetched at least once, so that offline resolution has something to read. */
    boolean hasLists() throws IOException {
        try (var files = Files.list(dir.resolve("state/lists"))) {
            return files.anyMatch(file -> file.getFileName().toString().contains("_Packages"));
        }
    }

    Result update() throws IOException {
        Result result = run(command("apt-get", "-q", "update"), null, Duration.ofMinutes(5));
        // apt-get update exits 0 even where a source failed; its W:/E: lines say so.
        if (result.status() == 0 && result.output().lines().noneMatch(line -> line.startsWith("E:")
                || line.startsWith("W: Failed") || line.startsWith("Err:"))) {
            Files.writeString(dir.resolve("updated"), "");
            return result;
        }
        return new Result(result.status() == 0 ? 100 : result.status(), result.output());
    }

    /** {@code Package}/{@code Version} pairs of the packages whose names match {@code regex}. */
    List<Map.Entry<String, String>> versions(String regex) throws IOException {
        Result stanzas = run(command("apt-cache", "search", "--names-only", "--full", regex), null,
                Duration.ofMinutes(2));
        List<Map.Entry<String, String>> found = new ArrayList<>();
        String name = null;
        for (String line : stanzas.output().split("\n")) {
            if (line.startsWith("Package: ")) {
                name = line.substring("Package: ".length()).strip();
            } else if (line.startsWith("Version: ") && name != null) {
                found.add(Map.entry(name, line.substring("Version: ".length()).strip()));
            }
        }
        return found;
    }

    /** Downloads {@code package=version} into {@code target}, the directory; returns the .deb. */
    Path download(String packageName, String version, Path target) throws IOException {
        Result result = run(command("apt-get", "-q", "download", packageName + "=" + version), target,
                Duration.ofMinutes(15));
        if (result.status() != 0) {
            throw new IOException("apt-get download " + packageName + "=" + version + " failed: "
                    + result.lastLines(2));
        }
        try (var files = Files.list(target)) {
            return files.filter(file -> file.getFileName().toString().startsWith(packageName + "_")
                    && file.getFileName().toString().endsWith(".deb")).findFirst()
                    .orElseThrow(() -> new IOException("apt-get download " + packageName + " left no .deb"));
        }
    }

    private List<String> command(String tool, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(tool);
        command.addAll(options());
        command.addAll(List.of(arguments));
        return command;
    }

    static Result run(List<String> command, Path workingDir, Duration timeout) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("LC_ALL", "C");
        if (workingDir != null) {
            builder.directory(workingDir.toFile());
        }
        Path output = Files.createTempFile("ringspec-apt-", ".log");
        try {
            builder.redirectOutput(output.toFile());
            Process process = builder.start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(command.getFirst() + " took longer than " + timeout.toMinutes()
                            + " minutes");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + command.getFirst(), e);
            }
            return new Result(process.exitValue(), new String(Files.readAllBytes(output), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
