package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
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
 * {@link IoWqChoices#IOWQ_FINISHES_DURING_SUBMIT} on a ring whose io-wq workers post their own CQEs (world lockstep
 * seed 668): an item on io-wq, a TIMEOUT of one CQE and a NOP whose completion is the task's task work, in one
 * submission. Where the worker posts between the TIMEOUT's SQE and the NOP's ({@code io_req_complete_post}, a commit
 * of its own), its commit fires the TIMEOUT, whose completion is task work queued before the NOP's: the kernel's
 * order 1, 2, 3. Before, the choice was asked on DEFER_TASKRUN rings only, and the worker's CQE came after the
 * task's task work, which also let the NOP's CQE fire the TIMEOUT: 3, 2, 1.
 */
class IoWqPostsDuringSubmitTest {

    /** An opcode whose non-blocking issue answers -EAGAIN, so it goes to io-wq, where it completes with 7. */
    private static List<EmuOp> alwaysBlocks(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> 7));
    }

    /**
     * FSYNC 1 (io-wq), TIMEOUT 2 of one CQE and 10 s, NOP 3 with IORING_NOP_TW, in one submission on a ring of
     * {@code setupFlags}, then a wait for all three: their user_data in order, the chooser answering {@code sqes} to
     * IOWQ_FINISHES_DURING_SUBMIT (every other choice its default).
     */
    private static List<Long> order(int setupFlags, int sqes, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqPostsDuringSubmitTest::alwaysBlocks), memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT ? sqes : choice.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            MemorySegment ts = memory.allocate(16);
            ts.set(JAVA_LONG, 0, 10);
            sqe(d, IORING_OP_FSYNC, 0, 0, 0, 0, 1);
            sqe(d, IORING_OP_TIMEOUT, ts.address(), 1, 1, 0, 2);
            sqe(d, IORING_OP_NOP, 0, 0, 0, IORING_NOP_TW, 3);
            assertThat(d.submit(0, 0)).isEqualTo(3);
            assertThat(e.enter(d.ring(), 0, 3, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<Long> out = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                assertThat(c.res()).isEqualTo(c.userData() == 1 ? 7 : 0);
                out.add(c.userData());
            }
            return out;
        }
    }

    private static void sqe(RingDriver d, int opcode, long addr, int len, long off, int opFlags, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.addr(d.sqes(), at, addr);
        Sqe.len(d.sqes(), at, len);
        Sqe.off(d.sqes(), at, off);
        Sqe.opFlags(d.sqes(), at, opFlags);
        Sqe.userData(d.sqes(), at, userData);
    }

    @Test
    void byDefaultTheWorkersCqeComesAfterTheTasksTaskWork() {
        List<Choice> asked = new ArrayList<>();
        assertThat(order(0, 0, asked)).containsExactly(3L, 2L, 1L);
        assertThat(asked).contains(IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT);
    }

    @Test
    void aWorkerThatPostsBetweenTwoSqesFiresACountTimeoutAheadOfTheTasksWork() {
        assertThat(order(0, 1, new ArrayList<>())).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aWorkerThatPostsAfterTheSubmissionsFlushComesBeforeTheTasksWorkButFiresTheTimeoutBehindIt() {
        // the TIMEOUT's completion is queued behind the NOP's, which the submission queued
        assertThat(order(0, 3, new ArrayList<>())).containsExactly(1L, 3L, 2L);
    }

    @Test
    void onADeferTaskrunRingTheWorkersCompletionIsTaskWorkInItsTurn() {
        // queued behind the NOP's task work, whose CQE fires the TIMEOUT, queued behind the worker's
        assertThat(order(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 3, new ArrayList<>()))
                .containsExactly(3L, 1L, 2L);
    }
}
