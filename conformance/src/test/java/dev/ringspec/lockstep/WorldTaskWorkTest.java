package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Task work on a DEFER_TASKRUN ring, emulator against this kernel with real I/O, where the emulator took other turns
 * than the kernel (seeds 20 and 43 of {@link WorldLockstepTest}): the kernel's one list for work queued from
 * anywhere, a poll wakeup that sends a forced-async request back to io-wq, and a write's error on io-wq that
 * completes in one task work run. Each run agrees with the kernel, and the kernel's own CQEs and flags show the
 * order the test is about.
 */
@Tag("kernel")
class WorldTaskWorkTest {
    private static final int RUNS = 4;
    private static final int DEFER = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQSIZE;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** {@code steps}, {@value #RUNS} times, each run without a divergence; the kernel's ring after each step. */
    static List<RingObservation> agreesWithTheKernel(List<Step> steps) {
        List<RingObservation> kernel = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int i = 0; i < RUNS; i++) {
                kernel.clear();
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> kernel.add(sub));
                assertThat(o.divergence()).as("run %d", i).isNull();
            }
        }
        return kernel;
    }

    private static List<Long> visible(RingObservation o) {
        List<Long> out = new ArrayList<>();
        for (int c = o.cqHead(); c != o.cqTail(); c++) {
            out.add(o.cqSlots().get(c & (o.cqEntries() - 1)).userData());
        }
        return out;
    }

    /** A NOP completing through task work at {@code position}, its SQ array entry, user_data {@code userData}. */
    private static void nopTw(List<Step> steps, int position, long userData) {
        steps.add(Step.WriteSqe.nop(position, 0, IORING_NOP_TW, 0, userData));
        steps.add(new Step.WriteArray(position, position & 3));
    }

    /**
     * A READ of the empty pipe arms a poll; the world's write wakes it, queueing its task work; then the task
     * queues two NOPs' task work. The wait runs the READ first (io_uring/io_uring.c io_req_local_work_add: one
     * llist, whoever adds), where the emulator ran the work its own task queued before the work from outside.
     */
    @Test
    void workAPollWakeupQueuedRunsBeforeWorkTheTaskQueuedAfterIt() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, DEFER | IORING_SETUP_TASKRUN_FLAG, 8),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 16, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 8)));
        nopTw(steps, 1, 2);
        nopTw(steps, 2, 3);
        steps.add(new Step.PublishTail(2));
        steps.add(new Step.Enter(2, 0, 0));
        steps.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = agreesWithTheKernel(steps);
        assertThat(visible(kernel.getLast())).containsExactly(1L, 2L, 3L);
    }

    /**
     * A forced-async READV of the empty pipe: io-wq arms its poll; the world closes the write end. The wakeup's task
     * work submits it again as task work submits (io_poll_task_func, io_req_task_submit: REQ_F_FORCE_ASYNC goes to
     * io-wq), so the wait that ran the wakeup shows no CQE yet, and the next one the end of file. The emulator read
     * at once, in the wakeup's task work.
     */
    @Test
    void aForcedAsyncRequestWokenByItsPollGoesBackToIoWq() {
        List<Step> steps = List.of(new Step.Setup(4, DEFER, 8),
                new Step.WriteIo(0, IORING_OP_READV, IOSQE_ASYNC, 0, OutsideWorld.PIPE_READ, 0, 1, 0, 2, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, IORING_ENTER_GETEVENTS),
                // time for the kernel's worker to arm the poll before the close (else its first try reads the end)
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20),
                new Step.Outside(Step.Outside.CLOSE, OutsideWorld.PIPE_WRITE, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = agreesWithTheKernel(steps);
        assertThat(visible(kernel.get(7))).as("after the wait that ran the wakeup").isEmpty();
        assertThat(visible(kernel.get(8))).containsExactly(1L);
        assertThat(kernel.get(8).cqSlots().getFirst().res()).isZero();
    }

    /**
     * A forced-async WRITEV to a TCP socket that never connected: io-wq's try fails (-EPIPE) and completes through
     * task work once (io_uring/rw.c kiocb_done, io_rw_done), so the next wait posts it and clears
     * IORING_SQ_TASKRUN. The emulator's try, already that task work, queued the completion as task work again.
     */
    @Test
    void aWriteErrorOnIoWqCompletesInTheNextTaskWorkRun() {
        List<Step> steps = List.of(new Step.Setup(2, DEFER | IORING_SETUP_TASKRUN_FLAG, 8),
                new Step.WriteIo(0, IORING_OP_WRITEV, IOSQE_ASYNC, 0, OutsideWorld.TCP_CLIENT, 0, 64, 0, 3, 0, 0, 5),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        List<RingObservation> kernel = agreesWithTheKernel(steps);
        assertThat(visible(kernel.getLast())).containsExactly(5L);
        assertThat(kernel.getLast().cqSlots().getFirst().res()).isEqualTo(-32);
        assertThat(kernel.getLast().sqFlags() & IORING_SQ_TASKRUN).isZero();
    }
}
