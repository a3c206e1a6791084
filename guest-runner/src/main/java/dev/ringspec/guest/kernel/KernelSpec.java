package dev.ringspec.guest.kernel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the user asked to boot: {@code debian:SERIES} (the newest Debian cloud kernel of that series) or a path to
 * a kernel image they built.
 */
public sealed interface KernelSpec {
    /**
     * A Debian kernel series and the suites that carry it, newest package first among them all.
     *
     * @param series  the kernel's major.minor, e.g. {@code 7.2}
     * @param suites  the suites to search, first the one that names the private apt directory
     */
    record Debian(String series, List<String> suites) implements KernelSpec {
        public Debian {
            suites = List.copyOf(suites);
        }

        /** Whether a package version belongs to this series: {@code 6.1.192-2} to 6.1, not {@code 6.12.117-1}. */
        public boolean matches(String packageVersion) {
            return Pattern.compile("^(\\d+:)?" + Pattern.quote(series) + "([.~+-].*)?$").matcher(packageVersion)
                    .matches();
        }

        @Override
        public String text() {
            return "debian:" + series;
        }
    }

    /** A kernel image on disk. */
    record File(Path image) implements KernelSpec {
        @Override
        public String text() {
            return image.toString();
        }
    }

    /** The spec as the user writes it. */
    String text();

    /**
     * Where each Debian series lives: 6.1 in bookworm (the point releases lag, bookworm-security is newest), 6.12 in
     * trixie (and trixie-security), 7.2 in sid, 7.3 in experimental.
     */
    Map<String, List<String>> DEBIAN_SERIES = Map.of(
            "6.1", List.of("bookworm", "bookworm-security"),
            "6.12", List.of("trixie", "trixie-security"),
            "7.2", List.of("sid"),
            "7.3", List.of("experimental"));

    /** Parses {@code debian:6.1}, {@code debian:6.12}, {@code debian:7.2}, {@code debian:7.3} or a path. */
    static KernelSpec parse(String text) {
        if (text.startsWith("debian:")) {
            String series = text.substring("debian:".length());
            List<String> suites = DEBIAN_SERIES.get(series);
            if (suites == null) {
                throw new IllegalArgumentException("unknown Debian kernel " + text
                        + ": use debian:6.1, debian:6.12, debian:7.2 or debian:7.3, or a path to a kernel image");
            }
            return new Debian(series, suites);
        }
        if (text.isBlank()) {
            throw new IllegalArgumentException("an empty kernel spec: use debian:6.1, debian:6.12, debian:7.2 or"
                    + " debian:7.3, or a path to a kernel image");
        }
        return new File(Path.of(text));
    }
}
