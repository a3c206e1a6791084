package dev.ringspec.scenarios;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints why tests were skipped on the console, where a developer or a CI log reads them (surefire keeps the
 * reasons only in its XML reports): at the end of each module's test run, one line per reason with how many tests it
 * skipped and the first of them. A test aborted by an assumption (io_uring unavailable, a feature a backend lacks, no
 * QEMU) and one disabled outright are both listed. Registered through {@code META-INF/services}, so every module
 * whose tests see this module on their class path prints it.
 */
public final class SkipReasons implements TestExecutionListener {
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private final Map<String, String> firstTest = new LinkedHashMap<>();
    private final PrintStream out;

    public SkipReasons() {
        this(System.out);
    }

    SkipReasons(PrintStream out) {
        this.out = out;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, "disabled: " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, result.getThrowable().map(t -> String.valueOf(t.getMessage())
                    .replaceFirst("^Assumption failed: ", "")).orElse("aborted"));
        }
    }

    private synchronized void record(TestIdentifier test, String reason) {
        String oneLine = reason.lines().findFirst().orElse("");
        counts.merge(oneLine, 1, Integer::sum);
        firstTest.putIfAbsent(oneLine, test.getSource().map(source -> switch (source) {
            case MethodSource m -> simpleName(m.getClassName()) + "." + m.getMethodName();
            case ClassSource c -> simpleName(c.getClassName());
            default -> test.getDisplayName();
        }).orElse(test.getDisplayName()));
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (counts.isEmpty()) {
            return;
        }
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        out.printf("Skipped: %d test(s), by reason:%n", total);
        counts.forEach((reason, n) -> out.printf("  %4d x %s (first: %s)%n", n, reason, firstTest.get(reason)));
        out.flush();
    }
}
