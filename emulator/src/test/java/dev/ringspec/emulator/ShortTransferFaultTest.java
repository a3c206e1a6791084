package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * An injected short read on a pipe moves fewer bytes than it could and loses none: the next read gets the rest, in
 * order, as a library that handles short reads expects.
 */
class ShortTransferFaultTest {

    @Test
    void aShortReadLeavesTheRestForTheNextRead() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .withFaults(FaultPlan.parse("seed=4,short-read@1")), memory)) {
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            MemorySegment fds = memory.allocate(8);
            assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
            int readEnd = fds.getAtIndex(JAVA_INT, 0);
            int writeEnd = fds.getAtIndex(JAVA_INT, 1);
            MemorySegment data = memory.allocate(10);
            for (int i = 0; i < 10; i++) {
                data.set(JAVA_BYTE, i, (byte) ('a' + i));
            }
            assertThat(Linux.call(SYS_WRITE, writeEnd, data.address(), 10)).isEqualTo(10);
            MemorySegment buffer = memory.allocate(10);
            int first = read(d, readEnd, buffer, 0, 10);
            assertThat(first).as("shortened").isBetween(1, 9);
            int second = read(d, readEnd, buffer, first, 10 - first);
            assertThat(second).as("the rest, unshortened").isEqualTo(10 - first);
            assertThat(buffer.toArray(JAVA_BYTE)).isEqualTo(data.toArray(JAVA_BYTE));
            assertThat(e.faultLog()).singleElement().asString().startsWith("short-read #1: 10 bytes -> " + first);
            Linux.close(readEnd);
            Linux.close(writeEnd);
        }
    }

    private static int read(RingDriver d, int fd, MemorySegment buffer, int at, int len) {
        long sqe = d.nextSqe();
        Sqe.opcode(d.sqes(), sqe, IORING_OP_READ);
        Sqe.fd(d.sqes(), sqe, fd);
        Sqe.addr(d.sqes(), sqe, buffer.address() + at);
        Sqe.len(d.sqes(), sqe, len);
        Sqe.off(d.sqes(), sqe, -1);
        assertThat(d.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
        Cqe c = d.reap();
        return c.res();
    }
}
