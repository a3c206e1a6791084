package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_EPOLL_CTL;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmulatedIoUringTest {
    private final UserMemory memory = new UserMemory();
    private EmulatedIoUring emulator;

    @AfterEach
    void tearDown() {
        if (emulator != null) {
            emulator.close();
        }
        memory.close();
    }

    private RingDriver ring(EmulatedIoUring e) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        return new RingDriver(e, e.setup(8, params).ringOrNull());
    }

    private MemorySegment timeout(long nanos) {
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, nanos / 1_000_000_000L);
        ts.set(JAVA_LONG, 8, nanos % 1_000_000_000L);
        MemorySegment arg = memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
        arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
        return arg;
    }

    @Test
    void nopsCompleteAndTheRingDescriptorIsARealOne() {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        assertThat(Linux.isOpen(d.ring().fd())).as("a real descriptor of this process").isTrue();
        for (int i = 1; i <= 3; i++) {
            Sqe.prepNop(d.sqes(), d.nextSqe(), i);
        }
        assertThat(d.submit(3, IORING_ENTER_GETEVENTS)).isEqualTo(3);
        assertThat(d.reap().userData()).isEqualTo(1);
        assertThat(d.reap().userData()).isEqualTo(2);
        assertThat(d.reap().userData()).isEqualTo(3);
        int fd = d.ring().fd();
        assertThat(emulator.close(d.ring())).isZero();
        assertThat(Linux.isOpen(fd)).as("closed with the ring").isFalse();
    }

    @Test
    void anOpcodeTheEmulatorLacksAnswersAsCompiledOut() {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, IORING_OP_EPOLL_CTL);
        Sqe.fd(d.sqes(), at, 0);
        Sqe.userData(d.sqes(), at, 9);
        assertThat(d.submit(0, 0)).isEqualTo(1);
        Cqe c = d.reap();
        assertThat(c.res()).isEqualTo(-EOPNOTSUPP);
        assertThat(emulator.refusals()).containsExactly(Map.entry("EPOLL_CTL", 1L));
        int n = KernelProfile.LINUX_6_18.opLast();
        MemorySegment probe = memory.allocate(IoUringProbe.SIZE_BYTES + (long) n * IoUringProbeOp.SIZE_BYTES);
        assertThat(emulator.register(d.ring(), IORING_REGISTER_PROBE, probe, n)).isZero();
        assertThat(flags(probe, IORING_OP_NOP) & IO_URING_OP_SUPPORTED).isNotZero();
        assertThat(flags(probe, IORING_OP_EPOLL_CTL) & IO_URING_OP_SUPPORTED).isZero();
    }

    private static int flags(MemorySegment probe, int op) {
        return probe.get(JAVA_SHORT, IoUringProbe.OPS_OFFSET + (long) op * IoUringProbeOp.SIZE_BYTES
                + IoUringProbeOp.FLAGS_OFFSET);
    }

    @Test
    void aTimedWaitSleepsForRealUntilItsDeadline() {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        long start = System.nanoTime();
        int r = emulator.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                timeout(60_000_000L), IoUringGeteventsArg.SIZE_BYTES);
        long took = System.nanoTime() - start;
        assertThat(r).isEqualTo(-ETIME);
        assertThat(took).isGreaterThanOrEqualTo(60_000_000L);
    }

    @Test
    void onAVirtualClockAWaitEndsWhenTheClockPassesItsDeadline() throws Exception {
        VirtualClock clock = new VirtualClock();
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory, clock);
        RingDriver d = ring(emulator);
        MemorySegment arg = timeout(1_000_000_000L);
        CompletableFuture<Integer> waited = CompletableFuture.supplyAsync(() -> emulator.enter(d.ring(), 0, 1,
                IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, IoUringGeteventsArg.SIZE_BYTES));
        Thread.sleep(100);
        assertThat(waited).as("virtual time has not passed").isNotDone();
        clock.advance(999_999_999L);
        Thread.sleep(50);
        assertThat(waited).isNotDone();
        clock.advance(1);
        assertThat(waited.get(5, TimeUnit.SECONDS)).isEqualTo(-ETIME);
    }

    /** Runs {@code wait} on a thread of its own, interrupts it after 100 ms, and answers what it returned. */
    private static int interruptedAfterAWhile(IntSupplier wait) throws Exception {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> result.complete(wait.getAsInt()));
        Thread.sleep(100);
        assertThat(result).as("still waiting before the signal").isNotDone();
        t.interrupt();
        return result.get(5, TimeUnit.SECONDS);
    }

    // A signal during a GETEVENTS wait (the emulator's signal: an interrupt of the waiting task's thread) ends it as
    // io_uring/wait.c's io_cqring_wait does: -EINTR with or without a timeout, 0 when the CQ holds CQEs, fewer than
    // asked (its last line compares cq.head with cq.tail). The hosted supervisor delivers a program's signals so.

    @Test
    void aSignalEndsAWaitWithoutTimeoutWithEintr() throws Exception {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS,
                MemorySegment.NULL, 0))).isEqualTo(-EINTR);
    }

    @Test
    void aSignalEndsATimedWaitWithEintrNotEtime() throws Exception {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        MemorySegment arg = timeout(10_000_000_000L);
        long start = System.nanoTime();
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 1,
                IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, IoUringGeteventsArg.SIZE_BYTES)))
                .isEqualTo(-EINTR);
        assertThat(System.nanoTime() - start).as("long before the timeout").isLessThan(5_000_000_000L);
    }

    @Test
    void aSignalEndsAWaitForMoreCqesThanTheRingHoldsWithZero() throws Exception {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        Sqe.prepNop(d.sqes(), d.nextSqe(), 1);
        assertThat(d.submit(0, 0)).isEqualTo(1);
        assertThat(interruptedAfterAWhile(() -> emulator.enter(d.ring(), 0, 2, IORING_ENTER_GETEVENTS,
                MemorySegment.NULL, 0))).isZero();
        assertThat(d.reap().userData()).as("the CQE is still there").isEqualTo(1);
    }

    @Test
    void aSigmaskThatCannotBeReadFailsBeforeTheWaitSleeps() throws Exception {
        emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
        RingDriver d = ring(emulator);
        CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> emulator.enter(d.ring(), 0, 1,
                IORING_ENTER_GETEVENTS, MemorySegment.ofAddress(16), 8));
        // io_cqring_wait: set_user_sigmask -> -EFAULT, before the first sleep (a wait nothing ends otherwise)
        assertThat(r.get(5, TimeUnit.SECONDS)).isEqualTo(-EFAULT);
    }
}
