package dev.ringspec.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The skip reasons reach the console: one line per reason, with its count and the first test it skipped. */
class SkipReasonsTest {

    /** Tests that skip, run by the launcher below only (surefire leaves nested classes alone). */
    static class Sample {
        @Test
        void needsAKernel() {
            assumeTrue(false, "io_uring is disabled here (kernel.io_uring_disabled = 2)");
        }

        @Test
        void needsAKernelToo() {
            assumeTrue(false, "io_uring is disabled here (kernel.io_uring_disabled = 2)");
        }

        @Test
        @Disabled("waits for the emulator")
        void disabled() {
        }

        @Test
        void runs() {
        }
    }

    @Test
    void eachReasonIsPrintedOnceWithItsCountAndFirstTest() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Sample.class)).build(),
                new SkipReasons(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("Skipped: 3 test(s), by reason:")
                .containsPattern("2 x io_uring is disabled here \\(kernel.io_uring_disabled = 2\\) \\(first: "
                        + "SkipReasonsTest\\$Sample.needsAKernel(Too)?\\)")
                .contains("1 x disabled: waits for the emulator (first: SkipReasonsTest$Sample.disabled)");
    }
}
