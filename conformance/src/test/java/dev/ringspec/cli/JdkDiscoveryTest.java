package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .mvn/find-jdk.sh}, which ./mvnw and ./ringspec source, finds a JDK 25 or later in JAVA_HOME, on the
 * PATH or under the JDK directories, and with none says what to install in one sentence. Fake JDKs (a release
 * file and two executable stubs) stand in for real ones.
 */
class JdkDiscoveryTest {
    @TempDir
    Path tmp;

    private static Path script() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(".mvn/find-jdk.sh"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir.resolve(".mvn/find-jdk.sh");
    }

    private Path fakeJdk(String name, String version) throws IOException {
        Path home = tmp.resolve("jvm").resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        for (String tool : new String[] {"java", "javac"}) {
            Path stub = home.resolve("bin").resolve(tool);
            Files.writeString(stub, "#!/bin/sh\nexit 0\n");
            assertThat(stub.toFile().setExecutable(true)).isTrue();
        }
        return home;
    }

    private record Outcome(int status, String out, String err) {
    }

    /** Sources the script in a clean environment and prints the JAVA_HOME it chose. */
    private Outcome run(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", ". \"$1\" && printf '%s' \"$JAVA_HOME\"", "sh",
                script().toString());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Outcome(p.exitValue(), out, err);
    }

    @Test
    void aJavaHomeOf25IsKept() throws Exception {
        Path jdk25 = fakeJdk("jdk-25", "25.0.1");
        fakeJdk("jdk-26", "26");
        Outcome o = run(Map.of("JAVA_HOME", jdk25.toString(), "RINGSPEC_JDK_DIRS", tmp.resolve("jvm").toString()));
        assertThat(o.status()).isZero();
        assertThat(o.out()).isEqualTo(jdk25.toString());
    }

    @Test
    void anOldJavaHomeGivesWayToTheNewestJdkInTheDirectories() throws Exception {
        Path jdk17 = fakeJdk("java-17", "17.0.15");
        fakeJdk("jdk-25", "25.0.3");
        Path jdk27 = fakeJdk("jdk-27", "27-ea");
        fakeJdk("java-8", "1.8.0_402");
        Outcome o = run(Map.of("JAVA_HOME", jdk17.toString(), "RINGSPEC_JDK_DIRS", tmp.resolve("jvm").toString()));
        assertThat(o.status()).isZero();
        assertThat(o.out()).isEqualTo(jdk27.toString());
        assertThat(o.err()).contains("older than JDK 25");
    }

    @Test
    void aJava25OnThePathIsFoundThroughItsSymlink() throws Exception {
        Path jdk25 = fakeJdk("jdk-25", "25");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("java"), jdk25.resolve("bin/java"));
        Outcome o = run(Map.of("PATH", bin + ":/usr/bin:/bin", "RINGSPEC_JDK_DIRS", tmp.resolve("none").toString()));
        assertThat(o.status()).isZero();
        assertThat(o.out()).isEqualTo(jdk25.toString());
    }

    @Test
    void withNoJdk25AnywhereItSaysWhatToInstallInOneSentence() throws Exception {
        fakeJdk("java-17", "17.0.15");
        Outcome o = run(Map.of("RINGSPEC_JDK_DIRS", tmp.resolve("jvm").toString()));
        assertThat(o.status()).isEqualTo(ExitStatus.NO_JDK);
        assertThat(o.out()).isEmpty();
        assertThat(o.err().strip()).startsWith("ringspec needs a JDK 25 or later").contains("install")
                .doesNotContain("\n").endsWith(".");
    }
}
