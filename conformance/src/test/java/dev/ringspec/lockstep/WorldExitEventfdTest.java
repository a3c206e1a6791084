package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A ring's close signals its eventfd once for each flush of the cancellations' CQEs, emulator against this kernel
 * with real I/O (world lockstep seed 2189). A POLL_ADD of the empty pipe waits; where a NOP is linked behind it, the
 * exit's cancellation of the poll (io_uring/io_uring.c io_ring_exit_work -> io_uring_try_cancel_requests ->
 * poll.c io_poll_remove_all) completes it with -ECANCELED in the task's task work, whose flush posts its CQE and
 * signals (__io_submit_flush_completions -> io_commit_cqring_flush -> io_eventfd_signal); freeing the failed head
 * there fails its link (io_free_batch_list -> io_queue_next -> io_disarm_next -> io_fail_links), as task work of its
 * own (io_req_tw_fail_links), whose flush posts the NOP's -ECANCELED and signals again. The world's clock moves
 * after the close, so that the kworker's exit work has run before the count is read.
 */
@Tag("kernel")
class WorldExitEventfdTest {
    private static final int POLLIN = 0x1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** The POLL_ADD (linked to a NOP where {@code linked}), the eventfd, the close, the clock, the count read. */
    private static List<Step> closeWithAWaitingPoll(boolean linked) {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, linked ? IOSQE_IO_LINK : 0, 0, OutsideWorld.PIPE_READ, 0, 0,
                        POLLIN, 0, 0, 0, 1),
                new Step.WriteArray(0, 0)));
        int submitted = 1;
        if (linked) {
            steps.addAll(List.of(Step.WriteSqe.nop(1, 0, 0, 0, 2), new Step.WriteArray(1, 1)));
            submitted = 2;
        }
        steps.addAll(List.of(new Step.PublishTail(submitted),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0),
                new Step.Enter(submitted, 0, 0),
                new Step.Setup(2, 0, 0),
                WorldSteps.advanceClock(),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8)));
        return steps;
    }

    /** The kernel's count read at the last step, after the sides agreed on each step of three runs. */
    private static int countAfterTheClose(List<Step> steps) {
        List<Integer> reads = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < 3; run++) {
                reads.clear();
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> {
                    if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                        reads.add(sub.result());
                    }
                });
                assertThat(o.divergence()).as("run %d", run).isNull();
            }
        }
        assertThat(reads).hasSize(1);
        return reads.get(0);
    }

    @Test
    void aCancelledPollSignalsOnce() {
        assertThat(countAfterTheClose(closeWithAWaitingPoll(false))).isEqualTo(1);
    }

    @Test
    void theLinkItFailsSignalsAgainFromItsOwnTaskWork() {
        assertThat(countAfterTheClose(closeWithAWaitingPoll(true))).isEqualTo(2);
    }
}
