package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated C reproducer, compiled with gcc and run on this kernel, prints the values the engine observed on
 * the kernel side, step for step: for generated runs that touch every kind of step.
 */
@Tag("kernel")
class CReproducerTest {
    /** Generated runs compiled and compared; {@code -Dlockstep.cSeeds=N} for a longer check. */
    private static final int SEEDS = Integer.getInteger("lockstep.cSeeds", 12);

    @TempDir
    Path dir;

    @BeforeEach
    void needsIoUringAndGcc() throws Exception {
        KernelTests.assumeIoUring();
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
    }

    @Test
    void reproducerPrintsTheKernelValuesTheEngineObserved() throws Exception {
        try (LockstepRunner runner = new LockstepRunner(KernelTests.kernel("A"), KernelTests.kernel("B"))) {
            int checkedSteps = 0;
            java.util.Set<Class<?>> kinds = new java.util.HashSet<>();
            for (long seed = 1; seed <= SEEDS; seed++) {
                List<Step> ops = runner.generate(new Generator(seed), 300, null).steps();
                List<String> expected = runner.trace(ops, LockstepRunner.Role.SUBJECT);
                boolean[] refused = new boolean[ops.size()];
                for (int i = 0; i < refused.length; i++) {
                    refused[i] = expected.get(i).endsWith(": refused");
                    kinds.add(ops.get(i) instanceof Step.OnOtherThread o ? o.op().getClass() : ops.get(i).getClass());
                }
                List<String> printed = CPrograms.compileAndRun(CReproducer.generate("seed " + seed, ops, refused), "repro" + seed + ".c", dir);
                assertThat(printed).as("seed %d", seed).containsExactlyElementsOf(expected);
                checkedSteps += ops.size();
            }
            // A run ends early at a step the referee refuses, or where the referee model loses track of the kernel.
            assertThat(checkedSteps).isGreaterThan(SEEDS * 100);
            assertThat(kinds).contains(Step.Setup.class, Step.WriteSqe.class, Step.WriteArray.class, Step.PublishTail.class,
                    Step.Enter.class, Step.ConsumeCqes.class, Step.MoveCqHead.class, Step.RegisterFiles.class,
                    Step.Probe.class);
        }
    }
}
