package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.nativerunner.KernelTests.params;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Invalid setup parameters come back through the seam as the kernel's -errno (expected values from the
 * measurements in shared/reference/ring-semantics.md, Part B row 1, and io_uring_setup(2)).
 */
@Tag("kernel")
class SetupValidationTest {

    @BeforeAll
    static void kernel() {
        KernelTests.assumeIoUring();
    }

    private static int setup(int entries, MemorySegment params) {
        SetupResult result = KERNEL.setup(entries, params);
        if (result instanceof SetupResult.Created(var ring)) {
            KERNEL.close(ring);
        }
        return result.result();
    }

    @Test
    void zeroEntriesIsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(0, params(arena, 0))).isEqualTo(-EINVAL);
        }
    }

    @Test
    void moreThan32768EntriesIsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(32769, params(arena, 0))).isEqualTo(-EINVAL);
            assertThat(setup(32768, params(arena, 0))).isGreaterThanOrEqualTo(0);
        }
    }

    @ParameterizedTest(name = "resv[{0}] = 1")
    @ValueSource(ints = {0, 1, 2})
    void nonZeroResvIsInvalid(int word) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = params(arena, 0);
            params.set(JAVA_INT, IoUringParams.RESV_OFFSET + 4L * word, 1);
            assertThat(setup(4, params)).isEqualTo(-EINVAL);
        }
    }

    @ParameterizedTest(name = "flag bit {0}")
    @ValueSource(ints = {21, 22, 25, 28, 31})
    void unknownFlagBitIsInvalid(int bit) {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(4, params(arena, 1 << bit))).isEqualTo(-EINVAL);
        }
    }

    @Test
    void cqSizeSmallerThanSqIsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = params(arena, IORING_SETUP_CQSIZE);
            params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, 2);
            assertThat(setup(4, params)).isEqualTo(-EINVAL);
        }
    }

    @Test
    void deferTaskrunWithoutSingleIssuerIsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(4, params(arena, IORING_SETUP_DEFER_TASKRUN))).isEqualTo(-EINVAL);
        }
    }

    @Test
    void cqeMixedWithCqe32IsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(4, params(arena, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQE32))).isEqualTo(-EINVAL);
        }
    }

    @Test
    void paramsSmallerThanTheStructIsAFaultNotACrash() {
        try (Arena arena = Arena.ofConfined()) {
            assertThat(setup(4, arena.allocate(64))).isEqualTo(-EFAULT);
            assertThat(setup(4, MemorySegment.NULL)).isEqualTo(-EFAULT);
        }
    }

    @Test
    void heapParamsAreReadAndWrittenBack() {
        MemorySegment params = MemorySegment.ofArray(new long[(int) IoUringParams.SIZE_BYTES / 8]);
        assertThat(setup(5, params)).isGreaterThanOrEqualTo(0);
        assertThat(params.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET)).isEqualTo(8);
        assertThat(params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET)).isEqualTo(16);
    }
}
