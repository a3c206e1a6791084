package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static java.lang.foreign.ValueLayout.JAVA_INT;
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
 * {@link IoWqChoices#IOWQ_FINISHES_BETWEEN_CALLS}: on a ring whose io-wq workers post their own CQEs, a worker may
 * finish between two of the application's calls, empty ones too, not only at an enter that submits or waits; where
 * the overflow list holds CQEs, that moment decides where the worker's CQE stands in it (io_req_complete_post's
 * defer_complete, run as task work on the task's next return to user space). Asked only where the CQ takes no CQE.
 */
class IoWqFinishesBetweenCallsTest {

    /** An opcode whose non-blocking issue answers -EAGAIN, so it goes to io-wq, where it completes with 7. */
    private static List<EmuOp> alwaysBlocks(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> 7));
    }

    private static EmulatedIoUring emulator(UserMemory memory) {
        return EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18).deterministic(1)
                .withOpcodes(IoWqFinishesBetweenCallsTest::alwaysBlocks), memory);
    }

    /** A ring of 2 SQEs and {@code cqEntries} CQEs, whose chooser answers {@code outcome} to {@code c}. */
    private static RingDriver ring(EmulatedIoUring e, UserMemory memory, int setupFlags, int cqEntries, Choice c,
            int outcome, List<Choice> asked) {
        e.withChooser((choice, ringFd) -> {
            asked.add(choice);
            return choice == c ? outcome : choice.defaultOutcome();
        });
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags | IORING_SETUP_CQSIZE);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        return new RingDriver(e, e.setup(2, params).ringOrNull());
    }

    private static void submit(EmulatedIoUring e, RingDriver d, int opcode, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.userData(d.sqes(), at, userData);
        assertThat(d.submit(0, 0)).isEqualTo(1);
    }

    private static void emptyEnter(EmulatedIoUring e, RingDriver d) {
        assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
    }

    private static List<Long> reaped(RingDriver d) {
        List<Long> out = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            out.add(c.userData());
        }
        return out;
    }

    /**
     * With 1 the worker is still running at the first empty enter after its own, and has posted by the second: NOPs
     * 10 and 11 fill a CQ of 2 first, so the FSYNC's CQE would find no slot, and the choice is asked.
     */
    @Test
    void aWorkerMayStillRunAtTheNextCallAndFinishBeforeTheOneAfter() {
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0, 2, IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS, 1, asked);
            submit(e, d, IORING_OP_NOP, 10);
            submit(e, d, IORING_OP_NOP, 11);
            submit(e, d, IORING_OP_FSYNC, 1);
            emptyEnter(e, d);
            assertThat(d.sq().readOnceFlags() & IORING_SQ_CQ_OVERFLOW).as("nothing overflowed yet").isZero();
            assertThat(reaped(d)).as("still running at the first call after its enter").containsExactly(10L, 11L);
            emptyEnter(e, d);
            assertThat(reaped(d)).containsExactly(1L);
        }
        assertThat(asked).contains(IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS);
    }

    /**
     * Where the CQ has room and the overflow list is empty, the worker's CQE is posted into the CQ wherever it finishes
     * (the other io-wq points place it): the choice is not asked, and the CQE is there by the next call.
     */
    @Test
    void aCqWithRoomIsNotAsked() {
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0, 8, IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS, 1, asked);
            submit(e, d, IORING_OP_FSYNC, 1);
            emptyEnter(e, d);
            assertThat(reaped(d)).containsExactly(1L);
        }
        assertThat(asked).doesNotContain(IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS);
    }

    /**
     * World lockstep seed 82: with the CQ full and the overflow list holding CQEs, a worker's CQE stands in the list
     * where the moment it finished puts it: by the first call after its enter, or at the second, ahead of the next
     * enter's NOP; still running at that enter's look too (3), behind the NOP.
     */
    @Test
    void whereAWorkersCqeStandsInTheOverflowListIsWhenItFinished() {
        assertThat(overflowOrder(0)).containsExactly(10L, 11L, 12L, 2L, 3L);
        assertThat(overflowOrder(1)).containsExactly(10L, 11L, 12L, 2L, 3L);
        assertThat(overflowOrder(3)).containsExactly(10L, 11L, 12L, 3L, 2L);
    }

    /**
     * NOPs 10 and 11 fill a CQ of 2 and NOP 12 goes to the overflow list; then FSYNC 2 to io-wq, still running for
     * {@code calls} more calls; two empty enters; then NOP 3. Every CQE, in order, once the list is flushed.
     */
    private static List<Long> overflowOrder(int calls) {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, 0, 2, IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS, calls, new ArrayList<>());
            submit(e, d, IORING_OP_NOP, 10);
            submit(e, d, IORING_OP_NOP, 11);
            submit(e, d, IORING_OP_NOP, 12);
            assertThat(d.sq().readOnceFlags() & IORING_SQ_CQ_OVERFLOW).isNotZero();
            submit(e, d, IORING_OP_FSYNC, 2);
            emptyEnter(e, d);
            emptyEnter(e, d);
            submit(e, d, IORING_OP_NOP, 3);
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < 5 && out.size() < 5; i++) {
                out.addAll(reaped(d));
                assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            }
            return out;
        }
    }

    /** A DEFER_TASKRUN ring's io-wq work keeps its own choice of later calls: this one is not asked there. */
    @Test
    void aDeferTaskrunRingIsNotAsked() {
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory(); EmulatedIoUring e = emulator(memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 8,
                    IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS, 1, asked);
            submit(e, d, IORING_OP_FSYNC, 1);
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L);
        }
        assertThat(asked).doesNotContain(IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS)
                .contains(IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT);
    }
}
