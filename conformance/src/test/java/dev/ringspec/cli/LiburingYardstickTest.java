package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/liburing-yardstick}, which measures {@code ringspec host} with liburing's own tests outside CI's run:
 * its classification of runs (checked by its own {@code --self-test} on recorded outputs) and its one-sentence
 * answers to a bad option and a missing tool. Nothing is fetched or built here.
 */
class LiburingYardstickTest {
    @TempDir
    Path tmp;

    /** The script, beside this module (Surefire runs in the module's directory). */
    private static Path script() {
        Path script = Path.of("").toAbsolutePath().resolveSibling("scripts").resolve("liburing-yardstick");
        assertThat(script).isRegularFile();
        return script;
    }

    private record Outcome(int status, String out, String err) {
    }

    /** Runs the script with {@code PATH} and a cache directory of the test's own, its output collected in files. */
    private Outcome run(String path, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/bin/bash", script().toString()));
        command.addAll(List.of(args));
        File out = tmp.resolve("stdout").toFile();
        File err = tmp.resolve("stderr").toFile();
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(new File("/dev/null")).redirectOutput(out)
                .redirectError(err);
        pb.environment().put("PATH", path);
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        Process p = pb.start();
        // generous: the self-test forks a few thousand greps, slow on a loaded machine
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("the script exits").isTrue();
        return new Outcome(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    @Test
    void selfTestClassifiesRecordedRunsWithoutAFailure() throws Exception {
        Outcome o = run("/usr/bin:/bin", "--self-test");
        assertThat(o.err()).isEmpty();
        assertThat(o.status()).isZero();
        Matcher closing = Pattern.compile("(?m)^yardstick self-test: (\\d+) passed, 0 failed$").matcher(o.out());
        assertThat(closing.find()).as(o.out()).isTrue();
        assertThat(Integer.parseInt(closing.group(1))).isGreaterThanOrEqualTo(30);
    }

    @Test
    void anUnknownOptionIsOneSentenceAndExitStatus64() throws Exception {
        Outcome o = run("/usr/bin:/bin", "--bogus");
        assertThat(o.status()).isEqualTo(64);
        assertThat(o.err().lines().toList()).singleElement().asString()
                .startsWith("liburing-yardstick: unknown option --bogus");
        assertThat(tmp.resolve("cache")).doesNotExist();
    }

    @Test
    void hostedOptionsMayNotChooseTheReportDirectory() throws Exception {
        Outcome o = run("/usr/bin:/bin", "--hosted", "--profile", "7.2", "--out", "x");
        assertThat(o.status()).isEqualTo(64);
        assertThat(o.err()).contains("--out of its own");
    }

    @Test
    void aMissingCompilerIsNamedBeforeAnythingIsFetched() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")) && Files.isExecutable(Path.of("/usr/bin/dpkg-source")),
                "apt-get and dpkg-source, checked before gcc, are not installed here");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : List.of("bash", "dirname", "apt-get", "dpkg-source", "make", "timeout", "awk", "sed",
                "grep")) {
            Path found = Path.of("/usr/bin", tool);
            if (Files.isExecutable(found)) {
                Path wrapper = bin.resolve(tool);
                Files.writeString(wrapper, "#!/bin/sh\nexec " + found + " \"$@\"\n");
                assertThat(wrapper.toFile().setExecutable(true)).isTrue();
            }
        }
        Outcome o = run(bin.toString(), "--build-only");
        assertThat(o.status()).isEqualTo(69);
        assertThat(o.err()).contains("gcc is missing");
        assertThat(tmp.resolve("cache")).doesNotExist();
    }
}
