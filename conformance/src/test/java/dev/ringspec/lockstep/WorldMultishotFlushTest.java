package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A multishot request's CQE ({@code io_req_post_cqe}, io_uring/io_uring.c) is filled without a commit: it sets
 * {@code submit_state.cq_flush}, and the flush that ends the submission or the task work run commits it with
 * whatever else that batch posts, once, so the registered eventfd is signalled once for all of them (upstream
 * 5e16f1a68d28, 6.15: before it, {@code __io_cq_unlock_post} committed each such CQE by itself). Emulator against
 * this kernel with real I/O; each case reads the eventfd's count after the batch. The emulator committed each
 * multishot CQE at once and counted one signal per CQE.
 */
@Tag("kernel")
class WorldMultishotFlushTest {
    private static final int POLLIN = 0x1;
    private static final int RUNS = 3;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * Two multishot POLL_ADDs on the pipe's read end of a DEFER_TASKRUN ring, woken by one write: the GETEVENTS
     * enter runs both polls' task work in one run ({@code io_poll_check_events} posts each CQE), and the run's flush
     * commits the two CQEs together. The count is 2: the first wakeup's work on the empty local list signals
     * ({@code io_req_local_work_add}), then the commit; the emulator's was 3.
     */
    @Test
    void twoMultishotPollsWokenTogetherAreCommittedOnce() {
        List<Step> steps = List.of(deferTaskrunRing(), registerEventfd(),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_READ, 0, IORING_POLL_ADD_MULTI,
                        POLLIN, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_READ, 0, IORING_POLL_ADD_MULTI,
                        POLLIN, 0, 0, 0, 2),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 8),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                readEventfd());
        assertThat(countsAndTails(steps)).containsExactly("2 at 2", "2 at 2", "2 at 2");
    }

    /**
     * A RECV_MULTISHOT of the socketpair with bytes waiting, then a NOP, in one submission: the inline receive posts
     * its CQE ({@code io_recv_finish}) and re-arms; the submission's flush commits it with the NOP's: a count of 1,
     * where the emulator's was 2.
     */
    @Test
    void aMultishotRecvsCqeIsCommittedWithTheSubmissionsBatch() {
        assertThat(countsAndTails(readsThenNop(new Step.WriteIo(1, IORING_OP_RECV, IOSQE_BUFFER_SELECT,
                IORING_RECV_MULTISHOT, OutsideWorld.SOCKET, 0, 0, 0, 0, 1, 0, 2), OutsideWorld.SOCKET_PEER)))
                .containsExactly("1 at 3", "1 at 3", "1 at 3");
    }

    /** As {@link #aMultishotRecvsCqeIsCommittedWithTheSubmissionsBatch}, with a READ_MULTISHOT of the pipe. */
    @Test
    void aReadMultishotsCqeIsCommittedWithTheSubmissionsBatch() {
        assertThat(countsAndTails(readsThenNop(new Step.WriteIo(1, IORING_OP_READ_MULTISHOT, IOSQE_BUFFER_SELECT, 0,
                OutsideWorld.PIPE_READ, 0, 0, 0, 0, 1, 0, 2), OutsideWorld.PIPE_WRITE)))
                .containsExactly("1 at 3", "1 at 3", "1 at 3");
    }

    /**
     * Two multishot TIMEOUTs of 5 ms on a DEFER_TASKRUN ring: each timer's expiry queues its task work, which posts
     * the period's CQE ({@code io_timeout_complete}) and only then re-arms the timer, so after 20 ms each has one
     * period waiting; the GETEVENTS enter runs both in one run and commits their CQEs once. The count is 2, as in
     * {@link #twoMultishotPollsWokenTogetherAreCommittedOnce}; the emulator's was 3.
     */
    @Test
    void twoMultishotTimeoutsRunInOneRunAreCommittedOnce() {
        List<Step> steps = List.of(deferTaskrunRing(), registerEventfd(),
                new Step.WriteIo(0, IORING_OP_TIMEOUT, 0, 0, -1, 0, 0, IORING_TIMEOUT_MULTISHOT, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_TIMEOUT, 0, 0, -1, 0, 0, IORING_TIMEOUT_MULTISHOT, 0, 0, 0, 2),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                readEventfd());
        assertThat(countsAndTails(steps)).containsExactly("2 at 2", "2 at 2", "2 at 2");
    }

    /**
     * A plain ring with four provided buffers of 256 bytes in group 1 and the eventfd read to 0; 16 bytes written to
     * {@code feeder}; {@code multishot} (at SQE 1) and a NOP in one submission; the eventfd read.
     */
    private static List<Step> readsThenNop(Step.WriteIo multishot, int feeder) {
        return List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(0, IORING_OP_PROVIDE_BUFFERS, 0, 0, 4, 0, 256, 0, 0, 1, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                registerEventfd(),
                new Step.Outside(Step.Outside.WRITE, feeder, 16),
                multishot,
                Step.WriteSqe.nop(2, 0, 0, 0, 3),
                new Step.WriteArray(1, 1), new Step.WriteArray(2, 2), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                readEventfd());
    }

    private static Step deferTaskrunRing() {
        return new Step.Setup(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0);
    }

    private static Step registerEventfd() {
        return new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0);
    }

    private static Step readEventfd() {
        return new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8);
    }

    /**
     * {@code steps} {@value #RUNS} times in one runner, emulator against this kernel, none diverging; the kernel's
     * eventfd count at each read and its CQ tail there, "count at tail".
     */
    private static List<String> countsAndTails(List<Step> steps) {
        List<String> seen = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < RUNS; run++) {
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> {
                    if (s instanceof Step.Outside x && x.action() == Step.Outside.READ
                            && x.target() == OutsideWorld.EVENTFD) {
                        seen.add(sub.result() + " at " + sub.cqTail());
                    }
                });
                assertThat(o.divergence()).as("run %d", run).isNull();
            }
        }
        return seen;
    }
}
