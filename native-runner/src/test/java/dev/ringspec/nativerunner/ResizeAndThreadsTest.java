package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Resizing maps the rings anew with pending entries intact; calls from other threads read their own errno, and a
 * virtual thread is refused on a thread-bound ring. (That another thread gets -EEXIST on a SINGLE_ISSUER ring is
 * the scenario SingleIssuerTest, run on every backend.)
 */
@Tag("kernel")
class ResizeAndThreadsTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

    @BeforeAll
    static void kernel() {
        KernelTests.assumeIoUring();
    }

    private static void nops(RingDriver driver, int count, long firstUserData) {
        for (int i = 0; i < count; i++) {
            long sqe = driver.nextSqe();
            Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
            Sqe.userData(driver.sqes(), sqe, firstUserData + i);
        }
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {DEFER, DEFER | IORING_SETUP_NO_MMAP})
    void resizeKeepsPendingCqesAndMapsTheNewRings(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, flags);
            try {
                RingDriver driver = new RingDriver(KERNEL, ring);
                nops(driver, 3, 100);
                assertThat(driver.submit(3, IORING_ENTER_GETEVENTS)).isEqualTo(3);
                MemorySegment oldSqRing = ring.sqRing();

                MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
                params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 16);
                assertThat(KERNEL.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1)).isZero();

                assertThat(ring.params().sqEntries()).isEqualTo(16);
                assertThat(ring.params().cqEntries()).isEqualTo(32);
                assertThat(oldSqRing.scope().isAlive()).as("old mapping unmapped").isFalse();
                assertThatThrownBy(() -> oldSqRing.get(JAVA_INT, 0)).isInstanceOf(IllegalStateException.class);

                driver.refreshViews();
                assertThat(driver.sq().readOnceRingEntries()).isEqualTo(16);
                assertThat(driver.cq().readOnceRingEntries()).isEqualTo(32);
                assertThat(driver.ready()).isEqualTo(3);
                for (long ud = 100; ud < 103; ud++) {
                    assertThat(driver.reap().userData()).isEqualTo(ud);
                }
                nops(driver, 10, 200);
                assertThat(driver.submit(10, IORING_ENTER_GETEVENTS)).isEqualTo(10);
                for (long ud = 200; ud < 210; ud++) {
                    Cqe cqe = driver.reap();
                    assertThat(cqe.userData()).isEqualTo(ud);
                    assertThat(cqe.res()).isZero();
                }
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    @Test
    void resizeTooSmallForPendingCqesIsEoverflowAndKeepsTheRing() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, DEFER);
            try {
                RingDriver driver = new RingDriver(KERNEL, ring);
                nops(driver, 4, 1);
                assertThat(driver.submit(4, IORING_ENTER_GETEVENTS)).isEqualTo(4);
                nops(driver, 2, 5);
                assertThat(driver.submit(2, IORING_ENTER_GETEVENTS)).isEqualTo(2);
                MemorySegment sqRing = ring.sqRing();
                MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
                params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 2);
                params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_CQSIZE);
                params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, 4);
                assertThat(KERNEL.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1)).isEqualTo(-EOVERFLOW);
                assertThat(sqRing.scope().isAlive()).isTrue();
                assertThat(driver.ready()).isEqualTo(6);
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    @Test
    void resizeOfARingWithoutDeferTaskrunIsInvalid() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, 0);
            try {
                MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
                params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 8);
                assertThat(KERNEL.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1)).isEqualTo(-EINVAL);
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    @Test
    void anArgumentTooSmallForWhatTheKernelWritesIsAFault() {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, 0);
            try {
                // PROBE with room for 256 ops would write 16 + 256 * 8 bytes into a 64-byte segment.
                assertThat(KERNEL.register(ring, IORING_REGISTER_PROBE, arena.allocate(64), 256)).isEqualTo(-EFAULT);
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    /**
     * enter reads errno from a capture buffer of the calling thread: the ring's own for the thread that set it up,
     * a per-thread one for any other. Two threads failing on one ring at once, each with its own errno (an unknown
     * enter flag is -EINVAL; an EXT_ARG pointer to unmapped memory is -EFAULT), each read their own.
     */
    @Test
    void enterReadsTheErrnoOfItsOwnCallOnEachThread() throws InterruptedException {
        int unknownFlag = 1 << 30;
        int calls = 2_000;
        MemorySegment unmapped = MemorySegment.ofAddress(8);
        try (Arena arena = Arena.ofShared()) {
            Ring ring = KernelTests.ring(arena, 4, 0);
            try {
                NativeRing native_ = (NativeRing) ring;
                AtomicReference<MemorySegment> otherCapture = new AtomicReference<>();
                AtomicInteger otherWrong = new AtomicInteger();
                Thread other = Thread.ofPlatform().start(() -> {
                    otherCapture.set(native_.captureState(Thread.currentThread()));
                    for (int i = 0; i < calls; i++) {
                        int r = KERNEL.enter(ring, 0, 0, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, unmapped, 24);
                        if (r != -EFAULT) {
                            otherWrong.incrementAndGet();
                        }
                    }
                });
                int wrong = 0;
                for (int i = 0; i < calls; i++) {
                    if (KERNEL.enter(ring, 0, 0, unknownFlag, MemorySegment.NULL, 0) != -EINVAL) {
                        wrong++;
                    }
                }
                other.join();
                assertThat(otherCapture.get()).isNotSameAs(native_.captureState(Thread.currentThread()));
                assertThat(wrong).as("creator's calls not answered -EINVAL").isZero();
                assertThat(otherWrong.get()).as("other thread's calls not answered -EFAULT").isZero();
            } finally {
                KERNEL.close(ring);
            }
        }
    }

    @Test
    void aVirtualThreadIsRefusedOnAThreadBoundRing() throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = KernelTests.ring(arena, 4, DEFER);
            try {
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        KERNEL.enter(ring, 0, 0, 0, MemorySegment.NULL, 0);
                    } catch (IllegalStateException e) {
                        thrown.set(e);
                    }
                }).join();
                assertThat(thrown.get()).hasMessageContaining("platform thread");
            } finally {
                KERNEL.close(ring);
            }
        }
    }
}
