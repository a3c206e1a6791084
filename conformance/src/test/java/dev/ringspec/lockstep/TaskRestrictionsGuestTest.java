package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-task restrictions in lockstep against a 7.x kernel in QEMU (Debian's 7.2 unless
 * {@code -Dringspec.guest.kernel} says otherwise; skipped where QEMU or the kernel cannot be had): generated runs
 * that fork the run's task, set no_new_privs and register task restrictions agree with the model, and the C
 * reproducer of such a run, compiled statically and run in the guest, prints what the engine saw there (its fork is
 * a real fork(2)).
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class TaskRestrictionsGuestTest {
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

    /** Seeds from 1 whose runs take task steps, up to {@code wanted} of them. */
    private static List<LockstepRunner.Outcome> runsWithTaskSteps(LockstepRunner runner, int wanted, Coverage cov) {
        List<LockstepRunner.Outcome> out = new ArrayList<>();
        for (long seed = 1; seed <= 400 && out.size() < wanted; seed++) {
            LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, cov);
            if (o.steps().stream().anyMatch(s -> s instanceof Step.TaskStep)) {
                out.add(o);
            }
        }
        return out;
    }

    @Test
    void taskStepsAgreeWithTheModel() {
        assumeTrue(booted.caps.has(Feature.TASK_RESTRICTIONS), "the guest kernel has no per-task restrictions");
        Backend subject = Backend.kernel("guest kernel", booted.kernel::backend);
        Coverage cov = new Coverage();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(booted.caps), subject, catalogue)) {
            assertThat(runner.taskRestrictions()).isTrue();
            List<LockstepRunner.Outcome> runs = runsWithTaskSteps(runner, 20, cov);
            assertThat(runs).hasSize(20);
            for (LockstepRunner.Outcome o : runs) {
                // a run may end at a known kernel bug (the catalogue's), never at an unknown difference
                if (o.diverged()) {
                    assertThat(catalogue.match(o.divergence())).as("%s", o.divergence()).isPresent();
                }
            }
        }
        assertThat(cov.count(Coverage.Label.TASK_RESTRICTIONS_REGISTERED)).isPositive();
        assertThat(cov.count(Coverage.Label.TASK_RESTRICTIONS_REFUSED)).isPositive();
        assertThat(cov.count(Coverage.Label.RINGS_UNDER_TASK_RESTRICTIONS)).isPositive();
        assertThat(cov.count(Coverage.Label.TASKS_FORKED)).isPositive();
    }

    @Test
    void reproducerOfATaskRunPrintsWhatTheEngineSawInTheGuest() throws Exception {
        assumeTrue(booted.caps.has(Feature.TASK_RESTRICTIONS), "the guest kernel has no per-task restrictions");
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
        Backend subject = Backend.kernel("guest kernel", booted.kernel::backend);
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(booted.caps), subject)) {
            for (LockstepRunner.Outcome o : runsWithTaskSteps(runner, 3, null)) {
                List<Step> ops = o.steps();
                List<String> expected = runner.trace(ops, LockstepRunner.Role.SUBJECT);
                boolean[] refused = new boolean[ops.size()];
                for (int i = 0; i < refused.length; i++) {
                    refused[i] = expected.get(i).endsWith(": refused");
                }
                String source = CReproducer.generate("task steps", ops, refused);
                List<String> printed = booted.runStatically(source, "repro", dir);
                assertThat(printed).containsExactlyElementsOf(expected);
            }
        }
    }

    /**
     * The profile rule learned from 7.2.13's source (IO_RING_F_RESTRICT_INHERITED: a disabled ring obeys the
     * register restrictions it inherited from its task) is what the guest does: a model without it diverges from
     * the guest on a run that restricts the task and sets up an R_DISABLED ring, and the model with it does not.
     */
    @Test
    void aDisabledRingObeysItsInheritedRegisterRestrictionsInTheGuest() {
        assumeTrue(booted.caps.has(Feature.TASK_RESTRICTIONS), "the guest kernel has no per-task restrictions");
        KernelProfile profile = KernelProfile.forCapabilities(booted.caps);
        assumeTrue(profile.inheritedRestrictionsBindDisabledRing(), "the guest's profile has no such rule");
        KernelProfile without = profile.toBuilder().inheritedRestrictionsBindDisabledRing(false).build();
        Backend wrong = Backend.model("model without IO_RING_F_RESTRICT_INHERITED",
                m -> new ModelIoUring(without, m, Set.of()).withProcessDescriptors(ProcessFdTable.INSTANCE));
        Backend subject = Backend.kernel("guest kernel", booted.kernel::backend);
        LockstepRunner.Outcome found = null;
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(wrong, subject, catalogue)) {
            for (long seed = 1; seed <= 600 && found == null; seed++) {
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, null);
                // a catalogued kernel bug that ends a run is not the rule's difference
                if (o.diverged() && catalogue.match(o.divergence()).isEmpty()) {
                    found = o;
                }
            }
        }
        assertThat(found).as("a divergence from the model without the rule").isNotNull();
        assertThat(found.steps()).anyMatch(s -> s instanceof Step.RegisterTaskRestrictions);
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(booted.caps), subject,
                DivergenceCatalogue.load())) {
            assertThat(runner.run(found.steps(), null).divergence()).isNull();
        }
    }
}
