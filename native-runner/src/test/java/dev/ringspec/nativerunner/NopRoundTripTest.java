package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A NOP written and read through the raw ring memory at the offsets the kernel reported, with nothing between the
 * test and the bytes but the access modes: SQE bytes at {@code sqes + index * 64}, the SQ array, a release of the
 * tail, enter, an acquire of the CQ tail, the CQE bytes, a release of the head.
 */
@Tag("kernel")
class NopRoundTripTest {

    @BeforeAll
    static void kernel() {
        KernelTests.assumeIoUring();
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {0, IORING_SETUP_NO_MMAP, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    void nopRoundTripThroughRawRingMemory(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, flags);
            try {
                RingParams p = ring.params();
                MemorySegment sqRing = ring.sqRing();
                MemorySegment cqRing = ring.cqRing();
                MemorySegment sqes = ring.sqes();

                int tail = readOnce(sqRing, p.sqOff().tail());
                int index = tail & readOnce(sqRing, p.sqOff().ringMask());
                long sqe = (long) index * 64;
                sqes.asSlice(sqe, 64).fill((byte) 0);
                sqes.set(JAVA_BYTE, sqe, (byte) 0);                   // opcode IORING_OP_NOP
                sqes.set(JAVA_INT, sqe + 24, 4242);                   // len: the injected result
                sqes.set(JAVA_INT, sqe + 28, IORING_NOP_INJECT_RESULT); // nop_flags
                sqes.set(JAVA_LONG, sqe + 32, 0xfeedfacecafebeefL);   // user_data
                writeOnce(sqRing, p.sqOff().array() + 4L * index, index);
                storeRelease(sqRing, p.sqOff().tail(), tail + 1);

                int submitted = KERNEL.enter(ring, 1, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                assertThat(submitted).isEqualTo(1);
                assertThat(loadAcquire(sqRing, p.sqOff().head())).isEqualTo(tail + 1);

                int cqHead = readOnce(cqRing, p.cqOff().head());
                int cqTail = loadAcquire(cqRing, p.cqOff().tail());
                assertThat(cqTail - cqHead).isEqualTo(1);
                long cqe = p.cqOff().cqes() + 16L * (cqHead & readOnce(cqRing, p.cqOff().ringMask()));
                assertThat(cqRing.get(JAVA_LONG, cqe)).isEqualTo(0xfeedfacecafebeefL);
                assertThat(cqRing.get(JAVA_INT, cqe + 8)).isEqualTo(4242);
                assertThat(cqRing.get(JAVA_INT, cqe + 12)).isZero();
                storeRelease(cqRing, p.cqOff().head(), cqHead + 1);

                assertThat(readOnce(sqRing, p.sqOff().dropped())).isZero();
                assertThat(readOnce(cqRing, p.cqOff().overflow())).isZero();
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    @Test
    void aClosedRingAnswersEbadfAndItsMemoryIsGone() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, 0);
            MemorySegment sqRing = ring.sqRing();
            assertThat(KERNEL.close(ring)).isZero();
            assertThat(KERNEL.close(ring)).isEqualTo(-EBADF);
            assertThat(KERNEL.enter(ring, 0, 0, 0, MemorySegment.NULL, 0)).isEqualTo(-EBADF);
            assertThat(sqRing.scope().isAlive()).isFalse();
        }
    }
}
