package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The task's task work among io-wq workers' CQEs, emulator against this kernel with real I/O (world lockstep seed
 * 448, shrunk): a STATX of the directory linked to a LINK_TIMEOUT of the world's 1,000 s, and an FSYNC of the data
 * file, in one submission (both io-wq: io_statx_prep and io_fsync_prep set REQ_F_FORCE_ASYNC). The STATX's worker
 * posts its CQE and queues the timeout's cancellation as task work of the task ({@code io_wq_free_work} ->
 * {@code io_disarm_next}), which the task runs on its way back to user space while the FSYNC's worker waits for the
 * disk: the kernel posts the -ECANCELED before the FSYNC's CQE. The emulator handed both workers' completions to one
 * run of the task's task work and ran the cancellation after them
 * ({@link dev.ringspec.model.Choice#TASK_WORK_BETWEEN_IOWQ_POSTS}).
 */
@Tag("kernel")
class WorldIoWqTaskWorkTest {
    private static final int RUNS = 6;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    @Test
    void aLinkedTimeoutsCancellationComesBeforeASlowerWorkersCqe() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_STATX, IOSQE_IO_LINK, 0, OutsideWorld.DIRECTORY, 0, 0x7ff, 0, 0, 0, 0,
                        1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.WriteIo(2, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 3),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(3),
                new Step.Enter(3, 0, 0));
        Map<String, Long> taken = new TreeMap<>();
        List<String> posted = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken))
                .stream().map(c -> c.userData() + ":" + c.res()).toList();
        assertThat(posted).containsExactlyInAnyOrder("1:0", "2:" + -ECANCELED, "3:0");
        System.out.println("choices taken against the kernel: " + taken + ", last run " + posted);
    }
}
