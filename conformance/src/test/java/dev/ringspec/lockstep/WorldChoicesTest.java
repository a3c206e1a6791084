package dev.ringspec.lockstep;

import static dev.ringspec.lockstep.FaultInjectingKernel.SWAPPED_FIRST;
import static dev.ringspec.lockstep.FaultInjectingKernel.SWAPPED_SECOND;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The io-wq orders the kernel leaves open are choice points of the emulator, not a looser comparison: a batch of an
 * inline NOP, an io-wq request and another inline NOP agrees with this kernel on every run, whichever order the
 * kernel took (the run takes the choice that explains it), and the same batch diverges on every run when the two
 * NOPs' CQEs are planted in each other's place, an order that no choice allows.
 */
@Tag("kernel")
class WorldChoicesTest {
    private static final int RUNS = 8;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** NOP, {@code io}, NOP in one batch on a ring of {@code setupFlags}, then a wait for the rest. */
    private static List<Step> batch(int setupFlags, Step.WriteIo io) {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step.Setup(8, setupFlags, 0));
        steps.add(Step.WriteSqe.nop(0, 0, 0, 0, SWAPPED_FIRST));
        steps.add(new Step.WriteArray(0, 0));
        steps.add(io);
        steps.add(new Step.WriteArray(1, 1));
        steps.add(Step.WriteSqe.nop(2, 0, 0, 0, SWAPPED_SECOND));
        steps.add(new Step.WriteArray(2, 2));
        steps.add(new Step.PublishTail(3));
        steps.add(new Step.Enter(3, 0, IORING_ENTER_GETEVENTS));
        steps.add(new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
        steps.add(new Step.ConsumeCqes(3));
        return steps;
    }

    /** How many of {@value #RUNS} runs of {@code steps} diverged, emulator against {@code kernel}; the choices taken. */
    private static int diverged(List<Step> steps, dev.ringspec.seam.Backend kernel, Map<String, Long> taken) {
        int diverged = 0;
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), kernel).withWorld()) {
            for (int i = 0; i < RUNS; i++) {
                Coverage coverage = new Coverage();
                LockstepRunner.Outcome o = runner.run(steps, coverage);
                coverage.choices().forEach((k, v) -> taken.merge(k, v, Long::sum));
                if (o.divergence() != null) {
                    diverged++;
                    System.out.println("diverged: " + o.divergence());
                }
            }
        }
        return diverged;
    }

    private static void choiceExplainsTheKernelAndNotAPlantedOrder(List<Step> steps) {
        Map<String, Long> honest = new java.util.TreeMap<>();
        assertThat(diverged(steps, KernelTests.kernel("kernel"), honest)).as("runs against the kernel that diverged")
                .isZero();
        System.out.println("choices taken against the kernel: " + honest);
        Map<String, Long> planted = new java.util.TreeMap<>();
        assertThat(diverged(steps, KernelTests.faulty(FaultInjectingKernel.Fault.SWAP_INLINE_PAIR), planted))
                .as("runs with the NOPs' CQEs swapped that diverged").isEqualTo(RUNS);
    }

    /**
     * IOWQ_POSTS_BEFORE_FLUSH: an OPENAT that creates a file goes to io-wq, whose worker posts its own CQE (into a
     * direct slot the ring lacks: -ENFILE, where a process descriptor's number would differ between the sides).
     */
    @Test
    void anIoWqCompletionAmongTheBatchsInlineOnesIsAChoice() {
        choiceExplainsTheKernelAndNotAPlantedOrder(batch(0, new Step.WriteIo(1, IORING_OP_OPENAT, 0, 0,
                OutsideWorld.DIRECTORY, 0, 0644, 0x42, 1, 0, -1, 5)));
    }

    /**
     * IOWQ_RACES_DEFER_TASKRUN_WAIT: on a DEFER_TASKRUN ring a forced-async write to a socket finishes on io-wq
     * before or after the enter's wait ran local work (IORING_SQ_TASKRUN shows which).
     */
    @Test
    void anIoWqCompletionRacingADeferTaskrunWaitIsAChoice() {
        choiceExplainsTheKernelAndNotAPlantedOrder(batch(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_TASKRUN_FLAG, new Step.WriteIo(1, IORING_OP_WRITE, IOSQE_ASYNC, 0, OutsideWorld.SOCKET,
                0, 32, 0, 1, 0, 0, 5)));
    }
}
