package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
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
 * The deterministic mode's io-wq order is a choice point where a chooser is set: two requests handed to io-wq in
 * one submission complete oldest first by default, newest first when the chooser says so, and the chooser is asked
 * {@link WorkerPool#IOWQ_COMPLETION_ORDER}. The requests are a test opcode that never completes without blocking.
 */
class IoWqChoiceTest {

    /** An opcode whose non-blocking issue answers -EAGAIN, so it goes to io-wq, where it completes with 7. */
    private static List<EmuOp> alwaysBlocks(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> 7));
    }

    private static List<Long> order(int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == WorkerPool.IOWQ_COMPLETION_ORDER ? outcome : choice.defaultOutcome();
            });
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            for (int i = 1; i <= 2; i++) {
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, IORING_OP_FSYNC);
                Sqe.userData(d.sqes(), at, i);
            }
            assertThat(d.submit(0, 0)).isEqualTo(2);
            assertThat(e.enter(d.ring(), 0, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<Long> order = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                assertThat(c.res()).isEqualTo(7);
                order.add(c.userData());
            }
            return order;
        }
    }

    @Test
    void theChooserOrdersIoWqWorkPendingTogether() {
        List<Choice> asked = new ArrayList<>();
        assertThat(order(0, asked)).containsExactly(1L, 2L);
        assertThat(asked).contains(WorkerPool.IOWQ_COMPLETION_ORDER);
        assertThat(order(1, new ArrayList<>())).containsExactly(2L, 1L);
    }
}
