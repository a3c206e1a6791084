package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An io-wq worker that finds the CQ full, emulator against this kernel with real I/O (world lockstep seed 1087,
 * shrunk): a ring of 2 CQEs with the world's eventfd registered ASYNC, filled by two NOPs, then a READV of that
 * eventfd (its count 0: a poll is armed) and a STATX of an absent path (io-wq: io_statx_prep sets
 * REQ_F_FORCE_ASYNC). The STATX's worker finds no slot (io_req_complete_post: io_fill_cqe_req fails), commits
 * anyway, and that commit's eventfd signal (a worker's, the CQ tail moved since the registration) wakes the READV
 * before the worker queues its own completion as task work (defer_complete), so the overflow list holds the READV's
 * 8 bytes first and the STATX's -ENOENT after. The emulator posted the STATX's first.
 */
@Tag("kernel")
class WorldIoWqFillRefusedTest {
    private static final int RUNS = 5;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aWorkersSignalOnAFullCqWakesTheEventfdsReadBeforeItsOwnCompletion() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, 0, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 1)));
        for (int ud = 1; ud <= 2; ud++) {
            steps.addAll(List.of(Step.WriteSqe.nop(0, 0, 0, 0, ud), new Step.WriteArray(ud - 1, 0),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        }
        steps.addAll(List.of(
                new Step.WriteIo(0, IORING_OP_READV, 0, 0, OutsideWorld.EVENTFD, 0, 8, 0, 3, 0, 0, 3),
                new Step.WriteArray(2, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                // buffer 2 names a path that does not exist
                new Step.WriteIo(0, IORING_OP_STATX, 0, 0, OutsideWorld.DIRECTORY, 0, 0x7ff, 0, 2, 0, 0, 4),
                new Step.WriteArray(3, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.ConsumeCqes(2),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        Map<String, Long> taken = new TreeMap<>();
        List<Cqe> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        assertThat(posted).extracting(c -> c.userData() + ":" + c.res()).containsExactly("3:8", "4:" + -ENOENT);
        System.out.println("choices taken: " + taken);
    }

    /**
     * World lockstep seeds 2085, 2306, 3079 and 3121, shrunk: a ring of 2 CQEs filled by two NOPs, a READV of the
     * empty pipe (a poll is armed), then an IOSQE_ASYNC WRITE of 5 bytes to the pipe, whose worker wakes the READV
     * inside its call (pipe_write -> io_poll_wake: task work) and then finds the CQ full (io_req_complete_post:
     * defer_complete, task work behind the READV's). The READV's 5 bytes come first on the overflow list in every run,
     * which no choice of the emulator's explained before:
     * {@link dev.ringspec.emulator.IoWqChoices#IOWQ_WAKES_BEFORE_IT_POSTS} is the race of a worker that posts, not of
     * one that cannot.
     */
    @Test
    void aWorkersWriteOnAFullCqWakesThePipesReadBeforeItsOwnCompletion() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, 0, 0)));
        for (int ud = 1; ud <= 2; ud++) {
            steps.addAll(List.of(Step.WriteSqe.nop(0, 0, 0, 0, ud), new Step.WriteArray(ud - 1, 0),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        }
        steps.addAll(List.of(
                new Step.WriteIo(0, IORING_OP_READV, 0, 0, OutsideWorld.PIPE_READ, 0, 8, 0, 3, 0, 0, 3),
                new Step.WriteArray(2, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteIo(0, IORING_OP_WRITE, IOSQE_ASYNC, 0, OutsideWorld.PIPE_WRITE, 0, 5, 0, 1, 0, 0, 4),
                new Step.WriteArray(3, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.ConsumeCqes(2),
                new Step.Enter(0, 2, IORING_ENTER_GETEVENTS))); // waits out a late worker
        Map<String, Long> taken = new TreeMap<>();
        List<Cqe> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        assertThat(posted).extracting(c -> c.userData() + ":" + c.res()).containsExactly("3:5", "4:5");
        System.out.println("choices taken: " + taken);
    }

    /**
     * World lockstep seed 2360, the same on a DEFER_TASKRUN ring, whose workers never post (io_req_complete_post:
     * lockless_cq): the WRITE's completion is local task work queued after the READV's poll wakeup, and the wait
     * runs the list in order (__io_run_local_work), so the READV's CQE comes first with room in the CQ too.
     */
    @Test
    void onADeferTaskrunRingAWorkersWriteWakesThePipesReadBeforeItsOwnCompletion() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                new Step.WriteIo(0, IORING_OP_READV, 0, 0, OutsideWorld.PIPE_READ, 0, 8, 0, 3, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_WRITE, IOSQE_ASYNC, 0, OutsideWorld.PIPE_WRITE, 0, 5, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Enter(0, 2, IORING_ENTER_GETEVENTS)); // waits out a late worker
        Map<String, Long> taken = new TreeMap<>();
        List<Cqe> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken));
        assertThat(posted).extracting(c -> c.userData() + ":" + c.res()).containsExactly("1:5", "2:5");
        System.out.println("choices taken: " + taken);
    }
}
