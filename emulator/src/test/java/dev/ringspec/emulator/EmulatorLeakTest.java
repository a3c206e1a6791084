package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * 10,000 emulated rings set up, used and closed, and 50 emulators opened and closed, leave the process as they found
 * it: the same descriptors, no emulator thread, and resident memory back within a bound far below what the rings
 * would hold if they leaked (each 256-entry ring maps about 24 KiB: 10,000 of them would be 240 MiB).
 */
class EmulatorLeakTest {
    private static final int RINGS = 10_000;
    private static final int EMULATORS = 50;
    private static final long BOUND_BYTES = 64L << 20;

    private static long emulatorThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith("ringspec-emulator")).count();
    }

    private static long residentBytes() throws Exception {
        String[] statm = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
        return Long.parseLong(statm[1]) * 4096;
    }

    private static void settle(long baseline) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (emulatorThreads() > baseline && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        System.gc();
        Thread.sleep(100);
    }

    /** Sets up a ring, completes a NOP on it (one through io-wq, when {@code async}), closes it. */
    private static void oneRing(EmulatedIoUring emulator, MemorySegment params, boolean async) {
        params.fill((byte) 0);
        RingDriver d = new RingDriver(emulator, emulator.setup(256, params).ringOrNull());
        long at = d.nextSqe();
        Sqe.prepNop(d.sqes(), at, 1);
        if (async) {
            d.sqes().set(JAVA_BYTE, at + IoUringSqe.FLAGS_OFFSET, (byte) IOSQE_ASYNC);
        }
        d.submit(1, IORING_ENTER_GETEVENTS);
        assertThat(d.reap()).as("the NOP's CQE").isNotNull();
        assertThat(emulator.close(d.ring())).isZero();
    }

    @Test
    void ringsAndEmulatorsLeaveNothingBehind() throws Exception {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring warm = EmulatedIoUring.open(KernelProfile.LINUX_6_18,
                memory)) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            for (int i = 0; i < 500; i++) {
                oneRing(warm, params, i % 50 == 0);
            }
        }
        settle(0);
        Set<String> fdsBefore = Linux.openDescriptors();
        long threadsBefore = emulatorThreads(); // another test's emulator, shared by its backend, may live on
        long rssBefore = residentBytes();
        long start = System.nanoTime();
        try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(
                KernelProfile.LINUX_6_18, memory)) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            for (int i = 0; i < RINGS; i++) {
                oneRing(emulator, params, i % 100 == 0);
            }
        }
        for (int i = 0; i < EMULATORS; i++) {
            try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(
                    KernelProfile.LINUX_7_2, memory)) {
                oneRing(emulator, memory.allocate(IoUringParams.SIZE_BYTES), true);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        settle(threadsBefore);
        Set<String> left = Linux.openDescriptors();
        left.removeAll(fdsBefore);
        long rssDelta = residentBytes() - rssBefore;
        System.out.printf("%d rings and %d emulators in %.1f s: %d descriptors left, %d emulator threads, RSS %+d "
                + "KiB%n", RINGS, EMULATORS, seconds, left.size(), emulatorThreads(), rssDelta / 1024);
        assertThat(left).as("descriptors left open").isEmpty();
        assertThat(emulatorThreads()).as("emulator threads still alive").isLessThanOrEqualTo(threadsBefore);
        assertThat(rssDelta).as("resident memory grown, bytes").isLessThan(BOUND_BYTES);
    }

    /**
     * A closed ring's exit work, which releases its registered files a little later ({@code io_ring_exit_work}),
     * finishes when the emulator closes before its clock got there: the pipe's write end the table held is closed,
     * and the reader sees the end of file. The deterministic mode's clock never moves after the close (the threaded
     * mode's timer thread may get there before the emulator closes, so it shows nothing).
     */
    @Test
    void aClosedRingsFileTableIsReleasedWhenItsEmulatorCloses() {
        try (UserMemory memory = new UserMemory()) {
            MemorySegment pipe = memory.allocate(8, 4);
            assertThat(Linux.call(Linux.SYS_PIPE2, pipe.address(), Linux.O_CLOEXEC | Linux.O_NONBLOCK)).isZero();
            int readEnd = pipe.get(JAVA_INT, 0);
            int writeEnd = pipe.get(JAVA_INT, 4);
            try (EmulatedIoUring emulator = EmulatedIoUring.open(EmulatorOptions.parse(KernelProfile.LINUX_6_18,
                    "seed=1"), memory)) {
                MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
                var ring = emulator.setup(4, params).ringOrNull();
                MemorySegment files = memory.allocate(4, 4);
                files.set(JAVA_INT, 0, writeEnd);
                assertThat(emulator.register(ring, IORING_REGISTER_FILES, files, 1)).isZero();
                assertThat(emulator.close(ring)).isZero();
            }
            Linux.close(writeEnd);
            MemorySegment buffer = memory.allocate(8, 8);
            assertThat(Linux.call(Linux.SYS_READ, readEnd, buffer.address(), 8)).as("read of the pipe").isZero();
            Linux.close(readEnd);
        }
    }
}
