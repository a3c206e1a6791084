package dev.ringspec.teach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.model.KernelProfile;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Loads an explain page in headless Chromium (Debian's {@code chromium}; .ci/run installs it), steps through it by
 * URL fragment, reads the DOM the page's script left, and takes a screenshot of each step into
 * {@code target/explain-screenshots} for people to look at. Skips with the reason where Chromium is absent.
 */
class HtmlPageChromiumTest {
    private static final Path SHOTS = Path.of("target", "explain-screenshots");

    private static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    private static String run(String chromium, Path profile, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profile, "--window-size=1400,1100"));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return out;
    }

    @Test
    void chromiumStepsThroughTheOverflowLessonAndDrawsEachStep() throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "headless Chromium is not installed (Debian's chromium package; .ci/run "
                + "installs it)");
        Explanation e = LessonRun.run(Lessons.load("overflow-and-flush"),
                ReferenceBackends.model(KernelProfile.LINUX_7_3), null);
        Files.createDirectories(SHOTS);
        Path page = SHOTS.resolve("overflow-and-flush.html").toAbsolutePath();
        Files.writeString(page, HtmlPage.of(e));
        Path profile = Files.createTempDirectory("ringspec-chromium");
        int steps = e.frames().size();
        String dom = run(chromium, profile, "--virtual-time-budget=2000", "--dump-dom",
                page.toUri() + "#step-" + (steps - 1));
        // the page's script chose the step from the fragment: only that section is current
        assertThat(dom).contains("data-current=\"" + (steps - 1) + "\"");
        assertThat(dom).contains("step " + (steps - 1) + " of " + steps);
        assertThat(dom).contains("<section class=\"step current\" id=\"step-" + (steps - 1) + "\">");
        assertThat(dom.split("class=\"step current\"", -1)).hasSize(2);
        List<byte[]> shots = new ArrayList<>();
        for (int step : new int[] {1, 3, steps - 1}) {
            Path shot = SHOTS.resolve("overflow-and-flush-step-" + step + ".png").toAbsolutePath();
            Files.deleteIfExists(shot);
            run(chromium, profile, "--virtual-time-budget=2000", "--screenshot=" + shot, page.toUri() + "#step-" + step);
            assertThat(shot).exists();
            byte[] png = Files.readAllBytes(shot);
            assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
            shots.add(png);
        }
        assertThat(shots.get(0)).isNotEqualTo(shots.get(1));
        assertThat(shots.get(1)).isNotEqualTo(shots.get(2));
    }
}
