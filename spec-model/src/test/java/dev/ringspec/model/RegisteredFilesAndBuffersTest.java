package dev.ringspec.model;

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

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringRsrcUpdate2;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The fixed file and buffer tables. Errnos are from io_uring/rsrc.c ({@code io_sqe_files_register},
 * {@code __io_sqe_files_update}, {@code io_register_rsrc}, {@code io_sqe_buffers_register},
 * {@code io_buffer_validate}) as read for ring-semantics.md; the NOP results are Part B row 21 (N3).
 */
class RegisteredFilesAndBuffersTest {

    private static MemorySegment ints(ModelFixture f, int... values) {
        MemorySegment s = f.memory.allocate(4L * values.length);
        for (int i = 0; i < values.length; i++) {
            s.set(JAVA_INT, 4L * i, values[i]);
        }
        return s;
    }

    private static int fixedFileNop(ModelFixture f, int index) {
        long at = f.nop(1);
        Sqe.opFlags(f.driver.sqes(), at, 2 | 4);
        Sqe.fd(f.driver.sqes(), at, index);
        f.submit();
        return f.reapAll().getFirst().res();
    }

    @Test
    void registerFilesChecksItsArguments() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, MemorySegment.NULL, 1)).isEqualTo(-14);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, 3), 0)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, f.ring.fd()), 1)).isEqualTo(-9);
            f.model.withProcessDescriptors(fd -> fd != 5);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, 3, 5), 2)).isEqualTo(-9);
            assertThat(f.model.register(f.ring, IORING_UNREGISTER_FILES, MemorySegment.NULL, 0)).isEqualTo(-6);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, 3, -1), 2)).isZero();
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, 3), 1)).isEqualTo(-16);
            assertThat(f.model.register(f.ring, IORING_UNREGISTER_FILES, ints(f, 0), 0)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_UNREGISTER_FILES, MemorySegment.NULL, 0)).isZero();
        }
    }

    @Test
    void updatesSkipReplaceAndClearSlots() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            MemorySegment up = f.memory.allocate(IoUringRsrcUpdate.SIZE_BYTES);
            up.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, ints(f, 9).address());
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE, up, 1)).isEqualTo(-6);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, ints(f, 3, -1, 4), 3)).isZero();
            assertThat(fixedFileNop(f, 1)).isEqualTo(-9);
            up.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, 0);
            up.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, ints(f, -2, 6, -1).address());
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE, up, 3)).isEqualTo(3);
            assertThat(fixedFileNop(f, 0)).isZero();
            assertThat(fixedFileNop(f, 1)).isZero();
            assertThat(fixedFileNop(f, 2)).isEqualTo(-9);
            up.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, 2);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE, up, 2)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE, up, 0)).isEqualTo(-22);
            MemorySegment up2 = f.memory.allocate(IoUringRsrcUpdate2.SIZE_BYTES);
            up2.set(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET, ints(f, 7).address());
            up2.set(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET, 2);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE2, up2, 32)).isEqualTo(-22);
            up2.set(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET, 1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE2, up2, 16)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES_UPDATE2, up2, 32)).isEqualTo(1);
            assertThat(fixedFileNop(f, 2)).isZero();
        }
    }

    @Test
    void sparseRegistrationThroughFiles2() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            MemorySegment rr = f.memory.allocate(IoUringRsrcRegister.SIZE_BYTES);
            rr.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, 4);
            rr.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
            rr.set(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET, ints(f, 3).address());
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES2, rr, 32)).isEqualTo(-22);
            rr.set(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET, 0);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES2, rr, 16)).isEqualTo(-22);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES2, rr, 32)).isZero();
            assertThat(fixedFileNop(f, 3)).isEqualTo(-9);
            assertThat(fixedFileNop(f, 4)).isEqualTo(-9);
        }
    }

    @Test
    void buffersAreValidatedPinnedAndUpdated() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            MemorySegment buffer = f.memory.allocate(4096);
            MemorySegment iov = f.memory.allocate(32);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 0)).isEqualTo(-22);
            iov.set(JAVA_LONG, 8, 16);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 1)).isEqualTo(-14);
            iov.set(JAVA_LONG, 0, buffer.address());
            iov.set(JAVA_LONG, 8, (1L << 30) + 1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 1)).isEqualTo(-14);
            iov.set(JAVA_LONG, 8, 8192);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 1)).isEqualTo(-14);
            iov.set(JAVA_LONG, 8, 4096);
            iov.set(JAVA_LONG, 16, 0);
            iov.set(JAVA_LONG, 24, 0);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 2)).isZero();
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 2)).isEqualTo(-16);
            assertThat(bufferNop(f, 0)).isZero();
            assertThat(bufferNop(f, 1)).isEqualTo(-14);
            MemorySegment up = f.memory.allocate(IoUringRsrcUpdate2.SIZE_BYTES);
            up.set(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET, 1);
            up.set(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET, iov.address());
            up.set(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET, 1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS_UPDATE, up, 32)).isEqualTo(1);
            assertThat(bufferNop(f, 1)).isZero();
            assertThat(f.model.register(f.ring, IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0)).isZero();
            assertThat(f.model.register(f.ring, IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0)).isEqualTo(-6);
            assertThat(bufferNop(f, 0)).isEqualTo(-14);
            MemorySegment rr = f.memory.allocate(IoUringRsrcRegister.SIZE_BYTES);
            rr.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, 2);
            rr.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BUFFERS2, rr, 32)).isZero();
            assertThat(bufferNop(f, 0)).isEqualTo(-14);
        }
    }

    private static int bufferNop(ModelFixture f, int index) {
        long at = f.nop(1);
        Sqe.opFlags(f.driver.sqes(), at, 8);
        Sqe.bufIndex(f.driver.sqes(), at, index);
        f.submit();
        return f.reapAll().stream().mapToInt(Cqe::res).findFirst().orElseThrow();
    }
}
