package dev.ringspec.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.model.Mutant;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The HTML report renders in headless Chromium (Debian's {@code chromium}) with the network off: the DOM Chromium
 * builds holds the new divergence's section, and screenshots of the page (a wide and a narrow window) are left in
 * {@code target/report-screenshots} to be looked at. Skips with the reason where Chromium is not installed.
 */
class HtmlChromiumTest {
    private static final Path SHOTS = Path.of("target", "report-screenshots");

    @Test
    void reportRendersInHeadlessChromiumWithoutNetwork() throws Exception {
        Optional<Path> chromium = chromium();
        assumeTrue(chromium.isPresent(), "chromium is not installed (apt-get install chromium); the HTML report was "
                + "not rendered");
        Files.createDirectories(SHOTS);
        Path dirty = SHOTS.resolve("divergence").toAbsolutePath();
        Reports.write(dirty, ReportsTest.report(Set.of(Mutant.DROPPED_SQE_COUNTED), 200));
        Path clean = SHOTS.resolve("clean").toAbsolutePath();
        Reports.write(clean, ReportsTest.report(Set.of(), 20));

        String dom = run(chromium.get(), "--dump-dom", dirty.resolve("report.html").toUri().toString());
        assertThat(dom).contains("<section id=\"k0-new-1\">", "ringspec check", "<svg");
        for (String[] shot : new String[][] {{"divergence", "1280,2400"}, {"divergence-narrow", "700,1600"},
                {"clean", "1280,1400"}}) {
            Path html = (shot[0].startsWith("clean") ? clean : dirty).resolve("report.html");
            Path png = SHOTS.resolve(shot[0] + ".png").toAbsolutePath();
            Files.deleteIfExists(png);
            run(chromium.get(), "--screenshot=" + png, "--window-size=" + shot[1], html.toUri().toString());
            assertThat(png).exists();
            byte[] bytes = Files.readAllBytes(png);
            assertThat(bytes.length).as(png.toString()).isGreaterThan(10_000);
            assertThat(new String(bytes, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }

    static Optional<Path> chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Runs headless Chromium on one page with the network unusable; its standard output. */
    private static String run(Path chromium, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--proxy-server=127.0.0.1:9",
                "--user-data-dir=" + Files.createTempDirectory("ringspec-chromium")));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue()).as("chromium's exit status").isZero();
        return out;
    }
}
