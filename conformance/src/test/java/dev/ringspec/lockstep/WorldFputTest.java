package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENFILE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A file a request drops on the ring's task is released when the call returns (fs/file_table.c fput: ____fput is
 * the task's own task work), emulator against this kernel with real I/O (seed 103 of {@link WorldLockstepTest}): a
 * failed direct install, a CLOSE of a descriptor or of a direct descriptor; a register call that drops a table's file
 * releases it as that call returns.
 */
@Tag("kernel")
class WorldFputTest {
    private static final int RUNS = 3;
    private static final int FILE_INDEX_ALLOC = -1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * A TCP connection waits in the listener's backlog; one submission holds an ACCEPT of it into a direct slot the
     * ring has no table for (io_fixed_fd_install: -ENFILE, then fput of the accepted socket), a WRITE linked to a
     * LINK_TIMEOUT (its -ECANCELED is task work queued by the submission's flush) and a READ of the connection's
     * client end. The socket is released only on the task's way back from the call, after that task work, so the
     * READ finds no EOF, arms a poll, and completes 0 after the LINK_TIMEOUT's CQE. The emulator closed the accepted
     * socket at once: its READ found the EOF inline and posted 0 before the LINK_TIMEOUT.
     */
    @Test
    void aSocketADirectInstallDroppedIsReleasedAsTheCallReturns() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, FILE_INDEX_ALLOC, 1),
                new Step.WriteIo(1, IORING_OP_WRITE, IOSQE_IO_LINK, 0, OutsideWorld.SOCKET, 0, 22, 0, 0, 0, 0, 2),
                new Step.WriteIo(2, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 3),
                new Step.WriteIo(3, IORING_OP_READ, 0, 0, OutsideWorld.TCP_PEER, 0, 59, 0, 3, 0, 0, 4),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.WriteArray(2, 2),
                new Step.WriteArray(3, 3), new Step.PublishTail(4), new Step.Enter(4, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        var kernel = WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken);
        assertThat(WorldLockstepTest.visible(kernel).stream().map(c -> c.userData() + ":" + c.res()).toList())
                .containsExactly("1:" + -ENFILE, "2:22", "3:" + -ECANCELED, "4:0");
        System.out.println("choices taken against the kernel: " + taken);
    }
    /**
     * A CLOSE of the world's pipe's only write end and a READ of its read end in one submission on a DEFER_TASKRUN
     * ring: {@code io_close} ({@code filp_close}) drops the last reference, and {@code fput} leaves the release
     * ({@code pipe_release}: no writer, the readers woken) to the task's way back from the call, so the READ finds a
     * writer, no bytes, and arms a poll; the release wakes it and the next GETEVENTS posts its 0 (EOF). The emulator
     * closed the descriptor at once: its READ found the EOF inline and posted 0 in the submission's batch.
     */
    @Test
    void aCloseReleasesTheFileAsTheCallReturns() {
        List<Step> steps = new ArrayList<>(List.of(deferTaskrun()));
        steps.addAll(closeThenRead(0, new Step.WriteIo(0, IORING_OP_CLOSE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 0, 0, 0,
                0, 0, 1), OutsideWorld.PIPE_READ));
        assertThat(cqesAfterEachEnter(steps)).containsExactly("1:0", "1:0 2:0", "1:0", "1:0 2:0", "1:0", "1:0 2:0");
    }

    /**
     * As {@link #aCloseReleasesTheFileAsTheCallReturns}, the enter asking for events but waiting for none:
     * {@code io_cqring_wait} runs the ring's local work and then the task's ({@code io_run_task_work}: the release),
     * and returns, so the READ's wakeup stays queued for the next GETEVENTS. The emulator ran that wakeup's work in the
     * same enter, as if the submission had made it (world lockstep seed 2714: an ACCEPT's failed direct install).
     */
    @Test
    void aGeteventsEnterLeavesTheReleasesWakeupQueued() {
        List<Step> steps = new ArrayList<>(List.of(deferTaskrun(),
                new Step.WriteIo(0, IORING_OP_CLOSE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 59, 0, 3, 0, 0, 2),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.PublishTail(2),
                new Step.Enter(2, 0, IORING_ENTER_GETEVENTS), new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        assertThat(cqesAfterEachEnter(steps)).containsExactly("1:0", "1:0 2:0", "1:0", "1:0 2:0", "1:0", "1:0 2:0");
    }

    /**
     * As {@link #aCloseReleasesTheFileAsTheCallReturns}, the enter waiting for both CQEs: {@code io_cqring_wait}
     * runs the task's work ({@code io_run_task_work}) before it sleeps, so the release wakes the READ within the call
     * and the wait ends with its 0.
     */
    @Test
    void aWaitReleasesTheFileBeforeItSleeps() {
        List<Step> steps = new ArrayList<>(List.of(deferTaskrun(),
                new Step.WriteIo(0, IORING_OP_CLOSE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 59, 0, 3, 0, 0, 2),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.PublishTail(2),
                new Step.Enter(2, 2, IORING_ENTER_GETEVENTS)));
        assertThat(cqesAfterEachEnter(steps)).containsExactly("1:0 2:0", "1:0 2:0", "1:0 2:0");
    }

    /**
     * The same with a CLOSE of a direct descriptor that holds the only reference to a TCP connection's accepted end
     * and a READ of its client end: {@code io_fixed_fd_remove} puts the slot's node, whose {@code fput} waits for the
     * call's return as well, so the FIN comes after the submission.
     */
    @Test
    void aDirectCloseReleasesTheFileAsTheCallReturns() {
        List<Step> steps = acceptedIntoSlot0();
        steps.addAll(closeThenRead(1, new Step.WriteIo(1, IORING_OP_CLOSE, 0, 0, -1, 0, 0, 0, 0, 0, 1, 1),
                OutsideWorld.TCP_PEER));
        assertThat(cqesAfterEachEnter(steps)).containsExactly("3:0", "3:0 1:0", "3:0 1:0 2:0", "3:0", "3:0 1:0",
                "3:0 1:0 2:0", "3:0", "3:0 1:0", "3:0 1:0 2:0");
    }

    /**
     * A direct descriptor holds the only reference to a TCP connection's accepted end and a READ of its client end
     * waits in its poll; {@code update} (IORING_REGISTER_FILES_UPDATE emptying the slot, or IORING_UNREGISTER_FILES)
     * drops it, and the release comes as the register call returns, before any later step: the next GETEVENTS posts
     * the READ's 0. The emulator, which releases at once there, agrees.
     */
    private static List<String> aTableDropWakesAWaitingRead(Step update) {
        List<Step> steps = acceptedIntoSlot0();
        steps.addAll(List.of(
                new Step.WriteIo(1, IORING_OP_READ, 0, 0, OutsideWorld.TCP_PEER, 0, 59, 0, 3, 0, 0, 2),
                new Step.WriteArray(1, 1), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                update,
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        return cqesAfterEachEnter(steps);
    }

    @Test
    void aFilesUpdateThatEmptiesASlotReleasesItsFileAsTheRegisterCallReturns() {
        assertThat(aTableDropWakesAWaitingRead(new Step.UpdateFiles(0, 1, 0))).containsExactly("3:0", "3:0",
                "3:0 2:0", "3:0", "3:0", "3:0 2:0", "3:0", "3:0", "3:0 2:0");
    }

    @Test
    void unregisteringTheTableReleasesItsFilesAsTheRegisterCallReturns() {
        assertThat(aTableDropWakesAWaitingRead(new Step.UnregisterFiles())).containsExactly("3:0", "3:0",
                "3:0 2:0", "3:0", "3:0", "3:0 2:0", "3:0", "3:0", "3:0 2:0");
    }

    /**
     * {@code task_work_run} runs the task's list newest first, so a file dropped after the ring's task work was
     * queued is released before that work runs (world lockstep seed 330). On a ring without DEFER_TASKRUN one
     * submission holds a NOP with IORING_NOP_TW linked to another (ud 1, 2; the first queues the task's
     * {@code tctx->task_work}), a CLOSE of the world's pipe's only write end (ud 3; its {@code ____fput} queued after)
     * and a READ of the read end (ud 4; no EOF yet: it arms a poll). On the way back the release runs first and
     * wakes the READ, whose task work joins the NOP's in one {@code tctx_task_work} run: the NOP, the READ's 0, and
     * only then the linked NOP queued by that run's flush. Releasing after the ring's task work, the emulator posted
     * the linked NOP before the READ.
     */
    @Test
    void aFileDroppedAfterTheRingsTaskWorkWasQueuedIsReleasedBeforeItRuns() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.WriteSqe(0, IORING_OP_NOP, IOSQE_IO_LINK, 0, 0, 0, 0, 0, IORING_NOP_TW, 1, 0, 0),
                new Step.WriteSqe(1, IORING_OP_NOP, 0, 0, 0, 0, 0, 0, IORING_NOP_TW, 2, 0, 0),
                new Step.WriteIo(2, IORING_OP_CLOSE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 0, 0, 0, 0, 0, 3),
                new Step.WriteIo(3, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, 0, 59, 0, 3, 0, 0, 4),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.WriteArray(2, 2),
                new Step.WriteArray(3, 3), new Step.PublishTail(4), new Step.Enter(4, 0, 0));
        assertThat(cqesAfterEachEnter(steps)).containsExactly("3:0 1:0 4:0 2:0", "3:0 1:0 4:0 2:0",
                "3:0 1:0 4:0 2:0");
    }

    private static Step deferTaskrun() {
        return new Step.Setup(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0);
    }

    /**
     * A DEFER_TASKRUN ring with a sparse table of one slot, a TCP connection to the world's listener, and an ACCEPT
     * (ud 3, SQE 0) of it into slot 0, submitted: the accepted end's only reference is the slot's.
     */
    private static List<Step> acceptedIntoSlot0() {
        return new ArrayList<>(List.of(deferTaskrun(), new Step.RegisterFiles(1, true, 0),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, 1, 3),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
    }

    /**
     * {@code close} (ud 1, at SQE {@code position}) and a READ of {@code peer} (ud 2, the SQE after it) in one
     * submission, then a GETEVENTS enter.
     */
    private static List<Step> closeThenRead(int position, Step.WriteIo close, int peer) {
        return List.of(close,
                new Step.WriteIo(position + 1, IORING_OP_READ, 0, 0, peer, 0, 59, 0, 3, 0, 0, 2),
                new Step.WriteArray(position, position), new Step.WriteArray(position + 1, position + 1),
                new Step.PublishTail(2), new Step.Enter(2, 0, 0),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
    }

    /** {@code steps} {@value #RUNS} times without a divergence; the kernel's visible CQEs after each enter. */
    private static List<String> cqesAfterEachEnter(List<Step> steps) {
        List<String> seen = new ArrayList<>();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < RUNS; run++) {
                LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> {
                    if (s instanceof Step.Enter) {
                        seen.add(String.join(" ", WorldLockstepTest.visible(sub).stream()
                                .map(c -> c.userData() + ":" + c.res()).toList()));
                    }
                });
                assertThat(o.divergence()).as("run %d", run).isNull();
            }
        }
        return seen;
    }
}
