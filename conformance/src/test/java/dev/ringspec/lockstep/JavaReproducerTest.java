package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingObservation;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated JUnit method compiles against the engine as it is, inside an ordinary test class. */
class JavaReproducerTest {
    @TempDir
    Path dir;

    @Test
    void generatedTestMethodCompiles() throws Exception {
        List<Step> steps = List.of(new Step.Setup(1, 0x40000, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteSqe(0, 0, 0, 0, 0, 0, 0, 0, 0x20, 1L, 0, 0), new Step.PublishTail(1),
                new Step.OnOtherThread(new Step.Enter(1, 0, 1)), new Step.RegisterFiles(2, false, 0x6));
        Divergence d = new Divergence(5, steps.get(5), "CQEs", "[a]", "[b]", RingObservation.none(0), RingObservation.none(0));
        String body = JavaReproducer.testMethod("seed46CQEs", steps, d);
        assertThat(body).startsWith("@Test\nvoid seed46CQEs() {").contains("new Step.Setup(1, 0x40000, 0), // 0");

        Path source = dir.resolve("dev/ringspec/lockstep/GeneratedReplayTest.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, """
                package dev.ringspec.lockstep;

                import static org.assertj.core.api.Assertions.assertThat;

                import java.util.List;
                import org.junit.jupiter.api.Test;

                class GeneratedReplayTest {
                """ + body.indent(4) + "}\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null,
                List.of("-Xlint:all", "-Werror", "-d", dir.resolve("classes").toString(), "-cp",
                        System.getProperty("java.class.path")),
                null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile())).call();
        assertThat(ok).as(diagnostics.toString()).isTrue();
        assertThat(dir.resolve("classes/dev/ringspec/lockstep/GeneratedReplayTest.class")).exists();
    }
}
