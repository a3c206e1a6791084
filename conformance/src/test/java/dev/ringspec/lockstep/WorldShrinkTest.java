package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A wrong answer planted in a fake kernel side with real I/O (a read that reports one byte fewer than it moved) is
 * found in a long run of world steps and real-I/O requests, and shrunk to the few steps that show it.
 */
@Tag("kernel")
class WorldShrinkTest {
    /** The user_data of the reads the fake side gets wrong. */
    private static final long READS = FaultInjectingKernel.SHORT_READS;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** Forty-odd steps: NOPs, a timeout, writes to the world and to a socket, and one pipe read among them. */
    private static List<Step> longRun() {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step.Setup(8, 0, 0));
        int slot = 0;
        for (int i = 0; i < 6; i++) {
            steps.add(Step.WriteSqe.nop(slot, 0, 0, 0, 1 + i));
            steps.add(new Step.WriteArray(slot, slot & 7));
            slot++;
            steps.add(new Step.PublishTail(1));
            steps.add(new Step.Enter(1, 0, IORING_ENTER_GETEVENTS));
            steps.add(new Step.Outside(Step.Outside.WRITE, OutsideWorld.SOCKET_PEER, 10 + i));
            if (i == 2) {
                steps.add(new Step.WriteIo(slot, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 64, 0, 1, 0, 0,
                        READS));
                steps.add(new Step.WriteArray(slot, slot & 7));
                slot++;
                steps.add(new Step.WriteIo(slot, IORING_OP_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 50));
                steps.add(new Step.WriteArray(slot, slot & 7));
                slot++;
                steps.add(new Step.PublishTail(2));
                steps.add(new Step.Enter(2, 0, 0));
            }
            if (i == 4) {
                steps.add(new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 33));
                steps.add(new Step.WriteIo(slot, IORING_OP_WRITE, 0, 0, OutsideWorld.SOCKET, 0, 20, 0, 2, 0, 0, 60));
                steps.add(new Step.WriteArray(slot, slot & 7));
                slot++;
                steps.add(new Step.PublishTail(1));
                steps.add(new Step.Enter(1, 0, 0));
            }
            steps.add(new Step.ConsumeCqes(1));
        }
        return steps;
    }

    @Test
    void aWrongReadIsShrunkToTheStepsThatShowIt() {
        Backend emulator = WorldLockstepTest.emulator();
        List<Step> steps = longRun();
        try (LockstepRunner honest = new LockstepRunner(emulator, KernelTests.kernel("kernel")).withWorld()) {
            LockstepRunner.Outcome o = honest.run(steps, null);
            assertThat(o.divergence()).as("the run without the planted fault").isNull();
            assertThat(o.steps()).hasSize(steps.size());
        }
        try (LockstepRunner runner = new LockstepRunner(emulator,
                KernelTests.faulty(FaultInjectingKernel.Fault.READS_ONE_BYTE_SHORT)).withWorld()) {
            LockstepRunner.Outcome o = runner.run(steps, null);
            assertThat(o.divergence()).as("the planted fault is seen").isNotNull();
            Shrinker.Result shrunk = new Shrinker(runner, Duration.ofSeconds(60)).shrink(o.steps(), o.divergence());
            List<String> described = shrunk.steps().stream().map(Step::describe).toList();
            System.out.println("shrunk " + steps.size() + " steps to " + described);
            assertThat(shrunk.steps()).as("%s", described).hasSizeLessThanOrEqualTo(6);
            assertThat(shrunk.steps()).anySatisfy(s -> assertThat(s).isInstanceOf(Step.Outside.class));
            // the read stays (the shrinker may make it a READV, a smaller opcode that reads the pipe as well)
            assertThat(shrunk.steps()).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Step.WriteIo.class,
                    w -> assertThat(w.target()).isEqualTo(OutsideWorld.PIPE_READ)));
            assertThat(runner.run(shrunk.steps(), null).divergence()).as("the shrunk steps still diverge")
                    .isNotNull();
        }
    }
}
