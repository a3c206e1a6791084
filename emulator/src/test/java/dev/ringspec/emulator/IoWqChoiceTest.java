package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deterministic mode's io-wq order is a choice point where a chooser is set: two requests handed to io-wq in
 * one submission complete oldest first by default, newest first when the chooser says so, and the chooser is asked
 * {@link IoWqChoices#IOWQ_COMPLETION_ORDER}. The requests are a test opcode that never completes without blocking.
 */
class IoWqChoiceTest {

    /** An opcode whose non-blocking issue answers -EAGAIN, so it goes to io-wq, where it completes with 7. */
    private static List<EmuOp> alwaysBlocks(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_FSYNC, "FSYNC", 0, (req, ctx) -> 0, (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> 7));
    }

    private static List<Long> order(int outcome, List<Choice> asked) {
        return order(2, outcome, asked);
    }

    /** {@code count} such requests in one submission, reaped after a wait for all. */
    private static List<Long> order(int count, int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_COMPLETION_ORDER ? outcome : choice.defaultOutcome();
            });
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            for (int i = 1; i <= count; i++) {
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, IORING_OP_FSYNC);
                Sqe.userData(d.sqes(), at, i);
            }
            assertThat(d.submit(0, 0)).isEqualTo(count);
            assertThat(e.enter(d.ring(), 0, count, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<Long> order = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                assertThat(c.res()).isEqualTo(7);
                order.add(c.userData());
            }
            return order;
        }
    }

    /** A ring of {@code setupFlags} on a deterministic emulator whose chooser answers {@code outcome} to {@code c}. */
    private static RingDriver ring(EmulatedIoUring e, UserMemory memory, int setupFlags, Choice c, int outcome,
            List<Choice> asked) {
        e.withChooser((choice, ringFd) -> {
            asked.add(choice);
            return choice == c ? outcome : choice.defaultOutcome();
        });
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(java.lang.foreign.ValueLayout.JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
        return new RingDriver(e, e.setup(8, params).ringOrNull());
    }

    private static void sqe(RingDriver d, int opcode, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.userData(d.sqes(), at, userData);
    }

    private static List<Long> reaped(RingDriver d) {
        List<Long> out = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            out.add(c.userData());
        }
        return out;
    }

    /** NOP 1, io-wq 2, NOP 3 in one submission: the CQEs in order, with the chooser's {@code outcome}. */
    private static List<Long> flushOrder(int outcome, List<Choice> asked) {
        return flushOrder(outcome, asked, IORING_OP_NOP, IORING_OP_FSYNC, IORING_OP_NOP);
    }

    /** Submits the {@code n} SQEs written, waits for {@code n} CQEs in the same enter: their user_data in order. */
    private static List<Long> submitAndWaitForAll(EmulatedIoUring e, RingDriver d, int n) {
        assertThat(d.submit(0, 0)).isEqualTo(n);
        assertThat(e.enter(d.ring(), 0, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
        return reaped(d);
    }

    /**
     * {@code opcodes} in one submission, user_data 1, 2, ... (FSYNC: io-wq): the CQEs in order, with the chooser's
     * {@code outcome}.
     */
    private static List<Long> flushOrder(int outcome, List<Choice> asked, int... opcodes) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH, outcome, asked);
            for (int i = 0; i < opcodes.length; i++) {
                sqe(d, opcodes[i], i + 1);
            }
            return submitAndWaitForAll(e, d, opcodes.length);
        }
    }

    @Test
    void anIoWqCompletionPostsBeforeTheBatchWhenTheChooserSaysSo() {
        List<Choice> asked = new ArrayList<>();
        assertThat(flushOrder(0, asked)).containsExactly(1L, 3L, 2L);
        assertThat(asked).contains(IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH);
        assertThat(flushOrder(1, new ArrayList<>())).containsExactly(2L, 1L, 3L);
    }

    /**
     * Workers run at once, so two of them may post before the task's batch (world seed 42: an OPENAT's and a STATX's
     * CQEs before a multishot poll's task work): "two before this flush" posts both io-wq items first, "before this
     * flush" the oldest only; a count past the items pending posts those there are.
     */
    @Test
    void twoIoWqCompletionsPostBeforeTheBatchWhenTheChooserSaysSo() {
        int[] ops = {IORING_OP_NOP, IORING_OP_FSYNC, IORING_OP_FSYNC, IORING_OP_NOP};
        assertThat(flushOrder(2, new ArrayList<>(), ops)).containsExactly(2L, 3L, 1L, 4L);
        assertThat(flushOrder(3, new ArrayList<>(), ops)).containsExactly(2L, 3L, 1L, 4L);
        assertThat(flushOrder(1, new ArrayList<>(), ops)).startsWith(2L, 1L, 4L);
    }

    /**
     * Two workers that both post before the task's batch may finish in either order (world seed 201: an IOSQE_ASYNC
     * READ of a socket queued after a STATX, its CQE first, both before a NOP's task work): "two before this flush"
     * with IOWQ_COMPLETION_ORDER "newest first" posts the newer item first. The emulator took the oldest first there
     * whatever that choice said, and did not ask it.
     */
    @Test
    void twoIoWqCompletionsBeforeTheBatchMayComeNewestFirst() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            List<Choice> asked = new ArrayList<>();
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH, 2, asked);
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH ? 2
                        : choice == IoWqChoices.IOWQ_COMPLETION_ORDER ? 1 : choice.defaultOutcome();
            });
            int[] ops = {IORING_OP_NOP, IORING_OP_FSYNC, IORING_OP_FSYNC, IORING_OP_NOP};
            for (int i = 0; i < ops.length; i++) {
                sqe(d, ops[i], i + 1);
            }
            assertThat(submitAndWaitForAll(e, d, ops.length)).containsExactly(3L, 2L, 1L, 4L);
            assertThat(asked).contains(IoWqChoices.IOWQ_COMPLETION_ORDER);
        }
    }

    /**
     * A worker that finishes before the task's batch but finds the CQ full does not put its CQE on the overflow list
     * ahead of the batch: io_req_complete_post's io_fill_cqe_req fails (no slot; with entries on the overflow list
     * io_cqe_cache_refill refuses too), so it queues io_req_task_complete as task work (defer_complete), which runs
     * after the submission's flush overflowed the batch. NOP 1, io-wq 2, NOP 3 into a full 16-entry CQ, "before this
     * flush": the overflow list holds 1, 3, 2 (the emulator had 2, 1, 3, the order of a CQ with room).
     */
    @Test
    void aWorkersCqeThatFindsTheCqFullGoesToTaskWorkNotAheadOfTheBatch() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            List<Choice> asked = new ArrayList<>();
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH, 1, asked);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 8; i++) {
                    sqe(d, IORING_OP_NOP, 100 + round * 8 + i);
                }
                assertThat(d.submit(0, 0)).isEqualTo(8);
            }
            assertThat(d.ready()).isEqualTo(16);
            int[] ops = {IORING_OP_NOP, IORING_OP_FSYNC, IORING_OP_NOP};
            for (int i = 0; i < ops.length; i++) {
                sqe(d, ops[i], i + 1);
            }
            assertThat(d.submit(0, 0)).isEqualTo(3);
            assertThat(asked).contains(IoWqChoices.IOWQ_POSTS_BEFORE_FLUSH);
            assertThat(reaped(d)).hasSize(16);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L, 3L, 2L);
        }
    }

    /**
     * An io-wq request on a DEFER_TASKRUN|TASKRUN_FLAG ring, submitted by an enter that waits for nothing: what that
     * enter left (CQEs ready, IORING_SQ_TASKRUN), then what a GETEVENTS enter reaps.
     */
    private static String deferWait(int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
                    | IORING_SETUP_TASKRUN_FLAG, IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT, outcome, asked);
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            // the next call's way in, as the lockstep's return to user space makes it
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            String first = d.ready() + " ready, taskrun " + ((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0);
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            return first + "; then " + reaped(d);
        }
    }

    @Test
    void aDeferTaskrunRingsIoWqWorkFinishesBeforeOrAfterTheEntersWait() {
        List<Choice> asked = new ArrayList<>();
        assertThat(deferWait(0, asked)).isEqualTo("1 ready, taskrun false; then [1]");
        assertThat(asked).contains(IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT);
        assertThat(deferWait(1, new ArrayList<>())).isEqualTo("0 ready, taskrun true; then [1]");
    }

    /**
     * The same, where the worker finished after the enter and later than the next call looked (world lockstep seed
     * 634: the kernel's IORING_SQ_TASKRUN rose a step after the enter, at a truncate of the data file): outcome 2
     * leaves the flag clear through one more empty call and raises it at the second, outcome 3 at the third; the CQE
     * comes at the next GETEVENTS either way. Which empty call raised it, one per call.
     */
    private static List<Boolean> taskrunAtEachCall(int outcome) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
                    | IORING_SETUP_TASKRUN_FLAG, IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT, outcome, new ArrayList<>());
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            List<Boolean> taskrun = new ArrayList<>();
            for (int call = 0; call < 4; call++) {
                assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
                assertThat(d.ready()).isZero();
                taskrun.add((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0);
            }
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L);
            return taskrun;
        }
    }

    @Test
    void aDeferTaskrunRingsIoWqWorkMayFinishCallsAfterTheEnter() {
        assertThat(taskrunAtEachCall(1)).containsExactly(true, true, true, true);
        assertThat(taskrunAtEachCall(2)).containsExactly(false, true, true, true);
        assertThat(taskrunAtEachCall(3)).containsExactly(false, false, true, true);
    }

    /**
     * An item still running at the next enter (IOWQ_STILL_RUNNING 1) on a TASKRUN_FLAG DEFER_TASKRUN ring may also
     * finish calls after that enter (IOWQ_RACES_DEFER_TASKRUN_WAIT, asked beside it; world lockstep seed 115: the
     * kernel's IORING_SQ_TASKRUN rose a call after a GETEVENTS wait that found nothing): outcome 2 leaves the flag
     * clear at the first empty call after the GETEVENTS enter and raises it at the second, 3 at the third; 0 and 1
     * raise it at the first, as before the choice was asked there. Which empty call raised it, one per call.
     */
    private static List<Boolean> taskrunAfterTheEnterItRanAcross(int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            int[] stillRunning = {1};
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                if (choice == IoWqChoices.IOWQ_STILL_RUNNING) {
                    return stillRunning[0]-- > 0 ? 1 : 0;
                }
                return choice == IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT ? outcome : choice.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(java.lang.foreign.ValueLayout.JAVA_INT, IoUringParams.FLAGS_OFFSET,
                    IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(d.ready()).as("still running at the GETEVENTS enter").isZero();
            assertThat((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0).isFalse();
            List<Boolean> taskrun = new ArrayList<>();
            for (int call = 0; call < 3; call++) {
                assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
                assertThat(d.ready()).isZero();
                taskrun.add((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0);
            }
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L);
            return taskrun;
        }
    }

    @Test
    void anIoWqItemStillRunningAtAnEnterMayFinishCallsAfterIt() {
        List<Choice> asked = new ArrayList<>();
        assertThat(taskrunAfterTheEnterItRanAcross(2, asked)).containsExactly(false, true, true);
        assertThat(asked).contains(IoWqChoices.IOWQ_STILL_RUNNING, IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT);
        assertThat(taskrunAfterTheEnterItRanAcross(3, new ArrayList<>())).containsExactly(false, false, true);
        assertThat(taskrunAfterTheEnterItRanAcross(1, new ArrayList<>())).containsExactly(true, true, true);
        assertThat(taskrunAfterTheEnterItRanAcross(0, new ArrayList<>())).containsExactly(true, true, true);
    }

    /**
     * {@code opcodes} (NOP_TW: a NOP completing through task work) in one submission on a DEFER_TASKRUN ring, user_data
     * 1, 2, ..., then a GETEVENTS wait for all; the chooser answers {@code outcomes}, in turn, to
     * IOWQ_FINISHES_DURING_SUBMIT: the CQEs in order.
     */
    private static List<Long> duringSubmit(List<Choice> asked, int[] outcomes, int... opcodes) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
                    IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT, 0, asked);
            int[] next = {0};
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT ? outcomes[next[0]++]
                        : choice.defaultOutcome();
            });
            for (int i = 0; i < opcodes.length; i++) {
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, opcodes[i] < 0 ? IORING_OP_NOP : opcodes[i]);
                Sqe.userData(d.sqes(), at, i + 1);
                if (opcodes[i] < 0) {
                    Sqe.opFlags(d.sqes(), at, IORING_NOP_TW);
                }
            }
            return submitAndWaitForAll(e, d, opcodes.length);
        }
    }

    /**
     * An io-wq worker runs while the task submits the SQEs after it, so on a DEFER_TASKRUN ring its completion's task
     * work may come after that of a later SQE of the same submission (world lockstep seed 543: a STATX's and an
     * IOSQE_ASYNC READV's after a linked timeout's -ECANCELED, queued at the submission's flush). FSYNC (io-wq),
     * NOP, NOP_TW: at once, the FSYNC's task work runs before the NOP_TW's; after the next SQE, the same; after two
     * more, or past the flush, after it. Two items past the flush finish the smallest count first.
     */
    @Test
    void aDeferTaskrunRingsIoWqWorkMayFinishAfterLaterSqesOfItsSubmission() {
        List<Choice> asked = new ArrayList<>();
        int[] ops = {IORING_OP_FSYNC, IORING_OP_NOP, -1};
        assertThat(duringSubmit(asked, new int[] {0}, ops)).containsExactly(2L, 1L, 3L);
        assertThat(asked).contains(IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT);
        assertThat(duringSubmit(new ArrayList<>(), new int[] {1}, ops)).containsExactly(2L, 1L, 3L);
        assertThat(duringSubmit(new ArrayList<>(), new int[] {2}, ops)).containsExactly(2L, 3L, 1L);
        assertThat(duringSubmit(new ArrayList<>(), new int[] {8}, ops)).containsExactly(2L, 3L, 1L);
        int[] two = {IORING_OP_FSYNC, IORING_OP_FSYNC, -1};
        assertThat(duringSubmit(new ArrayList<>(), new int[] {6, 4}, two)).containsExactly(3L, 2L, 1L);
        assertThat(duringSubmit(new ArrayList<>(), new int[] {4, 6}, two)).containsExactly(3L, 1L, 2L);
    }

    @Test
    void theChooserOrdersIoWqWorkPendingTogether() {
        List<Choice> asked = new ArrayList<>();
        assertThat(order(0, asked)).containsExactly(1L, 2L);
        assertThat(asked).contains(IoWqChoices.IOWQ_COMPLETION_ORDER);
        assertThat(order(1, new ArrayList<>())).containsExactly(2L, 1L);
    }

    /**
     * Three requests: the second oldest may finish first (world lockstep seed 113: FSYNC, WRITEV, FSYNC of one ext4
     * file, the WRITEV's CQE first). The chooser's outcome 2 at every pick: of 1, 2, 3 the second oldest is 2, then
     * of 1, 3 it is 3.
     */
    @Test
    void theChooserLetsAnIoWqItemQueuedBetweenOthersFinishFirst() {
        assertThat(order(3, 2, new ArrayList<>())).containsExactly(2L, 3L, 1L);
    }

    /**
     * On a DEFER_TASKRUN ring an io-wq item that finished after its submitting enter (IOWQ_RACES_DEFER_TASKRUN_WAIT)
     * may still be running at the next GETEVENTS enter, which then posts nothing, when the chooser says so where it is
     * queued (IOWQ_STILL_RUNNING, 1: one more enter that submits or waits; an empty enter before it does not count);
     * the enter after that finds it finished.
     */
    @Test
    void anIoWqItemMayStillRunAtTheNextGeteventsEnter() {
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            int[] stillRunning = {1};
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                if (choice == IoWqChoices.IOWQ_STILL_RUNNING) {
                    return stillRunning[0]-- > 0 ? 1 : 0;
                }
                return choice == IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT ? 1 : choice.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(java.lang.foreign.ValueLayout.JAVA_INT, IoUringParams.FLAGS_OFFSET,
                    IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            // an empty enter takes no time: it does not count
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(d.ready()).as("still running at the first GETEVENTS enter").isZero();
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L);
        }
        assertThat(asked).contains(IoWqChoices.IOWQ_STILL_RUNNING);
    }

    /**
     * A worker still running (IOWQ_STILL_RUNNING) may also outlast a call of io_uring_register, which takes the
     * ring's uring_lock as a worker's file install does (world seed 42 at step 111: an OPENAT into a direct slot
     * queued before the application registered its file table; the kernel's worker installed the file after it, res
     * 0, and its CQE came before those of the next enter). With 1 it is still running at the register, finished by
     * the next look, and its CQE comes before that of a NOP submitted after; without the register counting, the
     * NOP's enter was the one it ran across, and its CQE came second.
     */
    @Test
    void anIoWqItemMayStillRunAcrossARegisterCall() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_STILL_RUNNING, 1, new ArrayList<>());
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            assertThat(d.ready()).as("still running after the empty enter").isZero();
            int n = KernelProfile.LINUX_6_18.opLast();
            MemorySegment probe = memory.allocate(IoUringProbe.SIZE_BYTES + (long) n * IoUringProbeOp.SIZE_BYTES);
            assertThat(e.register(d.ring(), IORING_REGISTER_PROBE, probe, n)).isZero();
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            sqe(d, IORING_OP_NOP, 2);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L, 2L);
        }
    }

    /**
     * An io-wq item still running (IOWQ_STILL_RUNNING) has not finished at once either, whatever
     * IOWQ_RACES_DEFER_TASKRUN_WAIT says (seed 103): on a DEFER_TASKRUN|TASKRUN_FLAG ring no local work is queued,
     * so IORING_SQ_TASKRUN stays clear, until the enter that finds it finished.
     */
    @Test
    void aDeferTaskrunRingsIoWqItemStillRunningQueuesNoLocalWork() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqChoiceTest::alwaysBlocks), memory)) {
            RingDriver d = ring(e, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
                    | IORING_SETUP_TASKRUN_FLAG, IoWqChoices.IOWQ_STILL_RUNNING, 1, new ArrayList<>());
            sqe(d, IORING_OP_FSYNC, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            assertThat(d.sq().readOnceFlags() & IORING_SQ_TASKRUN).as("taskrun after the empty enter").isZero();
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(d.ready()).as("still running at the first GETEVENTS enter").isZero();
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(1L);
        }
    }

    /**
     * Hashed io-wq work ({@code io_prep_async_work}: buffered WRITEs of one regular file, issued once and sent there by
     * -EAGAIN, the world's filesystem having no FOP_BUFFER_WASYNC) leaves the chooser no order but the queue's: at
     * every pick the chooser says "newest first", which takes the other file's write (4) first, then the newest item
     * a worker could take, and of the first file's writes only the oldest pending one can be taken (io-wq.c
     * io_get_next_work). The file then holds the last write's bytes.
     */
    @Test
    void newestFirstStillRunsOneFilesHashedWritesInQueueOrder() throws Exception {
        assertThat(fourWritesNewestFirst(0)).containsExactly(4L, 1L, 2L, 3L);
    }

    /**
     * Forced-async WRITEs (IOSQE_ASYNC) reach io-wq before an issue set their file ({@code io_init_req} leaves
     * {@code req->file} NULL, {@code io_assign_file} sets it), so {@code io_prep_async_work} hashes none of them:
     * newest first at every pick runs them from the last to the first.
     */
    @Test
    void forcedAsyncWritesOfOneFileAreNotHashed() throws Exception {
        assertThat(fourWritesNewestFirst(IOSQE_ASYNC)).containsExactly(4L, 3L, 2L, 1L);
    }

    /**
     * Three WRITEs of one file and a fourth of another, with {@code flags}, in one submission on a deterministic
     * emulator whose chooser picks the newest item at every IOWQ_COMPLETION_ORDER: the user_data in the order posted.
     */
    private static List<Long> fourWritesNewestFirst(int flags) throws Exception {
        java.nio.file.Path first = java.nio.file.Files.createTempFile("ringspec-hash", ".bin");
        java.nio.file.Path second = java.nio.file.Files.createTempFile("ringspec-hash", ".bin");
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            int[] fds = {open(first), open(second)};
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_COMPLETION_ORDER, 1, asked);
            for (int i = 1; i <= 4; i++) {
                MemorySegment buf = memory.allocate(16);
                buf.fill((byte) ('a' + i));
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, IORING_OP_WRITE);
                Sqe.fd(d.sqes(), at, fds[i / 4]);
                Sqe.addr(d.sqes(), at, buf.address());
                Sqe.len(d.sqes(), at, 16);
                Sqe.flags(d.sqes(), at, flags);
                Sqe.userData(d.sqes(), at, i);
            }
            assertThat(d.submit(0, 0)).isEqualTo(4);
            assertThat(e.enter(d.ring(), 0, 4, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<Long> posted = reaped(d);
            if (flags == 0) {
                assertThat(java.nio.file.Files.readString(first)).isEqualTo("d".repeat(16));
            }
            for (int fd : fds) {
                Linux.close(fd);
            }
            assertThat(asked).contains(IoWqChoices.IOWQ_COMPLETION_ORDER);
            return posted;
        } finally {
            java.nio.file.Files.deleteIfExists(first);
            java.nio.file.Files.deleteIfExists(second);
        }
    }

    /**
     * A ring closed while io-wq work the task runs for it (a NOP sent there by IOSQE_ASYNC: it has no blocking form) is
     * still running ({@link IoWqChoices#IOWQ_STILL_RUNNING}) takes that work with it, as {@code io_ring_exit_work}
     * cancels the ring's io-wq work: the next enter, on another ring, finds none of it to hand over. Before, it stayed
     * pending and its delivery wrote into the closed ring's memory (world lockstep: seed 731 after seed 730 ended the
     * run with "Already closed", on main too).
     */
    @Test
    void aClosedRingsIoWqWorkTheTaskRunsEndsWithIt() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            // a TASKRUN_FLAG ring: the late delivery raises IORING_SQ_TASKRUN in the closed ring's memory
            RingDriver closed = ring(e, memory, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
                    IoWqChoices.IOWQ_STILL_RUNNING, 1, new ArrayList<>());
            sqe(closed, IORING_OP_NOP, 1);
            Sqe.flags(closed.sqes(), 0, IOSQE_ASYNC);
            assertThat(closed.submit(0, 0)).isEqualTo(1);
            assertThat(closed.ready()).as("the NOP still running on io-wq").isZero();
            assertThat(e.close(closed.ring())).isZero();
            RingDriver d = ring(e, memory, 0, IoWqChoices.IOWQ_STILL_RUNNING, 0, new ArrayList<>());
            sqe(d, IORING_OP_NOP, 2);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(reaped(d)).containsExactly(2L);
        }
    }

    /** {@code p} opened read-write, close-on-exec. */
    private static int open(java.nio.file.Path p) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            int fd = (int) Linux.call(Linux.SYS_OPENAT, -100, a.allocateFrom(p.toString()).address(), 2 | 0x80000,
                    0, 0, 0);
            assertThat(fd).isNotNegative();
            return fd;
        }
    }
}
