package dev.ringspec.sqefuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.IoUringAvailability;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A few thousand fuzzed SQEs on the emulator and this kernel: no exception, no CQE that differs, and the world the
 * fuzz owns left as it was (descriptors, files).
 */
@Tag("kernel")
class SqeFuzzTest {

    @Test
    void emulatorAndKernelAnswerFuzzedSqesAlike() throws Exception {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        try (SqeFuzz warmUp = new SqeFuzz(0)) {
            warmUp.run(300); // loads the classes (and opens the jars) a first run needs
        }
        java.util.Set<String> fdsBefore = dev.ringspec.emulator.sys.Linux.openDescriptors();
        SqeFuzz.Report report;
        try (SqeFuzz fuzz = new SqeFuzz(Long.getLong("ringspec.fuzz.seed", 1))) {
            report = fuzz.run(Long.getLong("ringspec.fuzz.sqes", 3000));
        }
        System.out.println("SQE fuzz: " + report.summary());
        assertThat(report.divergences()).as("%s", report.firstDivergences()).isZero();
        assertThat(report.compared()).as("SQEs compared").isGreaterThan(report.sqes() / 10);
        assertThat(report.compiledOut()).as("opcodes the emulator lacks, drawn and not compared").isPositive();
        assertThat(Files.exists(Path.of("ringspec-fuzz-absent"))).as("no path argument created anything").isFalse();
        java.util.Set<String> left = dev.ringspec.emulator.sys.Linux.openDescriptors();
        left.removeAll(fdsBefore);
        assertThat(left).as("descriptors the fuzz left open").isEmpty();
    }
}
