package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The offsets the kernel writes into params equal what {@link RingGeometry} predicts, for every power-of-two size
 * from 1 to 32768 and every ring variant whose layout differs; and the shared fields hold what they should.
 */
@Tag("kernel")
class RingOffsetsTest {

    @BeforeAll
    static void kernel() {
        KernelTests.assumeIoUring();
    }

    static Stream<Arguments> sizesAndVariants() {
        int[] variants = {0, IORING_SETUP_CQE32, IORING_SETUP_SQE128, IORING_SETUP_NO_SQARRAY, IORING_SETUP_CQE_MIXED};
        String[] names = {"plain", "CQE32", "SQE128", "NO_SQARRAY", "CQE_MIXED"};
        return IntStream.rangeClosed(0, 15).boxed().flatMap(shift -> IntStream.range(0, variants.length)
                .mapToObj(v -> Arguments.of(1 << shift, variants[v], names[v])));
    }

    @ParameterizedTest(name = "{0} entries, {2}")
    @MethodSource("sizesAndVariants")
    void kernelOffsetsMatchTheLayout(int entries, int flags, String variant) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, entries, flags);
            try {
                RingParams p = ring.params();
                assertThat(p.sqEntries()).isEqualTo(entries);
                assertThat(p.cqEntries()).isEqualTo(2 * entries);
                RingParams.SqOffsets sq = p.sqOff();
                RingParams.CqOffsets cq = p.cqOff();
                assertThat(new int[] {sq.head(), sq.tail(), sq.ringMask(), sq.ringEntries(), sq.flags(),
                    sq.dropped()}).containsExactly(RingGeometry.SQ_HEAD, RingGeometry.SQ_TAIL,
                        RingGeometry.SQ_RING_MASK, RingGeometry.SQ_RING_ENTRIES, RingGeometry.SQ_FLAGS,
                        RingGeometry.SQ_DROPPED);
                assertThat(new int[] {cq.head(), cq.tail(), cq.ringMask(), cq.ringEntries(), cq.overflow(),
                    cq.cqes(), cq.flags()}).containsExactly(RingGeometry.CQ_HEAD, RingGeometry.CQ_TAIL,
                        RingGeometry.CQ_RING_MASK, RingGeometry.CQ_RING_ENTRIES, RingGeometry.CQ_OVERFLOW,
                        RingGeometry.CQES, RingGeometry.CQ_FLAGS);
                assertThat((long) sq.array()).as("SQ array offset")
                        .isEqualTo(RingGeometry.sqArrayOffset(flags, p.cqEntries()));

                assertThat(ring.sq().readOnceRingMask()).isEqualTo(entries - 1);
                assertThat(ring.sq().readOnceRingEntries()).isEqualTo(entries);
                assertThat(ring.cq().readOnceRingMask()).isEqualTo(2 * entries - 1);
                assertThat(ring.cq().readOnceRingEntries()).isEqualTo(2 * entries);
                assertThat(ring.sq().loadAcquireHead()).isZero();
                assertThat(ring.cq().loadAcquireTail()).isZero();
                assertThat(ring.sqes().byteSize()).isEqualTo((long) entries * p.sqeSizeBytes());
            } finally {
                KERNEL.close(ring);
            }
        }
    }
}
