package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * BPF filters of a task ({@code io_uring_register(-1, IORING_REGISTER_BPF_FILTER)}, 7.0+): they reach every ring
 * the task creates and every task it forks ({@code io_bpf_filter_clone}, shared copy-on-write); a ring's own filter
 * stays on that ring ({@code io_bpf_filter_cow}); a task filter sets {@code task->io_uring_restrict}, so per-task
 * restrictions are -EPERM after it (register.c, {@code io_register_restrictions_task}). Each scenario runs in a
 * task of its own, forked first and replaced after.
 */
@Tag("kernel")
class TaskBpfFilterTest {

    /** One-instruction program {@code RET #verdict} for NOP. */
    private static MemorySegment nopFilter(Backend backend, int verdict) {
        MemorySegment insn = backend.memory().allocate(8, 8);
        insn.set(JAVA_SHORT, 0, (short) 0x06);
        insn.set(JAVA_INT, 4, verdict);
        MemorySegment bpf = backend.memory().allocate(IoUringBpf.SIZE_BYTES, 8);
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) 1);
        long f = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.OPCODE_OFFSET, IORING_OP_NOP);
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, 1);
        bpf.set(JAVA_BYTE, f + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) 0);
        bpf.set(JAVA_LONG, f + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, insn.address());
        return bpf;
    }

    private static int taskFilter(IoUringKernel kernel, Backend backend, int verdict) {
        return kernel.registerWithoutRing(IORING_REGISTER_BPF_FILTER, nopFilter(backend, verdict), 1);
    }

    private static int nop(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            Cqe cqe = r.reap();
            return cqe.res();
        }
    }

    /** Runs {@code body} in a forked task of its own on a thread of its own; the thread gets a fresh task after. */
    private static void inOwnTask(Backend backend, Runnable body) {
        OnThread.call(() -> {
            IoUringKernel kernel = backend.kernel();
            assertThat(kernel.forkTask(false)).isZero();
            try {
                body.run();
            } finally {
                assertThat(kernel.freshTask()).isZero();
            }
            return 0;
        });
    }

    // A7, A6: the task's filter reaches its later rings and its children's; then per-task restrictions are -EPERM
    @Scenario
    void aTaskFilterReachesLaterRingsAndChildrenAndCountsAsRestrictions(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        inOwnTask(backend, () -> {
            IoUringKernel kernel = backend.kernel();
            assertThat(taskFilter(kernel, backend, 0)).isZero();
            assertThat(nop(backend)).isEqualTo(-EACCES);
            MemorySegment none = backend.memory().allocate(IoUringTaskRestriction.SIZE_BYTES, 8);
            assertThat(kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, none, 1)).isEqualTo(-EPERM);
            assertThat(kernel.forkTask(false)).isZero();
            assertThat(nop(backend)).as("a child's ring").isEqualTo(-EACCES);
        });
    }

    // A7: a ring's own filter is copied on write and stays on that ring; the task's next ring does not have it
    @Scenario
    void aRingsOwnFilterStaysOnThatRing(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        inOwnTask(backend, () -> {
            IoUringKernel kernel = backend.kernel();
            assertThat(taskFilter(kernel, backend, 1)).isZero();
            try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                assertThat(r.register(IORING_REGISTER_BPF_FILTER, nopFilter(backend, 0), 1)).isZero();
                r.nop(1);
                assertThat(r.submit()).isEqualTo(1);
                assertThat(r.reap().res()).isEqualTo(-EACCES);
            }
            assertThat(nop(backend)).isZero();
        });
    }

    /**
     * io_bpf_filter_clone: before 7.3 (read in 7.1.8 and 7.2.13) only the ring or child is marked copy-on-write, so
     * the task's next filter is added in place and reaches the ring it created before; 7.3 (7.3-rc7) marks the
     * task too, and the earlier ring keeps what it had.
     */
    @Scenario
    void aTasksLaterFilterReachesItsEarlierRingsOnlyBefore73(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        Scenarios.assumeFeature(backend, Feature.TASK_RESTRICTIONS);
        boolean sourceCow = atLeast73(backend.capabilities().release());
        inOwnTask(backend, () -> {
            IoUringKernel kernel = backend.kernel();
            assertThat(taskFilter(kernel, backend, 1)).isZero();
            try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
                assertThat(taskFilter(kernel, backend, 0)).isZero();
                r.nop(1);
                assertThat(r.submit()).isEqualTo(1);
                assertThat(r.reap().res()).as("release %s", backend.capabilities().release())
                        .isEqualTo(sourceCow ? 0 : -EACCES);
            }
        });
    }

    /** Whether a uname release ({@code "7.3-cloud-amd64"}, {@code "7.2.13+deb14"}, {@code "7.3.0-model"}) is 7.3+. */
    private static boolean atLeast73(String release) {
        String[] parts = release.split("[^0-9]+", 3);
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        return major > 7 || major == 7 && minor >= 3;
    }
}
