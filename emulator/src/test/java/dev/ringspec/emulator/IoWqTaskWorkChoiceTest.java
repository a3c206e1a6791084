package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
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
 * {@link Choice#TASK_WORK_BETWEEN_IOWQ_POSTS} in the deterministic mode (world lockstep seed 448): three requests on
 * io-wq, the first with a linked timeout whose cancellation is task work of the task that its worker's completion
 * queues ({@code io_disarm_next}). Where the kernel's workers post their own CQEs, the task may run that task work
 * before the later workers post; the emulator, which hands every worker's completion to the task's run, posts it
 * after all of them unless the chooser says the task's run comes between.
 */
class IoWqTaskWorkChoiceTest {

    /** An opcode whose non-blocking issue answers -EAGAIN, so it goes to io-wq, where it completes with 7. */
    private static List<EmuOp> alwaysBlocks(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> 7));
    }

    /**
     * FSYNC 1 linked to a LINK_TIMEOUT 2 of 10 s, FSYNC 3, FSYNC 4, in one submission on a ring of {@code setupFlags},
     * then an empty enter (the look that finishes io-wq's work) and a wait: the CQEs' user_data in order, the chooser
     * answering {@code outcome} at occurrence {@code at} of the choice (every other one the default).
     */
    private static List<Long> order(int setupFlags, int at, int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqTaskWorkChoiceTest::alwaysBlocks), memory)) {
            int[] seen = new int[1];
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == Choice.TASK_WORK_BETWEEN_IOWQ_POSTS && seen[0]++ == at ? outcome
                        : choice.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            MemorySegment ts = memory.allocate(16);
            ts.set(JAVA_LONG, 0, 10);
            sqe(d, IORING_OP_FSYNC, IOSQE_IO_LINK, 0, 0, 1);
            sqe(d, IORING_OP_LINK_TIMEOUT, 0, ts.address(), 1, 2);
            sqe(d, IORING_OP_FSYNC, 0, 0, 0, 3);
            sqe(d, IORING_OP_FSYNC, 0, 0, 0, 4);
            assertThat(d.submit(0, 0)).isEqualTo(4);
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            assertThat(e.enter(d.ring(), 0, 4, dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS, MemorySegment.NULL,
                    0)).isZero();
            List<Long> out = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                assertThat(c.res()).isEqualTo(c.userData() == 2 ? -ECANCELED : 7);
                out.add(c.userData());
            }
            return out;
        }
    }

    private static void sqe(RingDriver d, int opcode, int flags, long addr, int len, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.flags(d.sqes(), at, flags);
        Sqe.addr(d.sqes(), at, addr);
        Sqe.len(d.sqes(), at, len);
        Sqe.userData(d.sqes(), at, userData);
    }

    @Test
    void byDefaultTheTasksRunComesAfterEveryWorkersCompletion() {
        List<Choice> asked = new ArrayList<>();
        assertThat(order(0, 0, 0, asked)).containsExactly(1L, 3L, 4L, 2L);
        // asked after FSYNC 1 (its timeout's cancellation queued, 3 and 4 to come) and after FSYNC 3
        assertThat(asked.stream().filter(c -> c == Choice.TASK_WORK_BETWEEN_IOWQ_POSTS).count()).isEqualTo(2);
    }

    @Test
    void theTasksRunMayComeRightAfterTheWorkerThatQueuedItsWork() {
        assertThat(order(0, 0, 1, new ArrayList<>())).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void theTasksRunMayComeBetweenTwoLaterWorkers() {
        assertThat(order(0, 1, 1, new ArrayList<>())).containsExactly(1L, 3L, 2L, 4L);
    }

    @Test
    void aDeferTaskrunRingsWorkersPostThroughTheTaskSoItIsNotAsked() {
        List<Choice> asked = new ArrayList<>();
        order(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 0, 1, asked);
        assertThat(asked).doesNotContain(Choice.TASK_WORK_BETWEEN_IOWQ_POSTS);
    }
}
