package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.ops.EventFd;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.seam.Cqe;
import dev.ringspec.nativerunner.NativeIoUring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The world's eventfd registered with a DEFER_TASKRUN ring, emulator against this kernel: a POLL_ADD on the eventfd
 * is woken by the ring's own signal (a NOP's commit), and the task work that wakeup queues signals again from inside
 * the eventfd's wakeup, which the kernel defers to an RCU callback (io_uring/eventfd.c). The first time, the deferred
 * signal lands on both sides and the application reads 3 (the NOP's commit, the deferred signal, the poll's commit).
 * The second time 6.12 to 7.0 drop it (catalogue entry eventfd-deferred-signal-lost-after-the-first): the kernel's
 * count is 2 where the emulator's, following 6.1 and 7.1 on, is 3.
 */
@Tag("kernel")
class WorldEventfdTest {
    private static final int POLLIN = 0x1;
    static final String ENTRY = "eventfd-deferred-signal-lost-after-the-first";

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** Two rounds of POLL_ADD on the eventfd, a NOP whose commit wakes it, the clock, the events, the count read. */
    static List<Step> twoDeferredSignals() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN, 0), new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD,
                0)));
        for (int round = 0; round < 2; round++) {
            int slot = 2 * round;
            steps.addAll(List.of(
                    new Step.WriteIo(slot, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.EVENTFD, 0, 0, POLLIN, 0, 0, 0,
                            slot + 1),
                    new Step.WriteArray(slot, slot),
                    new Step.PublishTail(1),
                    new Step.Enter(1, 0, 0),
                    new Step.WriteIo(slot + 1, IORING_OP_NOP, 0, 0, -1, 0, 0, 0, 0, 0, 0, slot + 2),
                    new Step.WriteArray(slot + 1, slot + 1),
                    new Step.PublishTail(1),
                    new Step.Enter(1, 0, 0),
                    WorldSteps.advanceClock(),
                    new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                    new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8)));
        }
        return steps;
    }

    /**
     * The catalogue entry's replay is these steps (written with {@code -Dringspec.writeReproducers=true}, as the
     * reproducers are; CatalogueReproducersTest replays it and runs its C reproducer).
     */
    @Test
    void theCatalogueEntrysReplayIsTheseSteps() throws Exception {
        DivergenceCatalogue.Entry entry = DivergenceCatalogue.load().entries().stream()
                .filter(e -> e.id().equals(ENTRY)).findFirst().orElseThrow();
        Path file = Path.of("src/main/resources/replays").resolve(entry.replay());
        if (Boolean.getBoolean("ringspec.writeReproducers")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, ReplayStore.toJson(new ReplayCase(0, "emulator, profile 6.18", "kernel",
                    "6.18.44-fc-v669", "Outside:Result", twoDeferredSignals().size() - 1, "3", "2",
                    twoDeferredSignals())) + "\n");
        }
        assertThat(ReplayStore.read(file).steps()).isEqualTo(twoDeferredSignals());
    }

    @Test
    void aDeferredSignalAfterTheRingsFirstIsLostWhereTheKernelKeepsItsPendingBit() {
        KernelProfile here = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        List<Step> steps = twoDeferredSignals();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"),
                catalogue).withWorld()) {
            for (int run = 0; run < 3; run++) {
                LockstepRunner.Outcome o = runner.run(steps, new Coverage());
                if (!EventFd.keepsSignalBit(here.version())) {
                    assertThat(o.divergence()).as("run %d on %s", run, here.version()).isNull();
                    continue;
                }
                assertThat(o.divergence()).as("run %d: the second round's count", run).isNotNull();
                assertThat(o.divergence().step()).as("run %d", run).isEqualTo(steps.size() - 1);
                assertThat(o.divergence().reference().result()).isEqualTo(3);
                assertThat(o.divergence().subject().result()).isEqualTo(2);
                assertThat(catalogue.match(o.divergence())).hasValueSatisfying(e -> assertThat(e.id())
                        .isEqualTo(ENTRY));
            }
        }
    }

    /**
     * An ASYNC eventfd (IORING_REGISTER_EVENTFD_ASYNC) is signalled only by a commit on an io-wq worker
     * ({@code io_eventfd_trigger}: {@code io_wq_current_is_worker()}). An io-wq NOP completed before the
     * registration signals nothing later: the inline NOP after it leaves the count 0 (the read finds none,
     * -EAGAIN), where the emulator counted the earlier completion at its next commit (seed 38 of the world
     * lockstep). An io-wq NOP after the registration signals once on both sides.
     */
    @Test
    void anIoWqCompletionBeforeAnAsyncRegistrationSignalsNothingLater() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                Step.WriteSqe.nop(0, IOSQE_ASYNC, 0, 0, 1), new Step.WriteArray(0, 0), new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 1),
                Step.WriteSqe.nop(1, 0, 0, 0, 2), new Step.WriteArray(1, 1), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                WorldSteps.advanceClock(),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8),
                Step.WriteSqe.nop(2, IOSQE_ASYNC, 0, 0, 3), new Step.WriteArray(2, 2), new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                WorldSteps.advanceClock(),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8));
        List<Integer> reads = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                reads.add(sub.result());
            }
        });
        // the kernel's own counts: none after the inline NOP, one after the io-wq NOP
        assertThat(reads).containsExactly(-11, 1, -11, 1, -11, 1);
    }

    /**
     * An OPENAT with O_CREAT always goes to io-wq ({@code io_openat2} answers -EAGAIN without blocking), and its
     * worker finishes it there, a direct descriptor's install too ({@code io_fixed_fd_install} under
     * {@code io_ring_submit_lock}): its completion signals an ASYNC eventfd, whether the install fails (-ENXIO, no
     * file table) or not. The emulator finished a direct open on the ring's task and did not count it as io-wq's
     * (world lockstep seed 353: 1 against the kernel's 2).
     */
    @Test
    void aDirectOpenFinishedByItsWorkerSignalsAnAsyncEventfd() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 1)));
        for (int round = 0; round < 2; round++) {
            if (round == 1) {
                steps.add(new Step.RegisterFiles(4, true, 0));
            }
            // O_RDWR | O_CREAT, mode 0644, path f0, into direct slot 0
            steps.addAll(List.of(new Step.WriteIo(round, IORING_OP_OPENAT, 0, 0, OutsideWorld.DIRECTORY, 0, 420,
                            0x42, 1, 0, 1, round + 1),
                    new Step.WriteArray(round, round), new Step.PublishTail(1),
                    new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                    WorldSteps.advanceClock(),
                    new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8)));
        }
        List<Integer> reads = new ArrayList<>();
        List<Integer> results = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                reads.add(sub.result());
            }
            if (s instanceof Step.Enter) {
                results.add(sub.cqSlots().get(sub.cqTail() - 1 & sub.cqEntries() - 1).res());
            }
        });
        // the kernel's: one signal for each worker's commit; -ENXIO without a table, slot 0 (0) with one
        assertThat(reads).containsExactly(1, 1, 1, 1, 1, 1);
        assertThat(results).containsExactly(-6, 0, -6, 0, -6, 0);
    }

    /**
     * On a DEFER_TASKRUN ring an io-wq worker hands its completion to the ring's task as local task work
     * ({@code io_req_complete_post}: {@code ctx->lockless_cq}), and {@code io_req_local_work_add} on the worker signals
     * the eventfd when the list was empty ({@code io_eventfd_signal(ctx, false)}), an ASYNC one too
     * ({@code io_eventfd_trigger}: {@code io_wq_current_is_worker()}): the count is 1 before the task has run the work
     * or posted a CQE. The task's commit of that CQE later is not on a worker and signals an ASYNC eventfd no more.
     * The emulator's deterministic io-wq hands the completion over on the ring's task, where the ASYNC eventfd did
     * not count the work's queueing as a worker's, and counted the task's commit instead (world lockstep seed 1231:
     * a buffered WRITE of the file, on io-wq, read -EAGAIN against the kernel's 1 before the next GETEVENTS).
     */
    @Test
    void anIoWqCompletionSignalsAnAsyncEventfdWhenItsTaskWorkIsQueued() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 1),
                Step.WriteSqe.nop(0, IOSQE_ASYNC, 0, 0, 1), new Step.WriteArray(0, 0), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                WorldSteps.advanceClock(),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS),
                WorldSteps.advanceClock(),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8));
        List<Integer> reads = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                reads.add(sub.result());
            }
        });
        // the kernel's, three runs: 1 once the worker queued the work, nothing for the task's commit after
        assertThat(reads).containsExactly(1, -11, 1, -11, 1, -11);
    }

    /**
     * On a ring without DEFER_TASKRUN, an io-wq worker posts its request's CQE itself ({@code io_req_complete_post}:
     * fill, commit and {@code io_eventfd_flush_signal} under the completion lock), so each io-wq completion is a
     * commit of its own and signals the eventfd, a plain one or an ASYNC one: two IOSQE_ASYNC NOPs and an inline NOP
     * count 3 (2 for an ASYNC eventfd); an OPENAT with O_CREAT (io-wq; -ENXIO, no file table) and a buffered WRITEV
     * of the file (io-wq after the inline -EAGAIN) count 2. The emulator hands io-wq's completions back to the ring's
     * task, where one task work run committed both, and signalled once (world lockstep seed 1016: 2 against 3).
     */
    @Test
    void eachIoWqCompletionIsACommitOfItsOwn() {
        List<Integer> reads = new ArrayList<>();
        for (int async = 0; async < 2; async++) {
            List<Step> nops = new ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                    new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, async),
                    Step.WriteSqe.nop(0, IOSQE_ASYNC, 0, 0, 1), new Step.WriteArray(0, 0),
                    Step.WriteSqe.nop(1, IOSQE_ASYNC, 0, 0, 2), new Step.WriteArray(1, 1),
                    Step.WriteSqe.nop(2, 0, 0, 0, 3), new Step.WriteArray(2, 2),
                    new Step.PublishTail(3), new Step.Enter(3, 0, 0)));
            List<Step> openAndWrite = new ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                    new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, async),
                    // O_RDWR | O_CREAT, mode 0644, into direct slot 2 of no table
                    new Step.WriteIo(0, IORING_OP_OPENAT, 0, 0, OutsideWorld.DIRECTORY, 0, 420, 0x42, 1, 0, 3, 1),
                    new Step.WriteArray(0, 0),
                    new Step.WriteIo(1, IORING_OP_WRITEV, 0, 0, OutsideWorld.FILE, 1024, 2976, 0, 3, 0, 0, 2),
                    new Step.WriteArray(1, 1), new Step.PublishTail(2), new Step.Enter(2, 0, 0)));
            for (List<Step> steps : List.of(nops, openAndWrite)) {
                steps.addAll(List.of(WorldSteps.advanceClock(), new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                        new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8)));
                agreesThreeTimes(steps, (n, s, ref, sub) -> {
                    if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                        reads.add(sub.result());
                    }
                });
            }
        }
        // the kernel's counts, three runs of each: plain 3 and 2, ASYNC 2 and 2
        assertThat(reads).containsExactly(3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2);
    }

    /**
     * A MSG_RING to its own DEFER_TASKRUN ring posts the target's CQE from task work ({@code io_msg_remote_post});
     * that work's {@code io_add_aux_cqe} does not commit, so when the same run also completes a request (a NOP with
     * IORING_NOP_TW), the flush at its end commits both CQEs at once and the eventfd is signalled once. The emulator
     * committed the MSG_RING's CQE by itself and signalled twice (world lockstep seed 20: 7 against the kernel's 6).
     */
    @Test
    void aMessagesTaskWorkCqeIsCommittedWithTheRunsBatch() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0),
                new Step.WriteIo(0, IORING_OP_MSG_RING, 0, 0, -1, 1945, 55, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                Step.WriteSqe.nop(1, 0, IORING_NOP_TW, 0, 2), new Step.WriteArray(1, 1),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8));
        List<Integer> reads = new ArrayList<>();
        List<Integer> tails = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (s instanceof Step.Outside x && x.action() == Step.Outside.READ) {
                reads.add(sub.result());
                tails.add(sub.cqTail());
            }
        });
        // the kernel's own counts: 2 at the submission (the MSG_RING's CQE; the task work on the empty local list),
        // then the two CQEs of the run with one signal
        assertThat(reads).containsExactly(2, 1, 2, 1, 2, 1);
        assertThat(tails).containsExactly(1, 3, 1, 3, 1, 3);
    }

    /**
     * On a DEFER_TASKRUN ring a READV of the eventfd waits in a poll; a GETEVENTS enter without a submission runs
     * the local work first and then flushes the overflow list ({@code io_cqring_wait}), whose commit signals the
     * eventfd: the READV's wakeup queues work that the next enter runs, not this one (world lockstep seed 7, where
     * the emulator read the count an enter early).
     */
    @Test
    void aReadWokenByTheWaitsOverflowFlushRunsAtTheNextEnter() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN, 0), new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD,
                0)));
        // three NOPs on a CQ of two: the third waits in the overflow list
        for (int i = 0; i < 3; i++) {
            steps.addAll(List.of(Step.WriteSqe.nop(i, 0, 0, 0, i + 1), new Step.WriteArray(i, 0),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        }
        steps.addAll(List.of(new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8),
                new Step.WriteIo(3, IORING_OP_READV, 0, 0, OutsideWorld.EVENTFD, 0, 64, 0, 2, 0, 0, 10),
                new Step.WriteArray(3, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.ConsumeCqes(2),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        int flushing = steps.size() - 2;
        List<Integer> tails = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (n >= flushing) {
                tails.add(sub.cqTail());
            }
        });
        // the kernel's: the flush posts the third NOP's CQE, the next enter the READV's
        assertThat(tails).containsExactly(3, 4, 3, 4, 3, 4);
    }

    /**
     * One commit both fires a count TIMEOUT and signals the eventfd that a POLL_ADD waits on: {@code
     * __io_commit_cqring_flush} flushes the timeouts before it signals the eventfd, so the killed timeout's task
     * work is queued before the poll's wakeup and its CQE comes first. Here the commit is the overflow flush of a
     * GETEVENTS enter (a CQE that goes to the overflow list moves no tail, so the count waits for the flush). The
     * emulator ran its commit hooks in the order they were added, the eventfd's (registered first) before the
     * timeouts' (world lockstep seed 144 at step 122, with a READV of the eventfd: its CQE where the kernel's was
     * the TIMEOUT's).
     */
    @Test
    void aCommitFlushesTheTimeoutsBeforeItSignalsTheEventfd() {
        assertThat(flushWithTimeoutAndWaiter(new Step.WriteIo(2, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.EVENTFD, 0, 0,
                POLLIN, 0, 0, 0, 10))).containsExactly("3:0", "11:0", "3:0", "11:0", "3:0", "11:0");
    }

    /**
     * A plain ring with its CQ of two full and the eventfd read to 0, {@code waiter} (ud 10) waiting on the eventfd,
     * a TIMEOUT of 1,000 s or one CQE (ud 11), a NOP (ud 3) that goes to the overflow list; then the CQ emptied and
     * a GETEVENTS enter that flushes it. Three runs without a divergence; the kernel's CQEs after the flush.
     */
    private static List<String> flushWithTimeoutAndWaiter(Step.WriteIo waiter) {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(1, 0, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0)));
        for (int i = 0; i < 2; i++) {
            steps.addAll(List.of(Step.WriteSqe.nop(i, 0, 0, 0, i + 1), new Step.WriteArray(i, 0),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        }
        steps.addAll(List.of(new Step.Outside(Step.Outside.READ, OutsideWorld.EVENTFD, 8),
                waiter, new Step.WriteArray(2, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                // the first count timeout: its commit hook is added after the eventfd's
                new Step.WriteIo(3, IORING_OP_TIMEOUT, 0, 0, -1, 1, 0, 0, 1, 0, 0, 11),
                new Step.WriteArray(3, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                // no tail moves, so no count and no signal
                Step.WriteSqe.nop(4, 0, 0, 0, 3), new Step.WriteArray(4, 0), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                new Step.ConsumeCqes(2, false),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.ConsumeCqes(2, false),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        int flushing = steps.size() - 3;
        List<String> cqes = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (n == flushing) {
                WorldLockstepTest.visible(sub).forEach(c -> cqes.add(c.userData() + ":" + c.res()));
            }
        });
        return cqes;
    }

    /**
     * A DEFER_TASKRUN ring's local run takes its whole work list before it runs an item (6.18 io_uring.c
     * {@code __io_run_local_work}: {@code llist_del_all}), so task work an item queues goes to an empty list, and
     * {@code io_req_local_work_add} signals the eventfd there, outside any wakeup, before the items after it run (world
     * lockstep seed 3099). A NOP with IORING_NOP_TW linked behind a NOP is issued from the task work its head's
     * completion queued ({@code io_queue_next -> io_req_task_queue}), which waits for a GETEVENTS enter; a READV of the
     * eventfd waits in a poll. The next enter's NOP signals (count 1), which wakes the READV's poll: its task work
     * goes behind the linked NOP's issue. The run issues that NOP, whose completion is queued onto the emptied list
     * and signals (count 2), then the READV reads the count: 2, the READV's CQE before the linked NOP's.
     */
    @Test
    void taskWorkQueuedDuringALocalRunSignalsBeforeTheRunsLaterItems() {
        List<Step> steps = List.of(new Step.Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                Step.WriteSqe.nop(0, IOSQE_IO_LINK, 0, 0, 1), new Step.WriteArray(0, 0),
                Step.WriteSqe.nop(1, 0, IORING_NOP_TW, 0, 2), new Step.WriteArray(1, 1), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                new Step.WriteIo(2, IORING_OP_READV, 0, 0, OutsideWorld.EVENTFD, 0, 8, 0, 0, 0, 0, 3),
                new Step.WriteArray(2, 2), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0),
                Step.WriteSqe.nop(3, 0, 0, 0, 4), new Step.WriteArray(3, 3), new Step.PublishTail(1),
                new Step.Enter(1, 0, IORING_ENTER_GETEVENTS));
        List<List<Cqe>> last = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (n == steps.size() - 1) {
                last.add(WorldLockstepTest.visible(sub));
            }
        });
        // the kernel's: the head, then the NOP, the READV of the two signals' count, the linked NOP
        assertThat(last).hasSize(3).allSatisfy(cqes -> assertThat(cqes).containsExactly(new Cqe(1, 0, 0, 0, 0),
                new Cqe(4, 0, 0, 0, 0), new Cqe(3, 8, 0, 0, 0), new Cqe(2, 0, 0, 0, 0)));
    }

    /**
     * A signal the wait makes after its last local run queues the work of the poll it wakes, which that wait leaves
     * queued (world lockstep seed 1204). 6.18 {@code io_cqring_wait} runs the local work, then flushes the overflow
     * list ({@code io_cqring_do_overflow_flush}), whose commit signals the eventfd, and returns at once when the CQ
     * holds {@code min_events}: a READ of the eventfd, woken there, is not run by that enter. Five NOPs overflow a CQ
     * of 4, the application takes the four, registers the eventfd and enters with a READ of the empty pipe and
     * GETEVENTS: the flush posts the fifth NOP's CQE and signals, and the READ of the eventfd stays pending.
     */
    @Test
    void aSignalAfterTheWaitsLastRunLeavesTheWokenReadQueued() {
        List<Step> steps = List.of(new Step.Setup(2, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0),
                new Step.WriteIo(0, IORING_OP_READ, 0, 0, OutsideWorld.EVENTFD, 0, 8, 0, 1, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                Step.WriteSqe.nop(1, 0, 0, 0, 2), new Step.WriteArray(1, 1),
                Step.WriteSqe.nop(2, 0, 0, 0, 3), new Step.WriteArray(2, 0), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                Step.WriteSqe.nop(3, 0, 0, 0, 4), new Step.WriteArray(3, 1),
                Step.WriteSqe.nop(4, 0, 0, 0, 5), new Step.WriteArray(4, 0), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                Step.WriteSqe.nop(5, 0, 0, 0, 6), new Step.WriteArray(5, 1), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0), new Step.ConsumeCqes(4),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0),
                new Step.WriteIo(6, IORING_OP_READ, 0, 0, OutsideWorld.PIPE_READ, -1, 16, 0, 2, 0, 0, 7),
                new Step.WriteArray(6, 0), new Step.PublishTail(1), new Step.Enter(1, 0, IORING_ENTER_GETEVENTS));
        List<List<Cqe>> last = new ArrayList<>();
        agreesThreeTimes(steps, (n, s, ref, sub) -> {
            if (n == steps.size() - 1) {
                last.add(WorldLockstepTest.visible(sub));
            }
        });
        // the kernel's: the fifth NOP's CQE alone, the READ of the eventfd still waiting (its buffer untouched)
        assertThat(last).hasSize(3).allSatisfy(cqes -> assertThat(cqes).containsExactly(new Cqe(6, 0, 0, 0, 0)));
    }

    /**
     * {@code steps} three times in one runner, emulator against this kernel, none diverging; {@code watcher} sees each
     * step.
     */
    private static void agreesThreeTimes(List<Step> steps, LockstepRunner.StepWatcher watcher) {
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"))
                .withWorld()) {
            for (int run = 0; run < 3; run++) {
                assertThat(runner.run(steps, new Coverage(), watcher).divergence()).as("run %d", run).isNull();
            }
        }
    }
}
