package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * Per-task restrictions (7.0+): {@code io_uring_register(-1, RESTRICTIONS, task_restriction, 1)} once per task,
 * copied into every ring the task creates afterwards (ring-semantics.md A6 "Per-task restrictions", Part B row
 * 17, liburing-notes 6.4).
 *
 * <p>They cannot be removed, so each scenario registers them on a fresh platform thread (its own task) that
 * creates its rings itself; the test JVM's other threads stay unrestricted (in a guest, each host thread is served by
 * a task of its own). The kernel wants no_new_privs (or CAP_SYS_ADMIN); the thread sets it for itself, since it is
 * a per-task attribute.
 */
@Tag("kernel")
class TaskRestrictionsTest {

    private static MemorySegment taskRestriction(Backend backend, int flags, RestrictionsTest.Rule... rules) {
        MemorySegment arg = backend.memory().allocate(
                IoUringTaskRestriction.SIZE_BYTES + rules.length * IoUringRestriction.SIZE_BYTES, 8);
        arg.set(JAVA_SHORT, IoUringTaskRestriction.FLAGS_OFFSET, (short) flags);
        arg.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) rules.length);
        for (int i = 0; i < rules.length; i++) {
            long at = IoUringTaskRestriction.RESTRICTIONS_OFFSET + i * IoUringRestriction.SIZE_BYTES;
            arg.set(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET, (short) rules[i].type());
            arg.set(JAVA_BYTE, at + IoUringRestriction.SQE_OP_OFFSET, (byte) rules[i].value());
        }
        return arg;
    }

    private static void noNewPrivs(Backend backend) {
        assertThat(backend.process().setNoNewPrivs()).as("no_new_privs on " + backend.name()).isZero();
    }

    /** Runs {@code body} on its own platform thread and rethrows what it threw. */
    private static void onOwnTask(Runnable body) {
        OnThread.call(() -> {
            body.run();
            return 0;
        });
    }

    // A6: nr_args must be 1; flags and resv must be 0 -> -EINVAL, and nothing is registered.
    @Scenario
    void malformedTaskRestrictionsAreEinval(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        RestrictionsTest.Rule readv = new RestrictionsTest.Rule(IORING_RESTRICTION_SQE_OP, IORING_OP_READV);
        onOwnTask(() -> {
            noNewPrivs(backend);
            var kernel = backend.kernel();
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                    taskRestriction(backend, 0, readv), 2)).isEqualTo(-EINVAL);
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                    taskRestriction(backend, 1, readv), 1)).isEqualTo(-EINVAL);
            MemorySegment resv = taskRestriction(backend, 0, readv);
            resv.set(JAVA_INT, IoUringTaskRestriction.RESV_OFFSET, 1);
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, resv, 1)).isEqualTo(-EINVAL);
            try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                r.nop(1);
                assertThat(r.submit()).isEqualTo(1);
                assertThat(r.reap().res()).as("unrestricted: the NOP a READV-only set denies completes").isZero();
            }
        });
    }

    // A6: the set applies to rings the task creates afterwards, without R_DISABLED; a second registration -> -EPERM.
    @Scenario
    void taskRestrictionsApplyToEveryRingTheTaskCreatesLater(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        RestrictionsTest.Rule nop = new RestrictionsTest.Rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
        RestrictionsTest.Rule probe = new RestrictionsTest.Rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE);
        onOwnTask(() -> {
            noNewPrivs(backend);
            var kernel = backend.kernel();
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                    taskRestriction(backend, 0, nop, probe), 1)).isZero();
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                    taskRestriction(backend, 0, nop), 1)).isEqualTo(-EPERM);
            try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                r.nop(1);
                r.sqe(IORING_OP_READV, 2);
                assertThat(r.submit()).isEqualTo(2);
                assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, -EACCES, 0, 0, 0));
                MemorySegment probeArg = backend.memory().allocate(
                        IoUringProbe.SIZE_BYTES + 4 * IoUringProbeOp.SIZE_BYTES, 8);
                assertThat(r.register(IORING_REGISTER_PROBE, probeArg, 4)).isZero();
                assertThat(r.register(IORING_REGISTER_RESTRICTIONS, taskRestriction(backend, 0, nop), 1))
                        .isEqualTo(-EACCES);
            }
        });
    }

    // A6 (tctx.c __io_uring_fork, from copy_process): a child task has its parent's set, so it cannot register
    // its own (-EPERM) and its rings are restricted; a SINGLE_ISSUER ring of the parent refuses the child.
    @Scenario
    void aForkedTaskInheritsItsParentsRestrictions(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        RestrictionsTest.Rule readv = new RestrictionsTest.Rule(IORING_RESTRICTION_SQE_OP, IORING_OP_READV);
        RestrictionsTest.Rule nop = new RestrictionsTest.Rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
        onOwnTask(() -> {
            var kernel = backend.kernel();
            try (ScenarioRing parentsRing = ScenarioRing.open(backend, 4, IORING_SETUP_SINGLE_ISSUER)) {
                assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                        taskRestriction(backend, 0, readv), 1)).isZero();
                assertThat(kernel.forkTask(true)).isZero();
                assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                        taskRestriction(backend, 0, nop), 1)).as("inherited, so a second registration")
                        .isEqualTo(-EPERM);
                parentsRing.nop(1);
                assertThat(parentsRing.submit()).as("the parent's SINGLE_ISSUER ring").isEqualTo(-EEXIST);
                try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                    r.nop(2);
                    assertThat(r.submit()).isEqualTo(1);
                    assertThat(r.reap()).isEqualTo(new Cqe(2, -EACCES, 0, 0, 0));
                }
            } finally {
                assertThat(kernel.freshTask()).isZero();
            }
        });
    }
}
