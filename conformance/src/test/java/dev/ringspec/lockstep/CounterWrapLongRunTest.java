package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.U32;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The opt-in long run: the real kernel's free-running SQ and CQ counters wrap past 2^32 while the model follows in
 * lockstep. Both rings take batches of {@value #BATCH} NOPs (the SQEs are written once and submitted again and
 * again); after every enter the shared counters and flags of both rings must be equal, and every
 * {@value #CQE_CHECK_EVERY}th batch every CQE byte too. About 2^32 / {@value #BATCH} = 1,048,576 batches: some
 * minutes. Run it with {@code ./mvnw -pl conformance -am verify -Dtest=CounterWrapLongRunTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dringspec.longRun=true} (surefire passes the property on).
 */
@Tag("kernel")
@Tag("long")
@EnabledIfSystemProperty(named = "ringspec.longRun", matches = "true",
        disabledReason = "the long run takes minutes; enable it with -Dringspec.longRun=true")
class CounterWrapLongRunTest {
    private static final int BATCH = 4096;
    private static final int CQE_CHECK_EVERY = 4096;

    private record Side(IoUringKernel kernel, Ring ring, SqRingView sq, CqRingView cq) {
        static Side open(IoUringKernel kernel, UserMemory memory) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
            Ring ring = kernel.setup(BATCH, params).ringOrNull();
            assertThat(ring).as("setup on " + kernel.description()).isNotNull();
            SqRingView sq = ring.sq();
            for (int i = 0; i < BATCH; i++) {
                Sqe.prepNop(sq.sqes(), sq.sqeOffset(i), i);
                sq.writeOnceArray(i, i);
            }
            return new Side(kernel, ring, sq, ring.cq());
        }

        int batch() {
            sq.storeReleaseTail(sq.readOnceTail() + BATCH);
            int submitted = kernel.enter(ring, BATCH, BATCH, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            cq.storeReleaseHead(cq.loadAcquireTail());
            return submitted;
        }

        long[] state() {
            return new long[] {sq.loadAcquireHead(), sq.readOnceTail(), sq.readOnceDropped(), sq.readOnceFlags(),
                cq.readOnceHead(), cq.loadAcquireTail(), cq.readOnceOverflow(), cq.readOnceFlags()};
        }
    }

    @Test
    void kernelCountersWrapPast2To32InLockstepWithTheModel() {
        KernelTests.assumeIoUring();
        KernelCapabilities caps = CapabilityProbe.probe(new NativeIoUring());
        try (UserMemory kernelMemory = new UserMemory(); UserMemory modelMemory = new UserMemory()) {
            Side kernel = Side.open(new NativeIoUring(), kernelMemory);
            Side model = Side.open(ReferenceBackends.reference(caps).open(modelMemory), modelMemory);
            long batches = (1L << 32) / BATCH + 8;
            long start = System.nanoTime();
            int cqBytes = kernel.ring().params().cqEntries() * 16;
            for (long b = 1; b <= batches; b++) {
                int k = kernel.batch();
                int m = model.batch();
                assertThat(k).as("enter at batch %d", b).isEqualTo(BATCH).isEqualTo(m);
                assertThat(kernel.state()).as("counters and flags after batch %d", b).isEqualTo(model.state());
                if (b % CQE_CHECK_EVERY == 0 || b == batches) {
                    long mismatch = kernel.cq().memory().asSlice(kernel.ring().params().cqOff().cqes(), cqBytes)
                            .mismatch(model.cq().memory().asSlice(model.ring().params().cqOff().cqes(), cqBytes));
                    assertThat(mismatch).as("first differing CQE byte after batch %d", b).isEqualTo(-1L);
                }
                if (b % (1 << 16) == 0) {
                    System.out.printf("batch %d of %d: cq tail %d, %.0f s%n", b, batches,
                            U32.value(kernel.cq().loadAcquireTail()), (System.nanoTime() - start) / 1e9);
                }
            }
            long[] end = kernel.state();
            // 2^32 + 8 * 4096 NOPs went through: every counter wrapped and now sits just past zero.
            assertThat(end[0]).as("SQ head").isEqualTo(8L * BATCH);
            assertThat(end[5]).as("CQ tail").isEqualTo(8L * BATCH);
            assertThat(kernel.ring().sqRing().get(JAVA_INT, kernel.ring().params().sqOff().head()))
                    .isEqualTo(8 * BATCH);
            System.out.printf("wrapped: %d NOPs on each side in %.0f s; final state %s%n", batches * BATCH,
                    (System.nanoTime() - start) / 1e9, java.util.Arrays.toString(end));
            kernel.kernel().close(kernel.ring());
            model.kernel().close(model.ring());
        }
    }
}
