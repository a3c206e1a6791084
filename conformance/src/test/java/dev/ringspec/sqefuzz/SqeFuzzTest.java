package dev.ringspec.sqefuzz;

import static dev.ringspec.uapi.IoUring.IORING_OP_MADVISE;
import static dev.ringspec.uapi.IoUringSqe.ADDR_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.LEN_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.OFF_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.OPCODE_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.IoUringAvailability;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A few thousand fuzzed SQEs on the emulator and this kernel: no exception, no CQE that differs, and the world the
 * fuzz owns left as it was (descriptors, files).
 */
@Tag("kernel")
class SqeFuzzTest {

    @Test
    void emulatorAndKernelAnswerFuzzedSqesAlike() throws Exception {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        try (SqeFuzz warmUp = new SqeFuzz(0)) {
            warmUp.run(300); // loads the classes (and opens the jars) a first run needs
        }
        java.util.Set<String> fdsBefore = dev.ringspec.emulator.sys.Linux.openDescriptors();
        SqeFuzz.Report report;
        try (SqeFuzz fuzz = new SqeFuzz(Long.getLong("ringspec.fuzz.seed", 1))) {
            report = fuzz.run(Long.getLong("ringspec.fuzz.sqes", 3000));
        }
        System.out.println("SQE fuzz: " + report.summary());
        assertThat(report.divergences()).as("%s", report.firstDivergences()).isZero();
        assertThat(report.compared()).as("SQEs compared").isGreaterThan(report.sqes() / 10);
        assertThat(report.compiledOut()).as("opcodes the emulator lacks, drawn and not compared").isPositive();
        assertThat(Files.exists(Path.of("ringspec-fuzz-absent"))).as("no path argument created anything").isFalse();
        java.util.Set<String> left = dev.ringspec.emulator.sys.Linux.openDescriptors();
        left.removeAll(fdsBefore);
        assertThat(left).as("descriptors the fuzz left open").isEmpty();
    }

    /**
     * A MADVISE's length is {@code off} where that is not 0 (io_madvise_prep, 6.12 on: 64 bits), else {@code len}:
     * every MADVISE the fuzz draws names only the reservation, the low guard or addresses no process maps. (With
     * {@code off} unpinned, a DONTNEED from the low guard or the reservation ran over the JVM's memory above it and
     * zeroed it: the SIGSEGV in the JVM's own signal handler, with no hs_err, at ~845,000 SQEs of seed 2620.)
     */
    @Test
    void madviseAdvisesOnlyTheFuzzsOwnAddresses() throws Exception {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        try (SqeFuzz fuzz = new SqeFuzz(2620)) {
            FuzzReservation reservation = fuzz.world().reservation;
            long madvises = 0;
            for (long i = 0; i < 200_000; i++) {
                MemorySegment sqe = fuzz.next(i);
                if (Byte.toUnsignedInt(sqe.get(JAVA_BYTE, OPCODE_OFFSET)) != IORING_OP_MADVISE) {
                    continue;
                }
                madvises++;
                long addr = sqe.get(JAVA_LONG, ADDR_OFFSET);
                long off = sqe.get(JAVA_LONG, OFF_OFFSET);
                long len = off != 0 ? off : Integer.toUnsignedLong(sqe.get(JAVA_INT, LEN_OFFSET));
                long end = addr + len;
                // madvise refuses a range that wraps (-EINVAL); nothing is mapped from 2^47 on
                boolean nothing = Long.compareUnsigned(end, addr) < 0
                        || Long.compareUnsigned(addr, 0x8000_0000_0000L) >= 0;
                boolean low = Long.compareUnsigned(end, reservation.lowLimit) <= 0;
                boolean reserved = addr >= reservation.base
                        && Long.compareUnsigned(end, reservation.base + FuzzReservation.RESERVED) <= 0;
                assertThat(nothing || low || reserved).as("MADVISE of %x bytes at %x (SQE %d)", len, addr, i)
                        .isTrue();
            }
            assertThat(madvises).as("MADVISEs drawn").isGreaterThan(100);
        }
    }
}
