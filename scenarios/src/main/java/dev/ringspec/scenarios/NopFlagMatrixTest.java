package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Tag;

/** The NOP flag matrix (ring-semantics.md A4, Part B row 21 N1 and N3, Appendix A.12). */
@Tag("kernel")
class NopFlagMatrixTest {

    private static Cqe one(ScenarioRing r) {
        assertThat(r.submit()).isEqualTo(1);
        assertThat(r.ready()).isEqualTo(1);
        return r.reap();
    }

    // Row 21 ud2-ud5: INJECT_RESULT posts (s32) len; without it len is ignored.
    @Scenario
    void injectResultPostsLenAsSignedResult(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(1, 0, 0, 0);
            r.nop(2, 0, IORING_NOP_INJECT_RESULT, 1234);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, -5);
            r.nop(4, 0, IORING_NOP_INJECT_RESULT, 0x80000000);
            r.nop(5, 0, 0, 777);
            assertThat(r.submit()).isEqualTo(5);
            assertThat(r.reapAll()).extracting(Cqe::res).containsExactly(0, 1234, -5, Integer.MIN_VALUE, 0);
        }
    }

    // Row 21 ud6-ud9, ud16: FILE looks the fd up (a pipe end: 0; -1: -EBADF, overriding an injected result);
    // FILE|FIXED_FILE with no table -> -EBADF; FIXED_FILE without FILE is ignored.
    @Scenario
    void nopFileLooksUpTheFdAndItsErrorWins(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_FILE | IORING_NOP_FIXED_FILE);
        int[] pipe = backend.process().pipe();
        assertThat(pipe).hasSize(2);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            Sqe.fd(r.sqes(), r.nop(6, 0, IORING_NOP_FILE, 0), pipe[0]);
            Sqe.fd(r.sqes(), r.nop(7, 0, IORING_NOP_FILE, 0), -1);
            Sqe.fd(r.sqes(), r.nop(8, 0, IORING_NOP_FILE | IORING_NOP_FIXED_FILE, 0), 0);
            Sqe.fd(r.sqes(), r.nop(9, 0, IORING_NOP_FIXED_FILE, 0), 5);
            Sqe.fd(r.sqes(), r.nop(16, 0, IORING_NOP_FILE | IORING_NOP_INJECT_RESULT, 99), -1);
            assertThat(r.submit()).isEqualTo(5);
            assertThat(r.reapAll()).containsExactly(new Cqe(6, 0, 0, 0, 0), new Cqe(7, -EBADF, 0, 0, 0),
                    new Cqe(8, -EBADF, 0, 0, 0), new Cqe(9, 0, 0, 0, 0), new Cqe(16, -EBADF, 0, 0, 0));
        } finally {
            backend.process().close(pipe[0]);
            backend.process().close(pipe[1]);
        }
    }

    // Row 21 ud10: FIXED_BUFFER without a buffer table -> -EFAULT.
    @Scenario
    void nopFixedBufferWithoutTableIsEfault(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_FIXED_BUFFER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(10, 0, IORING_NOP_FIXED_BUFFER, 0);
            assertThat(one(r)).isEqualTo(new Cqe(10, -EFAULT, 0, 0, 0));
        }
    }

    // Row 21 ud13, A4: nop_flags bits above CQE32 (bits 6, 7) -> -EINVAL at prep, and the batch stops there.
    @Scenario
    void unknownNopFlagBitIsEinvalAndStopsTheBatch(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(13, 0, 1 << 6, 0);
            r.nop(14, 0, 0, 0);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.sq().loadAcquireHead()).as("the failing SQE is consumed").isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(13, -EINVAL, 0, 0, 0));
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            r.reapAll();
            r.nop(15, 0, 1 << 7, 0);
            assertThat(one(r)).isEqualTo(new Cqe(15, -EINVAL, 0, 0, 0));
        }
    }

    // Row 21 ud14: NOP_CQE32 on a 16-byte CQ ring -> -EINVAL.
    @Scenario
    void nopCqe32OnA16ByteRingIsEinval(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_CQE32);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(14, 0, IORING_NOP_CQE32, 0);
            assertThat(one(r)).isEqualTo(new Cqe(14, -EINVAL, 0, 0, 0));
        }
    }

    // Row 21 ud11/12: TW completions come after the batch's inline CQEs, before enter returns (non-DEFER ring).
    @Scenario
    void nopTwCompletesAfterTheInlineCqesOfItsBatch(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_TW);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            r.nop(11, 0, IORING_NOP_TW, 0);
            r.nop(12, 0, IORING_NOP_TW | IORING_NOP_INJECT_RESULT, 42);
            r.nop(13, 0, 0, 0);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).containsExactly(new Cqe(13, 0, 0, 0, 0), new Cqe(11, 0, 0, 0, 0),
                    new Cqe(12, 42, 0, 0, 0));
        }
    }

    // Row 21 N3: registered files: index 0 (a pipe) -> 0, an empty slot -> -EBADF, out of range -> -EBADF.
    @Scenario
    void nopFixedFileLooksUpTheRegisteredTable(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_FILE | IORING_NOP_FIXED_FILE);
        int[] pipe = backend.process().pipe();
        assertThat(pipe).hasSize(2);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment fds = backend.memory().allocate(2L * Integer.BYTES, 8);
            fds.set(JAVA_INT, 0, pipe[0]);
            fds.set(JAVA_INT, 4, -1);
            assertThat(r.register(IORING_REGISTER_FILES, fds, 2)).isZero();
            int fixed = IORING_NOP_FILE | IORING_NOP_FIXED_FILE;
            Sqe.fd(r.sqes(), r.nop(1, 0, fixed, 0), 0);
            Sqe.fd(r.sqes(), r.nop(2, 0, fixed, 0), 1);
            Sqe.fd(r.sqes(), r.nop(3, 0, fixed, 0), 5);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).extracting(Cqe::res).containsExactly(0, -EBADF, -EBADF);
        } finally {
            backend.process().close(pipe[0]);
            backend.process().close(pipe[1]);
        }
    }

    // Row 21 N3 and A4: registered buffer 0 -> 0 (an injected result is kept), buffer 3 (out of range) -> -EFAULT.
    @Scenario
    void nopFixedBufferLooksUpTheRegisteredTable(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_FIXED_BUFFER | IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment buffer = backend.memory().allocate(4096, 4096);
            MemorySegment iovec = backend.memory().allocate(16, 8);
            iovec.set(JAVA_LONG, 0, buffer.address());
            iovec.set(JAVA_LONG, 8, buffer.byteSize());
            assertThat(r.register(IORING_REGISTER_BUFFERS, iovec, 1)).isZero();
            Sqe.bufIndex(r.sqes(), r.nop(1, 0, IORING_NOP_FIXED_BUFFER, 0), 0);
            Sqe.bufIndex(r.sqes(), r.nop(2, 0, IORING_NOP_FIXED_BUFFER | IORING_NOP_INJECT_RESULT, 77), 0);
            Sqe.bufIndex(r.sqes(), r.nop(3, 0, IORING_NOP_FIXED_BUFFER, 0), 3);
            assertThat(r.submit()).isEqualTo(3);
            List<Cqe> cqes = r.reapAll();
            assertThat(cqes).extracting(Cqe::res).containsExactly(0, 77, -EFAULT);
        }
    }

    // Row 21 in one batch: every inline result in submission order, the init failure (ud 13, bit 6) last among them
    // and ending the batch, then the task work completions (ud 11, 12).
    @Scenario
    void theWholeMatrixInOneBatchCompletesInlineFirstThenTaskWork(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_FIXED_FILE
                | IORING_NOP_FIXED_BUFFER | IORING_NOP_TW);
        int[] pipe = backend.process().pipe();
        assertThat(pipe).hasSize(2);
        try (ScenarioRing r = ScenarioRing.open(backend, 16, 0)) {
            r.nop(1, 0, 0, 0);
            r.nop(2, 0, IORING_NOP_INJECT_RESULT, 1234);
            r.nop(3, 0, IORING_NOP_INJECT_RESULT, -5);
            r.nop(4, 0, IORING_NOP_INJECT_RESULT, Integer.MIN_VALUE);
            r.nop(5, 0, 0, 99);
            Sqe.fd(r.sqes(), r.nop(6, 0, IORING_NOP_FILE, 0), pipe[0]);
            Sqe.fd(r.sqes(), r.nop(7, 0, IORING_NOP_FILE, 0), -1);
            Sqe.fd(r.sqes(), r.nop(8, 0, IORING_NOP_FILE | IORING_NOP_FIXED_FILE, 0), 0);
            r.nop(9, 0, IORING_NOP_FIXED_FILE, 0);
            r.nop(10, 0, IORING_NOP_FIXED_BUFFER, 0);
            r.nop(11, 0, IORING_NOP_TW, 0);
            r.nop(12, 0, IORING_NOP_TW | IORING_NOP_INJECT_RESULT, 42);
            r.nop(13, 0, 1 << 6, 0);
            r.nop(14, 0, 0, 0);
            assertThat(r.submit()).isEqualTo(13);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 1234, 0, 0, 0),
                    new Cqe(3, -5, 0, 0, 0), new Cqe(4, Integer.MIN_VALUE, 0, 0, 0), new Cqe(5, 0, 0, 0, 0),
                    new Cqe(6, 0, 0, 0, 0), new Cqe(7, -EBADF, 0, 0, 0), new Cqe(8, -EBADF, 0, 0, 0),
                    new Cqe(9, 0, 0, 0, 0), new Cqe(10, -EFAULT, 0, 0, 0), new Cqe(13, -EINVAL, 0, 0, 0),
                    new Cqe(11, 0, 0, 0, 0), new Cqe(12, 42, 0, 0, 0));
        } finally {
            backend.process().close(pipe[0]);
            backend.process().close(pipe[1]);
        }
    }
}
