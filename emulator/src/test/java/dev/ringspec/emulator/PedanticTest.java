package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.Pedantic.Mistake;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The pedantic mode names the application's protocol mistakes, and stays quiet about correct use. */
class PedanticTest {

    private static EmulatedIoUring emulator(UserMemory memory) {
        return EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18).pedantic(true), memory);
    }

    private static RingDriver ring(EmulatedIoUring e, UserMemory memory, int flags) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        return new RingDriver(e, e.setup(8, params).ringOrNull());
    }

    @Test
    void correctUseReportsNothing() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0);
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 6; i++) {
                    Sqe.prepNop(d.sqes(), d.nextSqe(), i);
                }
                assertThat(d.submit(6, IORING_ENTER_GETEVENTS)).isEqualTo(6);
                while (d.reap() != null) {
                    // consume
                }
            }
            assertThat(e.findings()).isEmpty();
        }
    }

    @Test
    void cqHeadBackwardsAndPastTheTail() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0);
            Sqe.prepNop(d.sqes(), d.nextSqe(), 1);
            d.submit(1, IORING_ENTER_GETEVENTS);
            d.cq().storeReleaseHead(3);
            e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0);
            d.cq().storeReleaseHead(0);
            e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0);
            assertThat(e.findings()).extracting(Pedantic.Finding::mistake)
                    .containsExactly(Mistake.CQ_HEAD_PAST_TAIL, Mistake.CQ_HEAD_BACKWARDS);
        }
    }

    @Test
    void aSqeChangedAfterItsTailWasPublished() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0);
            for (int i = 0; i < 2; i++) {
                Sqe.prepNop(d.sqes(), d.sq().sqeOffset(i), i + 1);
                d.sq().writeOnceArray(i, i);
            }
            d.sq().storeReleaseTail(2);
            // both published; only one submitted, so the second stays the kernel's to read later
            assertThat(e.enter(d.ring(), 1, 0, 0, MemorySegment.NULL, 0)).isEqualTo(1);
            Sqe.userData(d.sqes(), d.sq().sqeOffset(1), 99);
            e.enter(d.ring(), 1, 0, 0, MemorySegment.NULL, 0);
            assertThat(e.findings()).extracting(Pedantic.Finding::mistake)
                    .containsExactly(Mistake.SQE_CHANGED_AFTER_PUBLISH);
        }
    }

    @Test
    void aThirtyTwoByteCqeConsumedAsOneSlot() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_CQE_MIXED);
            long at = d.nextSqe();
            Sqe.prepNop(d.sqes(), at, 7);
            Sqe.opFlags(d.sqes(), at, IORING_NOP_CQE32);
            assertThat(d.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            d.cq().storeReleaseHead(d.cq().readOnceHead() + 1);
            e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0);
            assertThat(e.findings()).extracting(Pedantic.Finding::mistake)
                    .containsExactly(Mistake.CQE32_CONSUMED_AS_ONE_SLOT);
        }
    }

    @Test
    void sqTailBackwardsAndOverfilled() {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0);
            d.sq().storeReleaseTail(12);
            e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0);
            d.sq().storeReleaseTail(2);
            e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0);
            assertThat(e.findings()).extracting(Pedantic.Finding::mistake)
                    .containsExactly(Mistake.SQ_OVERFILLED, Mistake.SQ_TAIL_BACKWARDS);
        }
    }
}
