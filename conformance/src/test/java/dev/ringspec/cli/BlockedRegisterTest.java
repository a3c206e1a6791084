package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.lockstep.CPrograms;
import dev.ringspec.nativerunner.IoUringAvailability;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ringspec under a real seccomp filter that refuses only io_uring_register with EPERM (a small C program installs
 * it and runs ringspec in a JVM of its own): {@code caps} says register is blocked, not that the kernel lacks it,
 * and {@code check} says io_uring is partly blocked instead of reporting the filter's EPERMs as kernel divergences.
 */
@Tag("kernel")
class BlockedRegisterTest {
    @TempDir
    Path tmp;

    private Path wrapper;

    @BeforeEach
    void compileTheFilter() throws Exception {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed");
        wrapper = CPrograms.compile(Path.of("src/test/resources/seccomp/deny-io-uring-register.c"), tmp, null);
    }

    private ChildRingspec underTheFilter(String... args) throws Exception {
        return ChildRingspec.start(tmp, wrapper, Map.of(), args);
    }

    @Test
    void capsReportsRegisterAsBlockedNotAsMissing() throws Exception {
        ChildRingspec free = ChildRingspec.start(tmp, null, Map.of(), "caps");
        assertThat(free.finish(120)).as(free.output()).isZero();
        assertThat(free.output()).containsPattern("request opcodes +[1-9]\\d* of ").doesNotContain("BLOCKED");

        ChildRingspec filtered = underTheFilter("caps");
        int status = filtered.finish(120);
        String text = filtered.output();
        if (status == 125) {
            abort("seccomp filters cannot be installed here: " + text);
        }
        assertThat(status).as(text).isZero();
        assertThat(text).contains("BLOCKED: io_uring_register answers EPERM to every call here")
                .containsPattern("TASK_RESTRICTIONS +blocked").containsPattern("QUERY +blocked")
                .containsPattern("RESIZE_RINGS +blocked")
                .contains("request opcodes    unknown: io_uring_register (PROBE) is blocked here")
                .doesNotContain("0 of 65").doesNotContainPattern("TASK_RESTRICTIONS +yes");
        // what setup shows is still known
        assertThat(text).containsPattern("CQE_MIXED +yes");
    }

    @Test
    void checkSaysIoUringIsPartlyBlockedAndBlamesNoKernel() throws Exception {
        ChildRingspec filtered = underTheFilter("check", "--runs", "5", "--out", tmp.resolve("out").toString());
        int status = filtered.finish(300);
        String text = filtered.output();
        if (status == 125) {
            abort("seccomp filters cannot be installed here: " + text);
        }
        assertThat(status).as(text).isEqualTo(ExitStatus.UNAVAILABLE);
        assertThat(text).contains("io_uring is partly blocked here", "io_uring_register answers EPERM")
                .doesNotContain("NEW DIVERGENCE").doesNotContain("Exception");
    }
}
