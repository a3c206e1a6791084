package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Mutant;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BPF filters and the opcodes they see in lockstep against a 7.x kernel in QEMU (Debian's 7.2 unless
 * {@code -Dringspec.guest.kernel} says otherwise; skipped where QEMU or the kernel cannot be had): generated runs
 * with filters on rings and tasks agree with the model, the C reproducer of such a run prints in the guest what
 * the engine saw there, and every filter mutant of the model is caught there and shrunk to at most 8 steps.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class FilterGuestTest {
    private static BootedGuest booted;

    @TempDir
    Path dir;

    @BeforeAll
    static void boot() throws Exception {
        booted = BootedGuest.boot();
    }

    @AfterAll
    static void stop() {
        if (booted != null) {
            booted.close();
        }
    }

    private static Backend guest() {
        return Backend.kernel("guest kernel", booted.kernel::backend);
    }

    /** Seeds from 1 whose runs register filters, up to {@code wanted} of them. */
    private static List<LockstepRunner.Outcome> runsWithFilters(LockstepRunner runner, int wanted, Coverage cov) {
        List<LockstepRunner.Outcome> out = new ArrayList<>();
        for (long seed = 1; seed <= 400 && out.size() < wanted; seed++) {
            LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, cov);
            if (o.steps().stream().anyMatch(s -> s.effective() instanceof Step.BpfFilterArg)) {
                out.add(o);
            }
        }
        return out;
    }

    @Test
    void filterRunsAgreeWithTheModel() {
        assumeTrue(booted.caps.has(Feature.BPF_FILTER), "the guest kernel has no BPF filters");
        Coverage cov = new Coverage();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(booted.caps), guest(), catalogue)) {
            assertThat(runner.bpfFilters()).isTrue();
            List<LockstepRunner.Outcome> runs = runsWithFilters(runner, 40, cov);
            assertThat(runs).hasSize(40);
            for (LockstepRunner.Outcome o : runs) {
                if (o.diverged()) {
                    assertThat(catalogue.match(o.divergence())).as("%s", o.divergence()).isPresent();
                }
            }
        }
        assertThat(cov.filterCount(FilterCoverage.RING_FILTERS)).isPositive();
        assertThat(cov.filterCount(FilterCoverage.TASK_FILTERS)).isPositive();
        assertThat(cov.filterCount(FilterCoverage.DENIES)).isPositive();
        assertThat(cov.filterCount(FilterCoverage.RINGS_UNDER_TASK_FILTERS)).isPositive();
        assertThat(cov.refusals().keySet()).noneMatch(r -> r.startsWith("outside the model's world"));
    }

    @Test
    void reproducerOfAFilterRunPrintsWhatTheEngineSawInTheGuest() throws Exception {
        assumeTrue(booted.caps.has(Feature.BPF_FILTER), "the guest kernel has no BPF filters");
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(booted.caps), guest())) {
            for (LockstepRunner.Outcome o : runsWithFilters(runner, 3, null)) {
                List<Step> ops = o.steps();
                List<String> expected = runner.trace(ops, LockstepRunner.Role.SUBJECT);
                boolean[] refused = new boolean[ops.size()];
                for (int i = 0; i < refused.length; i++) {
                    refused[i] = expected.get(i).endsWith(": refused");
                }
                String source = CReproducer.generate("filter steps", ops, refused);
                assertThat(booted.runStatically(source, "repro", dir)).containsExactlyElementsOf(expected);
            }
        }
    }

    /** The model's filter mutants ({@code BPF_*}), each caught against the guest and shrunk to at most 8 steps. */
    @Test
    void everyFilterMutantIsCaughtOnTheGuestAndShrunk() {
        assumeTrue(booted.caps.has(Feature.BPF_FILTER), "the guest kernel has no BPF filters");
        KernelProfile profile = KernelProfile.forCapabilities(booted.caps);
        List<Mutant> mutants = Arrays.stream(Mutant.values()).filter(m -> m.name().startsWith("BPF_")).toList();
        assertThat(mutants).hasSizeGreaterThanOrEqualTo(8);
        MutationSelfCheck<Mutant> selfCheck = new MutationSelfCheck<>(
                set -> Backend.model("model, profile " + profile.version() + ", mutants " + set,
                        memory -> new ModelIoUring(profile, memory, set).withProcessDescriptors(ProcessFdTable.INSTANCE)),
                guest(), LockstepCheck.Config.defaults().withRuns(1000));
        List<MutationSelfCheck.MutantResult> results = selfCheck.run(mutants, m -> m.notApplicableTo(profile),
                new PrintWriter(System.out, true));
        assertThat(results).allSatisfy(r -> assertThat(r.notApplicable()).as(r.mutant()).isNull());
        MutationSelfCheck.assertAllCaught(results);
        assertThat(results).allSatisfy(r -> assertThat(r.shrunkSteps()).as(r.mutant())
                .isBetween(1, MutationSelfCheck.MAX_SHRUNK_STEPS));
    }
}
