package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The emulator against this kernel in lockstep with real I/O: each side in an outside world of its own. */
@Tag("kernel")
class WorldLockstepTest {

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    static Backend emulator() {
        KernelProfile profile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        return EmulatorBackendProvider.backend(profile).withOptions("seed=1");
    }

    /**
     * {@code steps}, {@code runs} times against this kernel with real I/O, each without a divergence; the kernel's
     * ring after the last run. The choices each run took are added to {@code taken}.
     */
    static RingObservation agreesWithTheKernel(List<Step> steps, int runs, Map<String, Long> taken) {
        RingObservation[] kernel = new RingObservation[1];
        try (LockstepRunner runner = new LockstepRunner(emulator(), KernelTests.kernel("kernel")).withWorld()) {
            for (int i = 0; i < runs; i++) {
                Coverage coverage = new Coverage();
                LockstepRunner.Outcome o = runner.run(steps, coverage, (n, s, ref, sub) -> kernel[0] = sub);
                assertThat(o.divergence()).as("run %d", i).isNull();
                coverage.choices().forEach((k, v) -> taken.merge(k, v, Long::sum));
            }
        }
        return kernel[0];
    }

    /** The CQEs between the CQ's head and tail, in order. */
    static List<Cqe> visible(RingObservation o) {
        List<Cqe> out = new java.util.ArrayList<>();
        for (int c = o.cqHead(); c != o.cqTail(); c++) {
            out.add(o.cqSlots().get(c & (o.cqEntries() - 1)));
        }
        return out;
    }

    /** Whether both sides show the same CQEs, in another order (a report's class only: never a pass). */
    static boolean sameCqesInAnotherOrder(Divergence d) {
        var ref = new java.util.ArrayList<>(Divergence.visibleCqes(d.reference()).stream().map(Object::toString)
                .toList());
        var sub = new java.util.ArrayList<>(Divergence.visibleCqes(d.subject()).stream().map(Object::toString)
                .toList());
        if (ref.equals(sub)) {
            return false;
        }
        java.util.Collections.sort(ref);
        java.util.Collections.sort(sub);
        return ref.equals(sub);
    }

    private static void trace(int n, Step step, RingObservation reference, RingObservation subject) {
        System.out.println("  step " + n + ": " + step.describe());
        System.out.flush();
    }

    @Test
    void generatedRunsWithRealIo() {
        Coverage coverage = new Coverage();
        long steps = 0;
        long start = System.nanoTime();
        int diverged = 0;
        int catalogued = 0;
        int reordered = 0;
        long world = 0;
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(emulator(), KernelTests.kernel("kernel"),
                catalogue).withWorld()) {
            // world.runs seeds from world.first: -Dworld.runs=1 -Dworld.first=377 runs seed 377 alone; each
            // world.repeat times in turn (a timing seed's count in one build: -Dworld.repeat=10)
            long first = Long.getLong("world.first", 1);
            long repeat = Long.getLong("world.repeat", 1);
            for (long run = 0; run < Long.getLong("world.runs", 10) * repeat; run++) {
                long seed = first + run / repeat;
                if (Boolean.getBoolean("world.census")) {
                    System.out.println("census before seed " + seed + ": " + WorldCensus.line());
                }
                long t0 = System.nanoTime();
                // -Dworld.trace=true prints each step as it is done: a run that hangs shows the step it hangs after
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, coverage,
                        Boolean.getBoolean("world.trace") ? WorldLockstepTest::trace : null);
                steps += o.steps().size();
                world += o.steps().stream().filter(st -> st instanceof Step.Outside || st instanceof Step.WriteIo)
                        .count();
                System.out.printf("seed %d: %d steps, %d ms%s%n", seed, o.steps().size(),
                        (System.nanoTime() - t0) / 1_000_000, o.diverged() ? ": " + o.divergence().field()
                                + " at " + o.divergence().step() + "\n" + String.join("\n",
                                        o.steps().stream().map(Step::describe).toList()) + "\n"
                                + o.divergence() : "");
                diverged += o.diverged() ? 1 : 0;
                if (o.diverged() && catalogue.match(o.divergence()).isPresent()) {
                    catalogued++;
                    System.out.println("  catalogued: " + catalogue.match(o.divergence()).get().id());
                } else if (o.diverged()) {
                    boolean order = sameCqesInAnotherOrder(o.divergence());
                    reordered += order ? 1 : 0;
                    System.out.println("  new: " + (order ? "the same CQEs in another order" : "other"));
                }
            }
            System.out.println(runner.threadTeardown());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("emulator vs kernel with real I/O: %d steps in %.2f s (%.0f steps/s), %d diverged, %d of "
                + "them catalogued, %d new with the same CQEs in another order%n%s", steps, seconds, steps / seconds,
                diverged, catalogued, reordered, coverage.table().lines()
                        .filter(l -> l.contains("refused") || l.contains("choice")).reduce("", (a, b) -> a + b + "\n"));
        // the runs go well past their first steps, and a good share of what they do is real I/O
        assertThat(steps).isGreaterThan(Long.getLong("world.runs", 10) * 40);
        if (Long.getLong("world.runs", 10) >= 10) {
            // a share, over enough runs: a single seed may draw few (seed 377: 5 of 71 steps)
            assertThat(world).as("world and real-I/O steps").isGreaterThan(steps / 10);
        }
    }
}
