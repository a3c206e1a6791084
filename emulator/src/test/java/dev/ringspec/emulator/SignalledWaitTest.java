package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A signal during a GETEVENTS wait (the emulator's signal: an interrupt of the waiting task's thread), as
 * io_uring/wait.c's io_cqring_wait ends it: -EINTR whether or not the wait had a timeout, and 0 when the CQ holds
 * CQEs, fewer than asked (its last line compares cq.head with cq.tail). The hosted supervisor delivers a program's
 * signals this way.
 */
class SignalledWaitTest {
    private static final long TEN_SECONDS = 10_000_000_000L;

    private final UserMemory memory = new UserMemory();
    private EmulatedIoUring emulator;

    @AfterEach
    void tearDown() {
        if (emulator != null) {
            emulator.close();
        }
        memory.close();
    }

    private RingDriver ring() {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        return new RingDriver(emulator, emulator.setup(8, params).ringOrNull());
    }

    private MemorySegment tenSeconds() {
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, TEN_SECONDS / 1_000_000_000L);
        MemorySegment arg = memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
        arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
        return arg;
    }

    /** Runs {@code wait} on a thread of its own, interrupts it after 100 ms, and answers what it returned. */
    private static int interruptedAfterAWhile(java.util.function.IntSupplier wait) throws Exception {
        AtomicReference<Thread> waiter = new AtomicReference<>();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            waiter.set(Thread.currentThread());
            result.complete(wait.getAsInt());
        });
        Thread.sleep(100);
        assertThat(result).as("still waiting before the signal").isNotDone();
        t.interrupt();
        return result.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aSignalEndsAWaitWithoutTimeoutWithEintr() throws Exception {
        RingDriver d = ring();
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS,
                MemorySegment.NULL, 0))).isEqualTo(-EINTR);
    }

    @Test
    void aSignalEndsATimedWaitWithEintrNotEtime() throws Exception {
        RingDriver d = ring();
        MemorySegment arg = tenSeconds();
        long start = System.nanoTime();
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 1,
                IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, IoUringGeteventsArg.SIZE_BYTES)))
                .isEqualTo(-EINTR);
        assertThat(System.nanoTime() - start).as("long before the timeout").isLessThan(TEN_SECONDS / 2);
    }

    @Test
    void aSignalEndsAWaitForMoreCqesThanTheRingHoldsWithZero() throws Exception {
        RingDriver d = ring();
        Sqe.prepNop(d.sqes(), d.nextSqe(), 1);
        assertThat(d.submit(0, 0)).isEqualTo(1);
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 2, IORING_ENTER_GETEVENTS,
                MemorySegment.NULL, 0))).isZero();
        assertThat(d.reap().userData()).as("the CQE is still there").isEqualTo(1);
    }

    @Test
    void aSigmaskThatCannotBeReadFailsBeforeTheWaitSleeps() throws Exception {
        RingDriver d = ring();
        CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> emulator.enter(d.ring(), 0, 1,
                IORING_ENTER_GETEVENTS, MemorySegment.ofAddress(16), 8));
        // io_cqring_wait: set_user_sigmask -> -EFAULT, before the first sleep (a wait nothing ends otherwise)
        assertThat(r.get(5, TimeUnit.SECONDS)).isEqualTo(-EFAULT);
    }
}
