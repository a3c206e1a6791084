package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Rings created and closed in bulk leave no file descriptor and no mapping behind. */
@Tag("kernel")
class RingLifecycleTest {
    private static final int RINGS = 10_000;
    private static final int[] VARIANTS = {0, IORING_SETUP_SQE128, IORING_SETUP_CQE32, IORING_SETUP_NO_SQARRAY,
        IORING_SETUP_CQE_MIXED, IORING_SETUP_NO_MMAP, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};

    @BeforeAll
    static void kernel() {
        KernelTests.assumeIoUring();
    }

    @Test
    void tenThousandRingsLeakNoDescriptorsOrMappings() throws IOException {
        // Warm up once so lazily created JVM mappings and descriptors do not count as leaks.
        createAndClose(VARIANTS.length * 4);
        long fdsBefore = openDescriptors();
        long mapsBefore = mappings();

        createAndClose(RINGS);

        long fdsAfter = openDescriptors();
        long mapsAfter = mappings();
        System.out.printf("%d rings: /proc/self/fd %d -> %d, /proc/self/maps %d -> %d%n",
                RINGS, fdsBefore, fdsAfter, mapsBefore, mapsAfter);
        assertThat(fdsAfter).as("open descriptors").isEqualTo(fdsBefore);
        // The JVM itself may map or unmap a few regions meanwhile (heap, code cache); a ring leak shows as
        // thousands, one or more per ring.
        assertThat(mapsAfter).as("mappings").isBetween(mapsBefore - 16, mapsBefore + 16);
    }

    /** Creates and closes rings of every variant; every seventh DEFER_TASKRUN ring is also resized once. */
    private static void createAndClose(int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment resize = arena.allocate(IoUringParams.LAYOUT);
            for (int i = 0; i < count; i++) {
                int flags = VARIANTS[i % VARIANTS.length];
                Ring ring = KernelTests.ring(arena, 1 << (i % 7), flags);
                if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && i % 49 == VARIANTS.length - 1) {
                    resize.fill((byte) 0);
                    resize.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 128);
                    assertThat(KERNEL.register(ring, IORING_REGISTER_RESIZE_RINGS, resize, 1)).isZero();
                }
                assertThat(KERNEL.close(ring)).isZero();
            }
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long mappings() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.count();
        }
    }
}
