package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.Errno;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An IOSQE_ASYNC READ of an empty fixed slot fails on its io-wq worker, whose {@code io_assign_file} finds no file:
 * {@code io_wq_submit_work} hands the -EBADF to the ring's task ({@code io_req_task_queue_fail}), so the task posts
 * the CQE and no worker's commit signals an ASYNC eventfd (io_uring/io_uring.c, 6.18). The emulator's worker posted it
 * as its own completion and signalled the eventfd, whose count a READ then took and overflowed a full CQ with (world
 * lockstep seed 2304: the emulator's CQ_OVERFLOW, the kernel's read still waiting for the count). On a DEFER_TASKRUN
 * ring the worker's queueing of that task work ({@code io_req_local_work_add} to an empty list) does signal the ASYNC
 * eventfd, as the worker is the one that queues it ({@code io_eventfd_trigger}: {@code io_wq_current_is_worker}).
 */
@Tag("kernel")
class WorldIoWqAssignFileTest {
    private static final int RUNS = 3;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    @Timeout(60)
    void aWorkersMissingFixedFileFailsThroughTaskWorkQueuedByTheWorker(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 1),
                new Step.WriteIo(0, IORING_OP_READ, IOSQE_ASYNC | IOSQE_FIXED_FILE, 0, 3, 0, 8, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                // 20 ms for the kernel's worker to fail it and the task work to be queued
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, OutsideWorld.EVENTFD, 20),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                // the eventfd's count: none on a plain ring, so the read waits for one; 1 on a DEFER_TASKRUN ring
                new Step.WriteIo(1, IORING_OP_READ, 0, 0, OutsideWorld.EVENTFD, 0, 8, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        boolean deferTaskrun = setupFlags != 0;
        assertThat(cqes).extracting(Cqe::userData)
                .containsExactly(deferTaskrun ? new Long[] {1L, 2L} : new Long[] {1L});
        assertThat(cqes).extracting(Cqe::res).containsExactly(deferTaskrun ? new Integer[] {-Errno.EBADF, 8}
                : new Integer[] {-Errno.EBADF});
    }
}
