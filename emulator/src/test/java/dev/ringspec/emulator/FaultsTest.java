package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Injected faults: each is something the kernel may do (io-uring_enter(2): -EAGAIN, -EINTR, fewer submitted than
 * asked; a CQ that overflows) and what follows it is the ring's own rules, so a library's recovery is tested
 * against the real protocol.
 */
class FaultsTest {

    private static EmulatedIoUring emulator(String plan, UserMemory memory) {
        return EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18).withFaults(FaultPlan.parse(plan)),
                memory);
    }

    private static RingDriver ring(EmulatedIoUring e, UserMemory memory) {
        return new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
    }

    private static void nops(RingDriver d, int n) {
        for (int i = 1; i <= n; i++) {
            Sqe.prepNop(d.sqes(), d.nextSqe(), i);
        }
    }

    /** NOPs with user_data 1 to n at SQ positions from the tail, published (the test enters itself). */
    private static void publishNops(RingDriver d, int n) {
        int tail = d.sq().readOnceTail();
        int mask = d.ring().params().sqEntries() - 1;
        for (int i = 0; i < n; i++) {
            int index = (tail + i) & mask;
            Sqe.prepNop(d.sqes(), d.sq().sqeOffset(index), i + 1);
            d.sq().writeOnceArray(index, index);
        }
        d.sq().storeReleaseTail(tail + n);
    }

    private static List<Long> reapAll(RingDriver d) {
        List<Long> all = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            all.add(c.userData());
        }
        return all;
    }

    @Test
    void eagainConsumesNothingAndTheSameSqesGoThroughNextTime() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator("enter-eagain@1", memory)) {
            RingDriver d = ring(e, memory);
            publishNops(d, 3);
            assertThat(e.enter(d.ring(), 3, 0, 0, MemorySegment.NULL, 0)).isEqualTo(-EAGAIN);
            assertThat(d.sq().readOnceHead()).as("nothing consumed").isZero();
            assertThat(e.enter(d.ring(), 3, 0, 0, MemorySegment.NULL, 0)).isEqualTo(3);
            assertThat(reapAll(d)).containsExactly(1L, 2L, 3L);
            assertThat(e.faultLog()).hasSize(1).first().asString().startsWith("enter-eagain #1");
        }
    }

    @Test
    void aPartialSubmissionTakesSomeAndSkipsTheWait() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator("seed=3,partial-submit@1", memory)) {
            RingDriver d = ring(e, memory);
            publishNops(d, 4);
            int taken = e.enter(d.ring(), 4, 4, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            assertThat(taken).isBetween(1, 3);
            assertThat(d.sq().readOnceHead()).isEqualTo(taken);
            assertThat(e.enter(d.ring(), 4 - taken, 4, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0))
                    .isEqualTo(4 - taken);
            assertThat(reapAll(d)).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void anInterruptedWaitAnswersEintrOrWhatItSubmitted() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator("enter-eintr@1+2", memory)) {
            RingDriver d = ring(e, memory);
            publishNops(d, 2);
            assertThat(e.enter(d.ring(), 2, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0))
                    .as("submitted, then interrupted: the count").isEqualTo(2);
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0))
                    .as("nothing submitted: -EINTR").isEqualTo(-EINTR);
            assertThat(reapAll(d)).containsExactly(1L, 2L);
        }
    }

    @Test
    void anInjectedOverflowRaisesTheFlagAndTheFlushKeepsTheOrder() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator("cq-overflow@2", memory)) {
            RingDriver d = ring(e, memory);
            nops(d, 4);
            assertThat(d.submit(0, 0)).isEqualTo(4);
            assertThat((d.sq().readOnceFlags() & IORING_SQ_CQ_OVERFLOW)).as("overflow raised").isNotZero();
            assertThat(reapAll(d)).as("only what was posted before the overflow").containsExactly(1L);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reapAll(d)).as("flushed in order").containsExactly(2L, 3L, 4L);
            assertThat((d.sq().readOnceFlags() & IORING_SQ_CQ_OVERFLOW)).isZero();
        }
    }

    @Test
    void aBadPlanIsRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> FaultPlan.parse("short-read=2")).hasMessageContaining("from 0 to 1");
        assertThatThrownBy(() -> FaultPlan.parse("nonsense=0.1")).hasMessageContaining("unknown fault 'nonsense'")
                .hasMessageContaining("short-read");
        assertThatThrownBy(() -> FaultPlan.parse("delay@0")).hasMessageContaining("counted from 1");
        assertThatThrownBy(() -> FaultPlan.parse("delay")).hasMessageContaining("needs a probability");
        assertThatThrownBy(() -> FaultPlan.parse("seed=x")).hasMessageContaining("seed=N");
        assertThatThrownBy(() -> FaultPlan.parse("delay=0.1,delay@2")).hasMessageContaining("twice");
        FaultPlan p = FaultPlan.parse("seed=9, short-read=0.25 ,enter-eagain@1+3");
        assertThat(FaultPlan.parse(p.toString())).isEqualTo(p);
    }

    @Test
    void shortTransfersAreSeededAndNeverEmpty() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator("seed=5,short-read=1", memory)) {
            for (int len = 2; len < 200; len++) {
                assertThat(e.faults().shorten(FaultPlan.Point.SHORT_READ, len)).isBetween(1, len - 1);
            }
            assertThat(e.faults().shorten(FaultPlan.Point.SHORT_READ, 1)).as("one byte cannot be shorter").isOne();
            assertThat(e.faults().shorten(FaultPlan.Point.SHORT_WRITE, 100)).as("not in the plan").isEqualTo(100);
        }
    }

    @Test
    void backendOptionsReadTheModesAndRefuseWhatTheyDoNotKnow() {
        EmulatorOptions o = EmulatorOptions.parse(KernelProfile.LINUX_7_2,
                "seed=7&faults=short-read=0.5,enter-eagain@2&pedantic");
        assertThat(o.seed()).isEqualTo(7L);
        assertThat(o.clock()).isInstanceOf(VirtualClock.class);
        assertThat(o.pedantic()).isTrue();
        assertThat(o.faults()).isEqualTo(FaultPlan.parse("short-read=0.5,enter-eagain@2"));
        assertThat(EmulatorOptions.parse(KernelProfile.LINUX_7_2, "").deterministic()).isFalse();
        assertThatThrownBy(() -> EmulatorOptions.parse(KernelProfile.LINUX_7_2, "speed=9"))
                .hasMessageContaining("unknown emulator option 'speed'");
        assertThatThrownBy(() -> EmulatorOptions.parse(KernelProfile.LINUX_7_2, "seed=x"))
                .hasMessageContaining("whole number");
    }
}
