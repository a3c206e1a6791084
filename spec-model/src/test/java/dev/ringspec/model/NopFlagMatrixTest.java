package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** NOP flags: ring-semantics.md A4, Part B row 21 (N1, N3) and Appendix A item 12. */
class NopFlagMatrixTest {
    private static final int INJECT = 1;
    private static final int FILE = 2;
    private static final int FIXED_FILE = 4;
    private static final int FIXED_BUFFER = 8;
    private static final int TW = 16;

    private static long nop(ModelFixture f, long userData, int nopFlags, int len, int fd) {
        long at = f.nop(userData);
        Sqe.opFlags(f.driver.sqes(), at, nopFlags);
        Sqe.len(f.driver.sqes(), at, len);
        Sqe.fd(f.driver.sqes(), at, fd);
        return at;
    }

    @Test
    void nopFlagMatrixMatchesTheKernelInSubmissionOrder() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            f.model.withProcessDescriptors(fd -> fd == 7); // stands for an open /dev/null
            nop(f, 1, 0, 0, 0);
            nop(f, 2, INJECT, 1234, 0);
            nop(f, 3, INJECT, -5, 0);
            nop(f, 4, INJECT, Integer.MIN_VALUE, 0);
            nop(f, 5, 0, 99, 0);
            nop(f, 6, FILE, 0, 7);
            nop(f, 7, FILE, 0, 8);
            nop(f, 8, FILE | FIXED_FILE, 0, 0);
            nop(f, 9, FIXED_FILE, 0, 0);
            nop(f, 10, FIXED_BUFFER, 0, 0);
            nop(f, 11, TW, 0, 0);
            nop(f, 12, TW | INJECT, 42, 0);
            nop(f, 13, 1 << 6, 0, 0);
            assertThat(f.submit()).isEqualTo(13);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactly(
                    tuple(1L, 0), tuple(2L, 1234), tuple(3L, -5), tuple(4L, Integer.MIN_VALUE), tuple(5L, 0),
                    tuple(6L, 0), tuple(7L, -9), tuple(8L, -9), tuple(9L, 0), tuple(10L, -14),
                    tuple(13L, -22), tuple(11L, 0), tuple(12L, 42));
        }
    }

    @Test
    void anInitFailureStopsTheBatchAndCountsTheFailingSqe() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            nop(f, 13, 1 << 6, 0, 0);
            nop(f, 14, 0, 0, 0);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.sqHead()).isEqualTo(1);
        }
    }

    @Test
    void ioprioAndFileErrorsOverrideTheInjectedResult() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            long at = nop(f, 15, 0, 0, 0);
            Sqe.ioprio(f.driver.sqes(), at, 1);
            f.submit();
            nop(f, 16, FILE | INJECT, 99, -1);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-22, -9);
        }
    }

    @Test
    void bufferSelectAndPersonalityAreRefused() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            f.nop(1, 0x20);
            f.submit();
            long at = f.nop(2);
            Sqe.personality(f.driver.sqes(), at, 3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-95, -22);
        }
    }

    @Test
    void opcodeAtOrBeyondOpLastIsEinvalAndNop128IsOutOfRangeOn618() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            long at = f.nop(1);
            Sqe.opcode(f.driver.sqes(), at, 63);
            f.submit();
            at = f.nop(2);
            Sqe.opcode(f.driver.sqes(), at, 200);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-22, -22);
        }
    }

    @Test
    void registeredFilesAndBuffersServeFixedNops() {
        try (ModelFixture f = ModelFixture.of().setup(16, 0)) {
            MemorySegment fds = f.memory.allocate(8);
            fds.set(JAVA_INT, 0, 5);
            fds.set(JAVA_INT, 4, -1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, fds, 2)).isZero();
            MemorySegment buffer = f.memory.allocate(4096);
            MemorySegment iovecs = f.memory.allocate(16);
            iovecs.set(JAVA_LONG, 0, buffer.address());
            iovecs.set(JAVA_LONG, 8, 4096);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iovecs, 1)).isZero();
            nop(f, 1, FILE | FIXED_FILE, 0, 0);
            nop(f, 2, FILE | FIXED_FILE, 0, 1);
            nop(f, 3, FILE | FIXED_FILE, 0, 2);
            nop(f, 4, FIXED_BUFFER, 0, 0);
            long at = nop(f, 5, FIXED_BUFFER, 0, 0);
            Sqe.bufIndex(f.driver.sqes(), at, 3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(0, -9, -9, 0, -14);
        }
    }
}
