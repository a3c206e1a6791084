package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE2;
import static dev.ringspec.uapi.IoUring.IORING_RSRC_REGISTER_SPARSE;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringRsrcUpdate2;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;

/**
 * The registered file and buffer tables, looked up by fixed NOPs. Errnos are from io_uring/rsrc.c
 * ({@code io_sqe_files_register}, {@code __io_sqe_files_update}, {@code io_register_rsrc},
 * {@code io_sqe_buffers_register}, {@code io_buffer_validate}) as read for ring-semantics.md; the NOP results are
 * Part B row 21 (N3).
 */
@Tag("kernel")
class RegisteredFilesAndBuffersTest {
    private static final int SKIP_SLOT = -2;

    private Backend pipeOwner;
    private int[] pipe;

    /** A pipe in the backend's process: two descriptors to register. */
    private int[] pipe(Backend backend) {
        pipeOwner = backend;
        pipe = backend.process().pipe();
        assertThat(pipe).as("pipe on %s", backend.name()).hasSize(2);
        return pipe;
    }

    @AfterEach
    void closePipe() {
        if (pipe != null && pipe.length == 2) {
            pipeOwner.process().close(pipe[0]);
            pipeOwner.process().close(pipe[1]);
        }
    }

    private static void assumeFixedNops(Backend backend) {
        int flags = IORING_NOP_FILE | IORING_NOP_FIXED_FILE | IORING_NOP_FIXED_BUFFER;
        assumeTrue((backend.capabilities().nopFlags() & flags) == flags,
                () -> backend.name() + " lacks IORING_NOP_FILE, FIXED_FILE or FIXED_BUFFER");
    }

    private static MemorySegment ints(Backend backend, int... values) {
        MemorySegment s = backend.memory().allocate(4L * Math.max(1, values.length), 8);
        for (int i = 0; i < values.length; i++) {
            s.set(JAVA_INT, 4L * i, values[i]);
        }
        return s;
    }

    private static int fixedFileNop(ScenarioRing r, int index) {
        Sqe.fd(r.sqes(), r.nop(1, 0, IORING_NOP_FILE | IORING_NOP_FIXED_FILE, 0), index);
        assertThat(r.submit()).isEqualTo(1);
        return r.reap().res();
    }

    private static int bufferNop(ScenarioRing r, int index) {
        Sqe.bufIndex(r.sqes(), r.nop(1, 0, IORING_NOP_FIXED_BUFFER, 0), index);
        assertThat(r.submit()).isEqualTo(1);
        return r.reap().res();
    }

    // io_sqe_files_register: NULL -> -EFAULT, nr 0 -> -EINVAL, an io_uring or a closed descriptor -> -EBADF; one
    // table per ring (-EBUSY); unregister takes no argument (-EINVAL) and needs a table (-ENXIO).
    @Scenario
    void registerFilesChecksItsArguments(Backend backend) {
        int[] fds = pipe(backend);
        int[] other = backend.process().pipe();
        assertThat(other).hasSize(2);
        assertThat(backend.process().close(other[0])).isZero();
        assertThat(backend.process().close(other[1])).isZero();
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            assertThat(r.register(IORING_REGISTER_FILES, MemorySegment.NULL, 1)).isEqualTo(-EFAULT);
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, fds[0]), 0)).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, r.ring.fd()), 1)).as("a ring")
                    .isEqualTo(-EBADF);
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, fds[0], other[0]), 2)).as("a closed fd")
                    .isEqualTo(-EBADF);
            assertThat(r.register(IORING_UNREGISTER_FILES, MemorySegment.NULL, 0)).isEqualTo(-ENXIO);
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, fds[0], -1), 2)).isZero();
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, fds[0]), 1)).isEqualTo(-EBUSY);
            assertThat(r.register(IORING_UNREGISTER_FILES, ints(backend, 0), 0)).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_UNREGISTER_FILES, MemorySegment.NULL, 0)).isZero();
        }
    }

    // __io_sqe_files_update: -2 skips a slot, a descriptor replaces it, -1 clears it; the range must lie in the
    // table and be non-empty; FILES_UPDATE2 checks its size and nr.
    @Scenario
    void updatesSkipReplaceAndClearSlots(Backend backend) {
        assumeFixedNops(backend);
        int[] fds = pipe(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment up = backend.memory().allocate(IoUringRsrcUpdate.SIZE_BYTES, 8);
            up.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, ints(backend, fds[0]).address());
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE, up, 1)).as("no table").isEqualTo(-ENXIO);
            assertThat(r.register(IORING_REGISTER_FILES, ints(backend, fds[0], -1, fds[1]), 3)).isZero();
            assertThat(fixedFileNop(r, 1)).isEqualTo(-EBADF);
            up.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, 0);
            up.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, ints(backend, SKIP_SLOT, fds[1], -1).address());
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE, up, 3)).isEqualTo(3);
            assertThat(fixedFileNop(r, 0)).isZero();
            assertThat(fixedFileNop(r, 1)).isZero();
            assertThat(fixedFileNop(r, 2)).isEqualTo(-EBADF);
            up.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, 2);
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE, up, 2)).as("beyond the table").isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE, up, 0)).isEqualTo(-EINVAL);

            MemorySegment up2 = backend.memory().allocate(IoUringRsrcUpdate2.SIZE_BYTES, 8);
            up2.set(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET, ints(backend, fds[0]).address());
            up2.set(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET, 2);
            int size = (int) IoUringRsrcUpdate2.SIZE_BYTES;
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE2, up2, size)).as("nr 0").isEqualTo(-EINVAL);
            up2.set(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET, 1);
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE2, up2, 16)).as("wrong size").isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_FILES_UPDATE2, up2, size)).isEqualTo(1);
            assertThat(fixedFileNop(r, 2)).isZero();
        }
    }

    // io_register_rsrc: SPARSE takes no data; the size must be the struct's; a sparse table's slots are empty and
    // an index beyond it is -EBADF too.
    @Scenario
    void sparseRegistrationThroughFiles2(Backend backend) {
        assumeFixedNops(backend);
        int[] fds = pipe(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment rr = backend.memory().allocate(IoUringRsrcRegister.SIZE_BYTES, 8);
            rr.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, 4);
            rr.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
            rr.set(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET, ints(backend, fds[0]).address());
            int size = (int) IoUringRsrcRegister.SIZE_BYTES;
            assertThat(r.register(IORING_REGISTER_FILES2, rr, size)).as("sparse with data").isEqualTo(-EINVAL);
            rr.set(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET, 0);
            assertThat(r.register(IORING_REGISTER_FILES2, rr, 16)).as("wrong size").isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_FILES2, rr, size)).isZero();
            assertThat(fixedFileNop(r, 3)).isEqualTo(-EBADF);
            assertThat(fixedFileNop(r, 4)).isEqualTo(-EBADF);
        }
    }

    // io_sqe_buffers_register and io_buffer_validate: nr 0 -> -EINVAL; no base with a length, or more than 1 GiB
    // -> -EFAULT; {0, 0} is an empty slot; one table per ring; BUFFERS_UPDATE fills a slot; unregister empties the
    // table (then -ENXIO); BUFFERS2 registers a sparse one.
    @Scenario
    void buffersAreValidatedRegisteredAndUpdated(Backend backend) {
        assumeFixedNops(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            MemorySegment buffer = backend.memory().allocate(4096, 4096);
            MemorySegment iov = backend.memory().allocate(32, 8);
            assertThat(r.register(IORING_REGISTER_BUFFERS, iov, 0)).isEqualTo(-EINVAL);
            iov.set(JAVA_LONG, 8, 16);
            assertThat(r.register(IORING_REGISTER_BUFFERS, iov, 1)).as("no base").isEqualTo(-EFAULT);
            iov.set(JAVA_LONG, 0, buffer.address());
            iov.set(JAVA_LONG, 8, (1L << 30) + 1);
            assertThat(r.register(IORING_REGISTER_BUFFERS, iov, 1)).as("over 1 GiB").isEqualTo(-EFAULT);
            iov.set(JAVA_LONG, 8, 4096);
            assertThat(r.register(IORING_REGISTER_BUFFERS, iov, 2)).isZero();
            assertThat(r.register(IORING_REGISTER_BUFFERS, iov, 2)).isEqualTo(-EBUSY);
            assertThat(bufferNop(r, 0)).isZero();
            assertThat(bufferNop(r, 1)).as("the empty slot").isEqualTo(-EFAULT);

            MemorySegment up = backend.memory().allocate(IoUringRsrcUpdate2.SIZE_BYTES, 8);
            up.set(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET, 1);
            up.set(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET, iov.address());
            up.set(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET, 1);
            assertThat(r.register(IORING_REGISTER_BUFFERS_UPDATE, up, (int) IoUringRsrcUpdate2.SIZE_BYTES))
                    .isEqualTo(1);
            assertThat(bufferNop(r, 1)).isZero();
            assertThat(r.register(IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0)).isZero();
            assertThat(r.register(IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0)).isEqualTo(-ENXIO);
            assertThat(bufferNop(r, 0)).isEqualTo(-EFAULT);

            MemorySegment rr = backend.memory().allocate(IoUringRsrcRegister.SIZE_BYTES, 8);
            rr.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, 2);
            rr.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
            assertThat(r.register(IORING_REGISTER_BUFFERS2, rr, (int) IoUringRsrcRegister.SIZE_BYTES)).isZero();
            assertThat(bufferNop(r, 0)).as("a sparse slot").isEqualTo(-EFAULT);
        }
    }
}
