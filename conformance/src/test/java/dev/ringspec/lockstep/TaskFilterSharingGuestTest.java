package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.model.KernelProfile;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C reproducer of the 7.1/7.2 filter sharing (a task filter registered after the task created a ring reaches
 * that ring: io_bpf_filter_clone marks only the copy copy-on-write; 7.3 marks the source too), run in the guest
 * ({@code -Dringspec.guest.kernel}, 7.2 by default; skipped with the reason where QEMU or the kernel cannot be had):
 * the NOP on the ring made between the task's two filters completes as the profile chosen for that kernel says,
 * -EACCES where the later filter leaks in, 0 where it stays out.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class TaskFilterSharingGuestTest {
    private static BootedGuest booted;

    @TempDir
    Path dir;

    @BeforeAll
    static void boot() throws Exception {
        booted = BootedGuest.boot();
    }

    @AfterAll
    static void stop() {
        if (booted != null) {
            booted.close();
        }
    }

    @Test
    void theRingMadeBetweenTwoTaskFiltersSeesTheSecondOnlyWhereTheProfileSharesTheTable() throws Exception {
        assumeTrue(booted.caps.has(Feature.BPF_FILTER), "the guest kernel lacks IORING_REGISTER_BPF_FILTER");
        KernelProfile profile = KernelProfile.forCapabilities(booted.caps);
        String source;
        try (InputStream in = getClass().getResourceAsStream("/vectors/task-filter-shared-with-earlier-rings.c")) {
            assertThat(in).as("the reproducer resource").isNotNull();
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> out = booted.runStatically(source, "task-filter-sharing", dir);
        // the filter's own answer (io_uring_run_bpf_filters): -EACCES when the second, denying, filter reached the ring
        String expected = profile.bpfCloneMarksSourceCow() ? "res=0" : "res=-13";
        System.out.printf("task filter sharing on %s (profile %s): %s%n", booted.caps.release(), profile.version(),
                out);
        assertThat(out).as("kernel %s, profile %s", booted.caps.release(), profile.version())
                .containsExactly("submitted=1 cqes=1 " + expected);
    }
}
