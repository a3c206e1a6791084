package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A forced-async request cancelled before an io-wq worker issued it never started its LINK_TIMEOUT, emulator against
 * this kernel with real I/O (world lockstep seed 1336, shrunk). An FSYNC (io_fsync_prep: REQ_F_FORCE_ASYNC) with a
 * LINK_TIMEOUT, and an ASYNC_CANCEL of it in the same submission, on a DEFER_TASKRUN ring: the cancellation finds the
 * work on io-wq's list (io_acct_cancel_pending_work) and the FSYNC fails -ECANCELED through local task work, which
 * waits for a GETEVENTS enter while the world's clock runs past the timeout. The kernel starts a LINK_TIMEOUT's timer
 * only where its request is issued (__io_issue_sqe -> io_queue_linked_timeout, on the worker), so no timer ran: the
 * FSYNC's completion cancels the timeout (io_disarm_next, REQ_F_ARM_LTIMEOUT: -ECANCELED). The emulator started it
 * when the FSYNC was queued, so the timer fired and its cancellation found nothing: -ENOENT.
 */
@Tag("kernel")
class WorldUnissuedLinkTimeoutTest {
    private static final int RUNS = 5;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aRequestCancelledBeforeAWorkerTookItCancelsItsLinkTimeout() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 0),
                new Step.WriteIo(0, IORING_OP_FSYNC, IOSQE_IO_LINK, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_ASYNC_CANCEL, 0, 0, -1, 1, 0, 0, 0, 0, 0, 3),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0),
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, OutsideWorld.PIPE_READ, 20),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        List<Cqe> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        System.out.println("the kernel's CQEs of the last run: " + posted + "; choices " + taken);
        assertThat(posted).extracting(Cqe::userData).containsExactlyInAnyOrder(1L, 2L, 3L);
        if (posted.stream().anyMatch(c -> c.userData() == 3 && c.res() == 0)) {
            // the cancellation took it off the list: no timer ran, the FSYNC's completion cancelled the timeout
            assertThat(posted).filteredOn(c -> c.userData() == 2).extracting(Cqe::res).containsExactly(-ECANCELED);
        }
    }
}
