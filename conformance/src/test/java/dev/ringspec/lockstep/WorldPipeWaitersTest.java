package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
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
 * Two READs of an empty pipe wait in polls (io_arm_poll_handler) and a SPLICE from it waits on an io-wq worker
 * (pipe_wait_readable); a write of 39 bytes wakes all three at once (__wake_up_common). On this kernel (6.18.44) the
 * worker may take all 39 bytes before the task runs the polls' task work (7 of 12 runs under load 10 to 20, 10 of 20
 * at load 16): both READs answer -EAGAIN there and arm again, the older READ last, so it is at the head of the wait
 * queue and the next write (2,899 bytes) wakes it first: its 23 bytes come before the newer READ's 5. Otherwise (5 of
 * 12; 12 of 20 at load 16; 20 of 20 at load 2) the READs read first and the worker splices the other 11 bytes, an
 * order the emulator makes at its choice point TASK_WORK_BEFORE_A_WOKEN_WORKER. The emulator's deterministic mode
 * ran the waiting worker before it looked at the polls, whose epoll events were gone with the bytes: the READs
 * stayed armed in their first order and the newer one read first (world lockstep seed 600: a shifted slice of the
 * stream in the buffer both READs fill).
 */
@Tag("kernel")
class WorldPipeWaitersTest {
    private static final int RUNS = 20;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    static List<Step> readsAndASpliceWaitOnAPipe() {
        return List.of(new Step.Setup(4, 0, 8),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 23, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.WriteIo(1, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 5, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                // from the pipe (buf 0 names splice_fd_in) to the socket
                new Step.WriteIo(2, IORING_OP_SPLICE, 0, 0, OutsideWorld.SOCKET, 0, 57, 0, 0, 0, 0, 3),
                new Step.WriteArray(2, 2), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 39),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 2899),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
    }

    /**
     * In every run where the kernel's worker took the 39 bytes, the emulator agrees, and the older READ completes
     * first at the second write; where no run of {@value #RUNS} took that order the test skips.
     */
    @Test
    void readsThatFoundTheBytesGoneArmAgainNewestFirst() {
        List<Step> steps = readsAndASpliceWaitOnAPipe();
        int afterFirstWrite = steps.size() - 3;
        int workerFirst = 0;
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < RUNS; run++) {
                RingObservation[] kernel = new RingObservation[steps.size()];
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> kernel[n] = sub);
                List<Cqe> first = kernel[afterFirstWrite] == null ? List.of()
                        : WorldLockstepTest.visible(kernel[afterFirstWrite]);
                if (first.size() != 1) {
                    continue; // the READs read first (or the worker had not run yet): not this test's order
                }
                workerFirst++;
                assertThat(first).extracting(Cqe::res).as("run %d: the SPLICE's", run).containsExactly(39);
                assertThat(o.divergence()).as("run %d", run).isNull();
                List<Cqe> all = new ArrayList<>(WorldLockstepTest.visible(kernel[steps.size() - 1]));
                assertThat(all).extracting(Cqe::userData).as("run %d", run).containsExactly(3L, 1L, 2L);
                assertThat(all).extracting(Cqe::res).as("run %d", run).containsExactly(39, 23, 5);
            }
        }
        // the kernel's order is a race: during a full build here (16:05, load about 2) the READs read first in all
        // 20 runs; under load 10 to 20 the worker took the bytes first in 7 of 12. Never seen, nothing was checked.
        assumeTrue(workerFirst > 0, "the kernel's worker took the bytes first in none of " + RUNS
                + " runs (its READs read first, as they mostly do on an idle machine): the order this test checks"
                + " did not occur");
    }

    /**
     * In every run where the kernel's READs took the 39 bytes' first 28 (the newer READ its 5, then the older its 23)
     * before the worker spliced the other 11, the emulator agrees, taking that order at its choice point
     * ({@code TASK_WORK_BEFORE_A_WOKEN_WORKER}); where no run of {@value #RUNS} took that order the test skips.
     */
    @Test
    void readsThatTakeTheBytesFirstLeaveTheRestToTheWorker() {
        List<Step> steps = readsAndASpliceWaitOnAPipe();
        int afterFirstWrite = steps.size() - 3;
        int readsFirst = 0;
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < RUNS; run++) {
                RingObservation[] kernel = new RingObservation[steps.size()];
                Coverage coverage = new Coverage();
                LockstepRunner.Outcome o = runner.run(steps, coverage, (n, s, ref, sub) -> kernel[n] = sub);
                // a divergence ends the run at its step, unwatched: the subject's side is in the report then
                RingObservation seen = o.divergence() != null && o.divergence().step() <= afterFirstWrite
                        ? o.divergence().subject() : kernel[afterFirstWrite];
                List<Cqe> first = seen == null ? List.of() : WorldLockstepTest.visible(seen);
                if (first.size() != 3) {
                    continue; // the worker took the bytes first: not this test's order
                }
                readsFirst++;
                assertThat(first).extracting(Cqe::userData).as("run %d", run).containsExactly(2L, 1L, 3L);
                assertThat(first).extracting(Cqe::res).as("run %d", run).containsExactly(5, 23, 11);
                assertThat(o.divergence()).as("run %d", run).isNull();
                assertThat(coverage.choices()).as("run %d", run)
                        .containsKey("TASK_WORK_BEFORE_A_WOKEN_WORKER = the task work first");
            }
        }
        assumeTrue(readsFirst > 0, "the kernel's READs took the bytes first in none of " + RUNS
                + " runs (its worker took them each time, as it may under load): the order this test checks did not"
                + " occur");
    }
}
