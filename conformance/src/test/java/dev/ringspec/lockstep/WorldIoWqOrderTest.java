package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * io-wq work pending together completes in any order (seed 113 of {@link WorldLockstepTest}), emulator against this
 * kernel with real I/O: an FSYNC (always io-wq), a buffered WRITEV of no bytes (io-wq too: the world's file is on a
 * filesystem without FOP_BUFFER_WASYNC) and another FSYNC of the same file in one batch. The FSYNCs wait for the
 * file's dirty page to be written, so the WRITEV's worker usually finishes first; the emulator's deterministic io-wq
 * could only run the oldest or the newest item next, never the one between.
 */
@Tag("kernel")
class WorldIoWqOrderTest {
    private static final int RUNS = 8;
    private static final int O_CREAT = 0x40;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * An FSYNC of a file with a dirty page, then enters of one NOP each, then a wait for all: the FSYNC's worker waits
     * for the disk while the enters go on, so its CQE may come after any of them (seed 113: seven enters later).
     * The emulator's io-wq finished it at the next enter.
     */
    @Test
    void anIoWqItemMayStillRunAcrossLaterEnters() {
        List<Step> steps = new java.util.ArrayList<>(List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(1, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0)));
        for (int i = 0; i < 4; i++) {
            steps.add(Step.WriteSqe.nop(2 + i, 0, 0, 0, 2 + i));
            steps.add(new Step.WriteArray(2 + i, 2 + i));
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, 0));
        }
        steps.add(new Step.Enter(0, 5, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = agreesOnEveryRun(steps);
        System.out.println("choices taken against the kernel: " + taken);
    }

    /** {@code steps}, {@value #RUNS} times, none diverging; the choices taken. */
    private static Map<String, Long> agreesOnEveryRun(List<Step> steps) {
        Map<String, Long> taken = new TreeMap<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int i = 0; i < RUNS; i++) {
                Coverage coverage = new Coverage();
                LockstepRunner.Outcome o = runner.run(steps, coverage);
                assertThat(o.divergence()).as("run %d", i).isNull();
                coverage.choices().forEach((k, v) -> taken.merge(k, v, Long::sum));
            }
        }
        return taken;
    }

    /**
     * A multishot POLL_ADD of the pipe's write end, ready at once, then an OPENAT with O_CREAT relative to the pipe's
     * read end (io-wq: io_openat2 answers -EAGAIN for O_CREAT without blocking; the worker finds -ENOTDIR), on a
     * COOP_TASKRUN ring (seed 46 of {@link WorldLockstepTest}, shrunk). The poll's CQE is posted by task work at the
     * end of the enter (io_poll_task_func, io_req_post_cqe); the worker posts its own (io_req_complete_post) and got
     * there first in every run here. The emulator asked IOWQ_POSTS_BEFORE_FLUSH only before a batch, never before
     * io_req_post_cqe, so it always posted the poll's first.
     */
    @Test
    void anIoWqCompletionMayComeBeforeAMultishotPollsTaskWork() {
        List<Step> steps = List.of(new Step.Setup(2, IORING_SETUP_COOP_TASKRUN, 0),
                new Step.WriteIo(0, IORING_OP_OPENAT, 0, 0, OutsideWorld.PIPE_READ, 0, 0, O_CREAT, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_WRITE, 0, IORING_POLL_ADD_MULTI,
                        POLLOUT, 0, 0, 0, 2),
                new Step.WriteArray(0, 1),
                new Step.WriteArray(1, 0),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, 0));
        System.out.println("choices taken against the kernel: " + agreesOnEveryRun(steps));
    }

    /**
     * Two OPENATs with O_CREAT relative to the pipe's read end (io-wq, -ENOTDIR from two workers at once), then a
     * multishot POLL_ADD ready at once, on a COOP_TASKRUN ring (seed 42 of {@link WorldLockstepTest} at step 152: an
     * OPENAT and a STATX, both forced async, and a multishot poll). Both workers may post (io_req_complete_post)
     * before the task work that posts the poll's CQE runs on the way out of the enter; the emulator could put only
     * the oldest item before it.
     */
    @Test
    void twoIoWqCompletionsMayComeBeforeAMultishotPollsTaskWork() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_COOP_TASKRUN, 0),
                new Step.WriteIo(0, IORING_OP_OPENAT, 0, 0, OutsideWorld.PIPE_READ, 0, 0, O_CREAT, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_OPENAT, 0, 0, OutsideWorld.PIPE_READ, 0, 0, O_CREAT, 0, 0, 0, 2),
                new Step.WriteIo(2, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.PIPE_WRITE, 0, IORING_POLL_ADD_MULTI,
                        POLLOUT, 0, 0, 0, 3),
                new Step.WriteArray(0, 0),
                new Step.WriteArray(1, 1),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0));
        System.out.println("choices taken against the kernel: " + agreesOnEveryRun(steps));
    }

    @Test
    void anIoWqItemQueuedBetweenTwoOthersMayFinishFirst() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.WriteIo(0, IORING_OP_WRITE, 0, 0, OutsideWorld.FILE, 0, 4096, 0, 1, 0, 0, 10),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.WriteIo(1, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_WRITEV, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(2, 2),
                new Step.WriteIo(3, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(3, 3),
                new Step.PublishTail(3),
                new Step.Enter(3, 3, IORING_ENTER_GETEVENTS));
        System.out.println("choices taken against the kernel: " + agreesOnEveryRun(steps));
    }
}
