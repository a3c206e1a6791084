package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringCqe;
import java.lang.foreign.MemorySegment;
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
    /** The user_data of the reads the fake side gets wrong: 1000 and up. */
    private static final long READS = 1000;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** This kernel, but every CQE of user_data {@value #READS} or more with res above 1 shows res - 1. */
    static final class OneByteShort implements IoUringKernel {
        private final NativeIoUring kernel = new NativeIoUring();
        private int seen;

        @Override
        public String description() {
            return "this kernel, reads one byte short";
        }

        @Override
        public String release() {
            return kernel.release();
        }

        @Override
        public SetupResult setup(int entries, MemorySegment params) {
            seen = 0;
            return kernel.setup(entries, params);
        }

        @Override
        public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
            int r = kernel.enter(ring, toSubmit, minComplete, flags, arg, argSize);
            perturb(ring);
            return r;
        }

        @Override
        public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
            return kernel.register(ring, opcode, arg, nrArgs);
        }

        @Override
        public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
            return kernel.registerWithoutRing(opcode, arg, nrArgs);
        }

        @Override
        public int close(Ring ring) {
            return kernel.close(ring);
        }

        private void perturb(Ring ring) {
            CqRingView cq = ring.cq();
            int tail = cq.loadAcquireTail();
            for (; seen != tail; seen++) {
                long at = cq.cqeOffset(seen & (ring.params().cqEntries() - 1));
                int res = cq.memory().get(JAVA_INT, at + IoUringCqe.RES_OFFSET);
                if (cq.memory().get(JAVA_LONG, at + IoUringCqe.USER_DATA_OFFSET) >= READS && res > 1) {
                    cq.memory().set(JAVA_INT, at + IoUringCqe.RES_OFFSET, res - 1);
                }
            }
        }
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
        try (LockstepRunner runner = new LockstepRunner(emulator, Backend.kernel("one byte short",
                memory -> new OneByteShort())).withWorld()) {
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
