package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The deterministic mode: completions that are ready together reach the ring in an order the seed decides, the
 * same on every run; time on its virtual clock passes only when a waiting task has nothing else to do. The reads
 * here are a test opcode on non-blocking pipes (the emulator's own READ is another class's), which answers -EAGAIN
 * on an empty pipe so the request waits for readiness, as the kernel's reads do.
 */
class DeterministicModeTest {

    /** READ on a non-blocking pipe: read(2) now, or -EAGAIN (then the emulator waits for readiness). */
    private static List<EmuOp> pipeRead(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_READ, "READ", OpDef.NEEDS_FILE | OpDef.POLLIN, (req, ctx) -> 0,
                (req, ctx) -> {
                    long n = Linux.call(SYS_READ, ctx.fileDescriptor(req), req.addr(), req.len());
                    if (n < 0) {
                        return (int) n;
                    }
                    ctx.setRes(req, (int) n, 0);
                    return OpDef.COMPLETE;
                });
        return List.of(EmuOp.of(def));
    }

    private static int[] pipe(UserMemory memory) {
        MemorySegment fds = memory.allocate(8);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_NONBLOCK | Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    /** Four reads on four pipes, all written before the wait: the order their CQEs arrive in. */
    private static List<Long> orderOfFourReads(long seed) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(seed).withOpcodes(DeterministicModeTest::pipeRead), memory)) {
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            List<int[]> pipes = new ArrayList<>();
            MemorySegment buffer = memory.allocate(64);
            for (int i = 0; i < 4; i++) {
                int[] p = pipe(memory);
                pipes.add(p);
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, IORING_OP_READ);
                Sqe.fd(d.sqes(), at, p[0]);
                Sqe.addr(d.sqes(), at, buffer.address() + 16L * i);
                Sqe.len(d.sqes(), at, 16);
                Sqe.userData(d.sqes(), at, i + 1);
            }
            assertThat(d.submit(0, 0)).isEqualTo(4);
            assertThat(d.ready()).as("empty pipes: every read waits").isZero();
            MemorySegment one = memory.allocate(1);
            for (int[] p : pipes) {
                assertThat(Linux.call(SYS_WRITE, p[1], one.address(), 1)).isEqualTo(1);
            }
            assertThat(e.enter(d.ring(), 0, 4, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<Long> order = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                assertThat(c.res()).as("one byte read").isEqualTo(1);
                order.add(c.userData());
            }
            for (int[] p : pipes) {
                Linux.close(p[0]);
                Linux.close(p[1]);
            }
            return order;
        }
    }

    @Test
    void theSameSeedGivesTheSameOrderAndSeedsDiffer() {
        Set<List<Long>> orders = new HashSet<>();
        for (long seed = 1; seed <= 12; seed++) {
            List<Long> first = orderOfFourReads(seed);
            assertThat(first).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
            assertThat(orderOfFourReads(seed)).as("seed " + seed + " again").isEqualTo(first);
            assertThat(orderOfFourReads(seed)).as("seed " + seed + " a third time").isEqualTo(first);
            orders.add(first);
        }
        assertThat(orders).as("the seed decides the order among ready completions").hasSizeGreaterThan(1);
    }

    @Test
    void aTenSecondWaitOnTheVirtualClockTakesNoTime() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            MemorySegment ts = memory.allocate(16);
            ts.set(JAVA_LONG, 0, 10);
            MemorySegment arg = memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
            arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
            long start = System.nanoTime();
            int r = e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg,
                    IoUringGeteventsArg.SIZE_BYTES);
            assertThat(r).isEqualTo(-ETIME);
            assertThat(System.nanoTime() - start).as("real time").isLessThan(2_000_000_000L);
            assertThat(e.clock().nanoTime()).as("virtual time").isEqualTo(10_000_000_000L);
        }
    }
}
