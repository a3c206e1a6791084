package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two READs of an empty pipe wait in polls and a SPLICE from it waits on an io-wq worker, as in
 * {@link WorldPipeWaitersTest}; here the 39 bytes come from io-wq work of the same ring, a SPLICE from the data file
 * into the pipe (fs/splice.c splice_file_to_pipe: wakeup_pipe_readers once the pipe's mutex is dropped), which wakes
 * the polls and the waiting worker at once. The emulator's deterministic mode ran the woken worker in the same look
 * at pending io-wq work as the SPLICE that woke it, before it looked at the polls (world lockstep seed 198: a SPLICE
 * into the pipe a SPLICE's worker, a READ's poll and a READV's poll wait on); it now asks
 * {@code TASK_WORK_BEFORE_A_WOKEN_WORKER} there too.
 */
@Tag("kernel")
class WorldIoWqWakesPipeWaitersTest {
    private static final int RUNS = 20;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** {@link WorldPipeWaitersTest}'s two READs and SPLICE waiting on the pipe, then io-wq work fills it. */
    static List<Step> aSpliceIntoThePipeWakesItsWaiters() {
        List<Step> steps = new ArrayList<>(WorldPipeWaitersTest.readsAndASpliceWaitOnAPipe().subList(0, 13));
        steps.addAll(List.of(
                // from the data file at offset 0 into the pipe, on io-wq
                new Step.WriteIo(3, IORING_OP_SPLICE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 39, 0, OutsideWorld.FILE, 0,
                        0, 4),
                new Step.WriteArray(3, 3), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        return steps;
    }

    /**
     * Over {@value #RUNS} runs, each order the kernel takes agrees with the emulator: the woken worker first (its
     * SPLICE takes all 39 bytes) or the READs' task work first (they read 5 and 23, the worker splices the other 11),
     * which the emulator takes at its choice point. Skips where the kernel never took the READs-first order.
     *
     * <p>In the worker-first order the kernel's woken worker (ud 3) may also post before the worker that woke it (ud
     * 4): that one still returns through the splice to post while the woken one runs on the other CPU (a fresh-clone
     * CI run at load 1 on 2026-11-27, run 8 of 20), which the emulator takes at {@code WOKEN_WORKER_POSTS_FIRST}.
     */
    @Test
    void theReadsOrTheWokenWorkerTakeTheBytesFirst() {
        List<Step> steps = aSpliceIntoThePipeWakesItsWaiters();
        int readsFirst = 0;
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < RUNS; run++) {
                RingObservation[] kernel = new RingObservation[steps.size()];
                Coverage coverage = new Coverage();
                LockstepRunner.Outcome o = runner.run(steps, coverage, (n, s, ref, sub) -> kernel[n] = sub);
                RingObservation seen = o.divergence() != null ? o.divergence().subject() : kernel[steps.size() - 1];
                List<Integer> res = seen == null ? List.of()
                        : WorldLockstepTest.visible(seen).stream().map(Cqe::res).toList();
                if (res.contains(5) && res.contains(23) && res.contains(11)) {
                    readsFirst++;
                    assertThat(o.divergence()).as("run %d", run).isNull();
                    assertThat(coverage.choices()).as("run %d", run)
                            .containsKey("TASK_WORK_BEFORE_A_WOKEN_WORKER = the task work first");
                } else if (res.equals(List.of(39, 39))) {
                    assertThat(o.divergence()).as("run %d: the worker first", run).isNull();
                    if (WorldLockstepTest.visible(seen).stream().map(Cqe::userData).toList().equals(List.of(3L, 4L))) {
                        assertThat(coverage.choices()).as("run %d", run)
                                .containsKey("WOKEN_WORKER_POSTS_FIRST = the woken worker first");
                    }
                }
            }
        }
        assumeTrue(readsFirst > 0, "the kernel's READs took the bytes first in none of " + RUNS
                + " runs: the order this test checks did not occur");
    }
}
