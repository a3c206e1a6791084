package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A wait that a firing TIMEOUT ends ({@code io_should_wake}: {@code cq_timeouts} moved) comes back with that
 * TIMEOUT's CQE in the CQ: the kernel counts the firing and queues its completion in one hrtimer callback, and the
 * completion runs before the enter returns to user space. The emulator's timer thread can be preempted, or its
 * delivery delayed (the DELAY_COMPLETION fault), between the two; a wait woken meanwhile (here by another thread's
 * NOP) saw the count move and returned with no TIMEOUT CQE, as a hosted training program's first 200 us TIMEOUT
 * did. The same rounds on this kernel, where the invariant holds, and on the emulator with every delivery delayed.
 */
@Tag("kernel")
@Timeout(120)
class TimeoutWaitTest {
    private static final long TIMEOUT_DATA = 1;
    private static final long NOP_DATA = 7;
    private static final int ROUNDS = 12;

    @Test
    void aWaitEndedByAFiringTimeoutFindsItsCqeOnThisKernel() throws Exception {
        Backend kernel = NativeBackendProvider.backend();
        assumeTrue(kernel.availability().available(), kernel.availability().reason());
        try (UserMemory memory = new UserMemory()) {
            rounds(kernel.open(memory), memory);
        }
    }

    @Test
    void aWaitEndedByAFiringTimeoutFindsItsCqeWithDelayedDeliveries() throws Exception {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(
                EmulatorOptions.of(KernelProfile.LINUX_6_18).withFaults(FaultPlan.parse("seed=5,delay=1")), memory)) {
            rounds(emulator, memory);
        }
    }

    /**
     * Each round: one thread submits a 20 ms TIMEOUT and waits for 2 CQEs in the same enter; 25 ms later this
     * thread submits a NOP on the ring (its inline CQE wakes the waiter). When the wait returns, the TIMEOUT's CQE
     * must be among the CQEs there, and both arrive by the round's end.
     */
    private static void rounds(IoUringKernel kernel, UserMemory memory) throws Exception {
        RingDriver d = new RingDriver(kernel, kernel.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, 0);
        ts.set(JAVA_LONG, 8, 20_000_000L);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                int head = d.sq().loadAcquireHead();
                publish(d, IORING_OP_TIMEOUT, TIMEOUT_DATA, ts.address());
                CompletableFuture<List<Long>> waited = CompletableFuture.supplyAsync(() -> {
                    int r = kernel.enter(d.ring(), 1, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                    List<Long> seen = reapAll(d);
                    seen.addFirst((long) r);
                    return seen;
                });
                while (d.sq().loadAcquireHead() == head && !waited.isDone()) {
                    Thread.onSpinWait();
                }
                Thread.sleep(25);
                publish(d, -1, NOP_DATA, 0);
                assertThat(kernel.enter(d.ring(), 1, 0, 0, MemorySegment.NULL, 0)).isEqualTo(1);
                List<Long> seen = waited.get(30, TimeUnit.SECONDS);
                assertThat(seen.getFirst()).as("round %d: the enter's result", round).isEqualTo(1L);
                assertThat(seen.subList(1, seen.size())).as("round %d: the CQEs there when the wait returned", round)
                        .contains(TIMEOUT_DATA);
                long end = System.nanoTime() + 5_000_000_000L;
                while (seen.size() < 3 && System.nanoTime() - end < 0) {
                    seen.addAll(reapAll(d));
                }
                assertThat(seen.subList(1, seen.size())).as("round %d: every CQE", round)
                        .containsExactlyInAnyOrder(TIMEOUT_DATA, NOP_DATA);
            }
        } finally {
            kernel.close(d.ring());
        }
    }

    /** One SQE at the SQ tail, published for the next enter: a NOP ({@code opcode} -1) or a 1-timespec TIMEOUT. */
    private static void publish(RingDriver d, int opcode, long userData, long timespec) {
        int tail = d.sq().readOnceTail();
        int index = tail & (d.ring().params().sqEntries() - 1);
        long at = d.sq().sqeOffset(index);
        Sqe.prepNop(d.sqes(), at, userData);
        if (opcode >= 0) {
            Sqe.opcode(d.sqes(), at, opcode);
            Sqe.addr(d.sqes(), at, timespec);
            Sqe.len(d.sqes(), at, 1);
        }
        d.sq().writeOnceArray(index, index);
        d.sq().storeReleaseTail(tail + 1);
    }

    private static List<Long> reapAll(RingDriver d) {
        List<Long> all = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            all.add(c.userData());
        }
        return all;
    }
}
