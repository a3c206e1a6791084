package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A closed ring's io-wq work leaves with it in the deterministic mode ({@link WorkerPool#ringClosed}), also the work
 * of an opcode without a blocking form, which io-wq hands back to the ring's task: the world lockstep of main
 * {@code 66caf73} ended at seed 731 (seeds 451 to 750, load 11 to 17) where such an item, held past its enter by
 * IOWQ_RACES_DEFER_TASKRUN_WAIT, was delivered at the next ring's enter into the closed ring's unmapped memory.
 */
class RingCloseIoWqTest {

    /** An opcode without a blocking form whose issue answers -EAGAIN, so it goes to io-wq and back to the task. */
    private static List<EmuOp> handedBack(EmulatorServices services) {
        return List.of(EmuOp.of(new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN)));
    }

    private static RingDriver deferRing(EmulatedIoUring e, UserMemory memory) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(ValueLayout.JAVA_INT, IoUringParams.FLAGS_OFFSET,
                IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG);
        return new RingDriver(e, e.setup(8, params).ringOrNull());
    }

    @Test
    void aClosedRingsHandedBackIoWqWorkIsNotDeliveredAtAnotherRingsEnter() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(RingCloseIoWqTest::handedBack), memory)) {
            // finished after the enter: pending until the next call
            e.withChooser((choice, ringFd) -> choice == IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT ? 1
                    : choice.defaultOutcome());
            RingDriver closed = deferRing(e, memory);
            long at = closed.nextSqe();
            Sqe.clear(closed.sqes(), at, 64);
            Sqe.opcode(closed.sqes(), at, IORING_OP_FSYNC);
            Sqe.userData(closed.sqes(), at, 1);
            assertThat(closed.submit(0, 0)).isEqualTo(1);
            assertThat(e.close(closed.ring())).isZero();
            RingDriver next = deferRing(e, memory);
            assertThat(e.enter(next.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            assertThat(next.ready()).isZero();
        }
    }
}
