package dev.ringspec.teach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.fixtures.vectors.Lesson;
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

    /** The page of {@code lesson} on its model's side, written into the screenshots' directory. */
    private static Path page(String lesson) throws Exception {
        Lesson l = Lessons.load(lesson);
        Explanation e = LessonRun.run(l, LessonRun.modelSide(l, KernelProfile.LINUX_7_3), null);
        Files.createDirectories(SHOTS);
        Path page = SHOTS.resolve(lesson.replace(".lesson", "") + ".html").toAbsolutePath();
        Files.writeString(page, HtmlPage.of(e));
        return page;
    }

    /** Screenshots of {@code steps} of {@code lesson}'s page, each a PNG, each different from the one before. */
    private static void screenshots(String chromium, Path profile, String lesson, int... steps) throws Exception {
        Path page = page(lesson);
        byte[] before = null;
        for (int step : steps) {
            Path shot = SHOTS.resolve(lesson + "-step-" + step + ".png").toAbsolutePath();
            Files.deleteIfExists(shot);
            run(chromium, profile, "--virtual-time-budget=2000", "--screenshot=" + shot, page.toUri() + "#step-" + step);
            assertThat(shot).exists();
            byte[] png = Files.readAllBytes(shot);
            assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
            assertThat(png).as("%s step %d looks like the step before", lesson, step).isNotEqualTo(before);
            before = png;
        }
    }

    @Test
    void chromiumStepsThroughTheOverflowLessonAndDrawsEachStep() throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "headless Chromium is not installed (Debian's chromium package; .ci/run "
                + "installs it)");
        Path page = page("overflow-and-flush");
        int steps = LessonRun.run(Lessons.load("overflow-and-flush"), ReferenceBackends.model(KernelProfile.LINUX_7_3),
                null).frames().size();
        Path profile = Files.createTempDirectory("ringspec-chromium");
        String dom = run(chromium, profile, "--virtual-time-budget=2000", "--dump-dom",
                page.toUri() + "#step-" + (steps - 1));
        // the page's script chose the step from the fragment: only that section is current
        assertThat(dom).contains("data-current=\"" + (steps - 1) + "\"");
        assertThat(dom).contains("step " + (steps - 1) + " of " + steps);
        assertThat(dom).contains("<section class=\"step current\" id=\"step-" + (steps - 1) + "\">");
        assertThat(dom.split("class=\"step current\"", -1)).hasSize(2);
        screenshots(chromium, profile, "overflow-and-flush", 1, 3, steps - 1);
    }

    /**
     * Every shipped lesson's page in Chromium at its last step: the script ran (the step counter reads "step N of
     * N"), that step alone is current, and its rules are listed; the multishot and drain lessons, which the
     * emulator runs, are screenshot at the steps that show what they teach.
     */
    @Test
    void chromiumShowsEveryLessonToItsLastStep() throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "headless Chromium is not installed (Debian's chromium package; .ci/run "
                + "installs it)");
        Path profile = Files.createTempDirectory("ringspec-chromium");
        for (String name : Lessons.names()) {
            Lesson l = Lessons.load(name);
            int steps = LessonRun.run(l, LessonRun.modelSide(l, KernelProfile.LINUX_7_3), null).frames().size();
            String dom = run(chromium, profile, "--virtual-time-budget=2000", "--dump-dom",
                    page(name).toUri() + "#step-" + steps);
            assertThat(dom).as(name).contains("step " + steps + " of " + steps,
                    "<section class=\"step current\" id=\"step-" + steps + "\">", "Question:");
            assertThat(dom.split("class=\"step current\"", -1)).as(name).hasSize(2);
            assertThat(dom).as(name).contains("<h3>Rules that acted</h3>");
        }
        // multishot: the first CQE with F_MORE; the last two, the second with F_MORE and the third without
        screenshots(chromium, profile, "multishot-f-more", 2, 4);
        // drain: ud 2 alone after the submit, ud 3 and 4 held back; then the timeout, ud 3 and ud 4 in that order
        screenshots(chromium, profile, "drain", 2, 4);
    }
}
