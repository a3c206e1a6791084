package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelBackendProvider;
import dev.ringspec.seam.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The task steps' forms (JSON, Java, C, shrinking) and the generator's use of them between two models. */
class TaskStepsTest {

    @Test
    void taskStepsSurviveJsonAndHaveTheirCForm() {
        List<Step> steps = List.of(new Step.ForkTask(true), new Step.SetNoNewPrivs(),
                new Step.RegisterTaskRestrictions(1, 0, 0, 2, 0x0100 | 0x0008 << 16), new Step.Setup(4, 0, 0));
        ReplayCase c = new ReplayCase(7, "ref", "sub", "7.2.13", "RegisterTaskRestrictions:Result", 2, "0", "-1",
                steps);
        String json = ReplayStore.toJson(c);
        assertThat(json).contains("\"op\" : \"forkTask\"", "\"op\" : \"registerTaskRestrictions\"");
        assertThat(ReplayStore.fromJson(json)).isEqualTo(c);
        assertThat(StepForms.c(steps.get(0))).isEqualTo("step_fork_task(1)");
        assertThat(StepForms.c(steps.get(1))).isEqualTo("step_set_no_new_privs()");
        assertThat(StepForms.c(steps.get(2))).isEqualTo("step_register_task_restrictions(1, 0x0u, 0, 2, 0x80100u)");
        assertThat(CReproducer.runtime()).contains("static int step_fork_task(int drop_cap_sys_admin)",
                "static int step_set_no_new_privs(void)", "static int step_register_task_restrictions(");
        assertThat(steps.get(2).describe()).isEqualTo("registerTaskRestrictions(nr_args 1, nr_res 2: [sqe_op 0, "
                + "register_op 8])");
    }

    @Test
    void entriesComeFromThePatternLowHalfFirst() {
        Step.RegisterTaskRestrictions t = new Step.RegisterTaskRestrictions(1, 0, 0, 3, 0x0302 << 16 | 0x0141);
        assertThat(List.of(t.type(0), t.value(0), t.type(1), t.value(1), t.type(2), t.value(2)))
                .containsExactly(1, 0x41, 3, 2, 0, 0);
    }

    @Test
    void shrinkingSimplifiesTheArguments() {
        assertThat(Shrinker.simplifications(new Step.ForkTask(true))).containsExactly(new Step.ForkTask(false));
        assertThat(Shrinker.simplifications(new Step.RegisterTaskRestrictions(1, 0, 0, 0, 0x100)))
                .contains(new Step.RegisterTaskRestrictions(0, 0, 0, 0, 0x100),
                        new Step.RegisterTaskRestrictions(1, 0, 0, 0, 0));
    }

    /**
     * 7.2.13 and 7.1.8 differ in one task rule (a disabled ring created by a restricted task obeys its register
     * restrictions from 7.2.13): the generator reaches it, so lockstep between 7.2 and 7.2 without that rule
     * diverges on it.
     */
    @Test
    void generatedTaskRunsReachTheInheritedRestrictionsOfADisabledRing() {
        Backend older = ModelBackendProvider.backend(KernelProfile.LINUX_7_2.toBuilder()
                .inheritedRestrictionsBindDisabledRing(false).build());
        Backend newer = ModelBackendProvider.backend(KernelProfile.LINUX_7_2);
        Coverage cov = new Coverage();
        int taskRuns = 0;
        LockstepRunner.Outcome found = null;
        try (LockstepRunner runner = new LockstepRunner(older, newer)) {
            assertThat(runner.taskRestrictions()).isTrue();
            for (long seed = 1; seed <= 3000 && found == null; seed++) {
                LockstepRunner.Outcome o = runner.generate(new Generator(seed), 200, cov);
                if (o.steps().stream().anyMatch(s -> s instanceof Step.TaskStep)) {
                    taskRuns++;
                }
                if (o.diverged()) {
                    found = o;
                }
            }
        }
        assertThat(taskRuns).isPositive();
        assertThat(found).as("a divergence between 7.1 and 7.2").isNotNull();
        assertThat(found.steps()).anyMatch(s -> s instanceof Step.RegisterTaskRestrictions);
        assertThat(found.steps()).anyMatch(s -> s instanceof Step.Setup setup && (setup.flags() & 0x40) != 0);
        assertThat(cov.count(Coverage.Label.RINGS_UNDER_TASK_RESTRICTIONS)).isPositive();
    }

    @Test
    void noTaskStepsWhereABackendLacksTheFeature() {
        Backend old = ModelBackendProvider.backend(KernelProfile.LINUX_6_18);
        try (LockstepRunner runner = new LockstepRunner(old, old)) {
            assertThat(runner.taskRestrictions()).isFalse();
            for (long seed = 1; seed <= 50; seed++) {
                assertThat(runner.generate(new Generator(seed), 200, null).steps())
                        .noneMatch(s -> s instanceof Step.TaskStep);
            }
        }
    }
}
