package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateAptTest {
    @TempDir
    Path dir;

    @Test
    void theArchivesAreFoundByOriginAndLabel() {
        String targets = """
                Debian\tDebian-Security\thttp://mirror.test/debian-security/
                Ubuntu\tUbuntu\thttp://other.test/ubuntu/
                Debian\tDebian\thttp://mirror.test/debian/
                Debian\tDebian\thttp://second.test/debian/
                """;
        assertThat(PrivateApt.Mirrors.fromIndexTargets(targets, "")).isEqualTo(
                new PrivateApt.Mirrors("http://mirror.test/debian/", "http://mirror.test/debian-security/"));
    }

    @Test
    void withoutListsTheSuiteNamesTellADebianArchive() {
        String sources = """
                jammy\thttp://other.test/ubuntu/
                bookworm-security\thttp://mirror.test/debian-security/
                bookworm\thttp://mirror.test/debian/
                bookworm-updates\thttp://mirror.test/debian/
                """;
        assertThat(PrivateApt.Mirrors.fromIndexTargets("", sources)).isEqualTo(
                new PrivateApt.Mirrors("http://mirror.test/debian/", "http://mirror.test/debian-security/"));
        assertThat(PrivateApt.Mirrors.fromIndexTargets("", "jammy\thttp://other.test/ubuntu/\n"))
                .isEqualTo(new PrivateApt.Mirrors("", ""));
    }

    @Test
    void theSourcesListNamesOnlyTheSuitesAskedForWithTheArchiveKeyring() throws Exception {
        new PrivateApt(dir, List.of("bookworm", "bookworm-security"),
                new PrivateApt.Mirrors("http://mirror.test/debian/", "http://mirror.test/debian-security/"));
        assertThat(dir.resolve("sources.list")).content().isEqualTo("""
                # Written by ringspec: used only to download kernel packages.
                deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.test/debian/ bookworm main
                deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.test/debian-security/\
                 bookworm-security main
                """);
        assertThat(dir.resolve("status")).isEmptyFile();
        assertThat(dir.resolve("sources.list.d")).isEmptyDirectory();
        assertThat(dir.resolve("preferences.d")).isEmptyDirectory();
        // No security archive known: the security suite is left out rather than sent to the main archive.
        new PrivateApt(dir, List.of("bookworm", "bookworm-security"),
                new PrivateApt.Mirrors("http://mirror.test/debian/", ""));
        assertThat(dir.resolve("sources.list")).content().doesNotContain("security");
    }
}
