package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A wakeup the ring's own WRITE makes, against task work the same submission queues later, emulator against this
 * kernel with real I/O (seed 38 of {@link WorldLockstepTest}). The kernel's pipe_write wakes the waiting READ's poll
 * inside the write, which queues its task work then; the NOP linked to a LINK_TIMEOUT completes inline, and the
 * flush at the submission's end disarms the timeout, whose -ECANCELED is task work queued after (io_disarm_next,
 * io_req_queue_tw_complete). The emulator saw the pipe ready only at its poll after the submission.
 */
@Tag("kernel")
class WorldOwnWakeupTest {
    private static final int RUNS = 6;
    private static final int POLLIN = 0x1;
    private static final int POLL_ADD_MULTI = 0x1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aWakeupByTheRingsOwnWriteQueuesItsTaskWorkBeforeALaterDisarm() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 64, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_WRITE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 34, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1),
                Step.WriteSqe.nop(2, IOSQE_IO_LINK, 0, 0, 3),
                new Step.WriteArray(2, 2),
                // the 1,000 s timespec: disarmed, never fired
                new Step.WriteIo(3, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 4),
                new Step.WriteArray(3, 3),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(2L, 3L, 1L, 4L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(34, 0, 34, -125);
    }

    /**
     * An enter with GETEVENTS that submits fewer SQEs than it asks for returns at once ({@code io_uring_enter}: no
     * wait), so neither the poll wakeup its WRITE queued as local work runs nor the overflow list is flushed. The
     * emulator ran a wait after such an enter whenever the submission woke a poll (world lockstep seed 89: CqTail 16
     * against the kernel's 8, its overflow list flushed).
     */
    @Test
    void anEnterThatSubmitsFewerThanAskedRunsNoWaitForItsWakeups() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN, 0)));
        // three NOPs on a CQ of two: the third waits in the overflow list; the application then reaps two
        for (int i = 0; i < 3; i++) {
            steps.addAll(List.of(Step.WriteSqe.nop(i, 0, 0, 0, i + 1), new Step.WriteArray(i, 0),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        }
        steps.addAll(List.of(new Step.ConsumeCqes(2),
                new Step.WriteIo(3, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_READ, 0, 0, POLLIN, 0, 0, 0, 10),
                new Step.WriteArray(3, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteIo(4, IORING_OP_WRITE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 5, 0, 0, 0, 0, 11),
                new Step.WriteArray(4, 0), new Step.PublishTail(1),
                new Step.Enter(4, 0, IORING_ENTER_GETEVENTS)));
        List<Integer> last = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < 3; run++) {
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> {
                    if (n == steps.size() - 1) {
                        last.add(sub.result());
                        last.add(sub.cqTail());
                        last.add(sub.sqFlags());
                    }
                });
                assertThat(o.divergence()).as("run %d", run).isNull();
            }
        }
        // the kernel's, each run: 1 submitted, the CQ tail where it was, IORING_SQ_CQ_OVERFLOW still up
        assertThat(last).containsExactly(1, 2, 2, 1, 2, 2, 1, 2, 2);
    }
    /**
     * A multishot POLL_ADD of a pipe that already has bytes, and a WRITE to the pipe in the same submission. The
     * poll is ready when it is armed: __io_arm_poll_handler takes its ownership and queues its task work
     * (__io_poll_execute); the WRITE's pipe_write then wakes it inside the write, and io_poll_wake, not getting the
     * ownership, only adds a reference. io_poll_check_events, run as the enter returns (or in the GETEVENTS wait of a
     * DEFER_TASKRUN ring), drops both references in one pass, which posts one CQE. The emulator saw the WRITE's
     * wakeup only at its poll after that task work had run, and queued it again: a second CQE (seed 1866 of
     * {@link WorldLockstepTest}, shrunk; there on a CQ of four, whose overflow showed as IORING_SQ_CQ_OVERFLOW).
     */
    private static List<Cqe> aPollReadyWhenArmedThenWokenByTheSameSubmission(int setupFlags, int enterFlags) {
        List<Step> steps = List.of(new Step.Setup(2, setupFlags, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 1),
                // sqe->len holds the POLL_ADD flags, op_flags the events (poll32_events)
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_READ, 0, POLL_ADD_MULTI, POLLIN, 0, 0,
                        0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_WRITE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 1, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, enterFlags),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        return WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
    }

    @Test
    void aPollWokenByTheSubmissionThatArmedItReadyPostsOneCqe() {
        assertThat(aPollReadyWhenArmedThenWokenByTheSameSubmission(0, 0))
                .containsExactly(new Cqe(2, 1, 0, 0, 0), new Cqe(1, POLLIN, IORING_CQE_F_MORE, 0, 0));
    }

    @Test
    void aPollWokenByTheSubmissionThatArmedItReadyPostsOneCqeOnADeferTaskrunRing() {
        assertThat(aPollReadyWhenArmedThenWokenByTheSameSubmission(IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN, IORING_ENTER_GETEVENTS))
                .containsExactly(new Cqe(2, 1, 0, 0, 0), new Cqe(1, POLLIN, IORING_CQE_F_MORE, 0, 0));
    }
}
