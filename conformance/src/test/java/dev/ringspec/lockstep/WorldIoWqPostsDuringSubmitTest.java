package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An io-wq worker's CQE posted while the task still submits, emulator against this kernel with real I/O (world
 * lockstep seed 668, whole): a STATX of an absent path (io-wq: io_statx_prep sets REQ_F_FORCE_ASYNC), a TIMEOUT of
 * one CQE and a CONNECT of the loopback client, in one submission on a ring whose workers post their own CQEs. The
 * CONNECT's retry is the task's task work (its poll), and so is the TIMEOUT's completion once a commit fires it
 * ({@code io_flush_killed_timeouts}). The kernel posts 1, 2, 3 where the STATX's worker posted before the CONNECT's
 * retry was queued, and otherwise 3, 2, 1 or 1, 3, 2; the emulator had only the last two
 * ({@link dev.ringspec.emulator.IoWqChoices} IOWQ_FINISHES_DURING_SUBMIT, asked on DEFER_TASKRUN rings only).
 */
@Tag("kernel")
class WorldIoWqPostsDuringSubmitTest {
    private static final int RUNS = 20;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aWorkersCqeBetweenTwoSqesFiresACountTimeoutBeforeTheTasksWork() {
        List<Step> steps = List.of(new Step.Setup(16, 0, 0),
                // buffer 2 names a path that does not exist
                new Step.WriteIo(0, IORING_OP_STATX, 0, 0, OutsideWorld.DIRECTORY, 0, 0x7ff, 0, 2, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_TIMEOUT, 0, 0, -1, 1, 0, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_CONNECT, 0, 0, OutsideWorld.TCP_CLIENT, 0, 0, 0, 0, 0, 0, 3),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0));
        Map<String, Long> taken = new TreeMap<>();
        int inOrder = 0;
        for (int run = 0; run < RUNS; run++) {
            RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(steps, 1, taken);
            List<Cqe> posted = WorldLockstepTest.visible(kernel);
            assertThat(posted).extracting(c -> c.userData() + ":" + c.res()).as("run %d", run)
                    .containsExactlyInAnyOrder("1:" + -ENOENT, "2:0", "3:0");
            if (posted.stream().map(Cqe::userData).toList().equals(List.of(1L, 2L, 3L))) {
                inOrder++;
            }
        }
        System.out.println("the kernel posted 1, 2, 3 in " + inOrder + " of " + RUNS + " runs; choices " + taken);
        // a race: the worker's post must come after the TIMEOUT's SQE and before the CONNECT's retry is queued
        // (17:38, load 22: 2 of 12 runs, each explained by IOWQ_FINISHES_DURING_SUBMIT = 1; seed 668 alone at load 14
        // to 17, before the change: 1, 2, 3 in 1 of 8 runs, which diverged; 18:15, load 2: 2 of 20, and without the
        // change run 0 took 1, 2, 3 and diverged against the emulator's 3, 2, 1)
        assumeTrue(inOrder > 0, "the kernel posted 1, 2, 3 in none of " + RUNS + " runs (the order this test is"
                + " about did not occur; the other two were checked)");
    }
}
