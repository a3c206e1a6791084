package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Shrinks whose candidates may wait for ever. A side that blocks until a READ's descriptor is readable
 * ({@link FaultInjectingKernel.Fault#READS_SHORT_WAITING_FOR_DATA}) meets a candidate without the world's write that
 * fed the read: the candidate is cut off at the shrinker's limit and counted as not reproducing, and the runner is
 * usable afterwards with no descriptor left open. And a world step that names a blocking end (a shrunk step's
 * target made smaller) answers -EAGAIN instead of blocking the run.
 */
@Tag("kernel")
class WorldShrinkTimeoutTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** The world writes 33 bytes into the pipe, then a READ of it is submitted (and completes inline). */
    private static List<Step> readFedByTheWorld() {
        return List.of(new Step.Setup(8, 0, 0),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 33),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 64, 0, 1, 0, 0,
                        FaultInjectingKernel.SHORT_READS),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0));
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCandidateThatWaitsForeverIsCutOffAndCountedAsNotReproducing() throws IOException {
        List<Step> steps = readFedByTheWorld();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(),
                KernelTests.faulty(FaultInjectingKernel.Fault.READS_SHORT_WAITING_FOR_DATA)).withWorld()) {
            LockstepRunner.Outcome o = runner.run(steps, null);
            assertThat(o.divergence()).as("the planted fault is seen").isNotNull();
            long descriptors = openDescriptors();
            Shrinker.Result shrunk = new Shrinker(runner, Duration.ofSeconds(100), Duration.ofSeconds(3))
                    .shrink(o.steps(), o.divergence());
            System.out.println("shrunk to " + shrunk.steps().stream().map(Step::describe).toList() + " in "
                    + shrunk.candidates() + " candidates, " + shrunk.candidatesOutOfTime() + " out of time");
            assertThat(shrunk.timedOut()).as("the shrink's budget").isFalse();
            assertThat(shrunk.candidatesOutOfTime()).as("candidates cut off").isPositive();
            // the world's write that the read needs stays (the shrinker may make it shorter)
            assertThat(shrunk.steps()).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Step.Outside.class,
                    w -> assertThat(w.target()).isEqualTo(OutsideWorld.PIPE_WRITE)));
            // the run thread is free again: the shrunk steps run and still diverge
            assertThat(runner.run(shrunk.steps(), null).divergence()).isNotNull();
            assertThat(openDescriptors()).as("descriptors open after the shrink").isEqualTo(descriptors);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWorldReadOfAnEmptyBlockingEndAnswersEagain() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.Outside(Step.Outside.READ, OutsideWorld.PIPE_READ, 8),
                new Step.Outside(Step.Outside.READ, OutsideWorld.SOCKET, 8),
                new Step.Outside(Step.Outside.READ, OutsideWorld.TCP_CLIENT, 8),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 5),
                new Step.Outside(Step.Outside.READ, OutsideWorld.PIPE_READ, 8));
        List<Integer> results = new java.util.ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            LockstepRunner.Outcome o = runner.run(steps, null, (i, s, ref, sub) -> results.add(ref.result()));
            assertThat(o.divergence()).isNull();
        }
        // the TCP client never connected: -ENOTCONN; the pipe, once written, gives its 5 bytes
        assertThat(results.subList(1, 6)).containsExactly(-11, -11, -107, 5, 5);
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
