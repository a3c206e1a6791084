package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_RSRC_REGISTER_SPARSE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringRsrcUpdate2;
import java.lang.foreign.MemorySegment;

/**
 * The register opcodes of io_uring/rsrc.c that take {@code struct io_uring_rsrc_register} and the update structs,
 * checked here and carried out by the ring's {@link FileTable} and {@link BufferTable}.
 */
final class Rsrc {
    private final UserArgs args;
    private final FileTable files;
    private final BufferTable buffers;

    Rsrc(UserArgs args, FileTable files, BufferTable buffers) {
        this.args = args;
        this.files = files;
        this.buffers = buffers;
    }

    /** {@code io_register_rsrc}: FILES2 and BUFFERS2 with {@code struct io_uring_rsrc_register}. */
    int registerRsrc(MemorySegment arg, int size, boolean isFiles) {
        // io_register_rsrc: size != sizeof(struct io_uring_rsrc_register) -> -EINVAL
        if (size != IoUringRsrcRegister.SIZE_BYTES) {
            return -EINVAL;
        }
        MemorySegment rr = args.at(arg, 0, IoUringRsrcRegister.SIZE_BYTES);
        if (rr == null) {
            return -EFAULT;
        }
        int nr = rr.get(JAVA_INT, IoUringRsrcRegister.NR_OFFSET);
        int flags = rr.get(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET);
        long data = rr.get(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET);
        long tags = rr.get(JAVA_LONG, IoUringRsrcRegister.TAGS_OFFSET);
        // io_register_rsrc: nr 0 or resv2 -> -EINVAL; unknown flags -> -EINVAL
        if (nr == 0 || rr.get(JAVA_LONG, IoUringRsrcRegister.RESV2_OFFSET) != 0) {
            return -EINVAL;
        }
        if ((flags & ~IORING_RSRC_REGISTER_SPARSE) != 0) {
            return -EINVAL;
        }
        // io_register_rsrc: SPARSE with data -> -EINVAL
        if ((flags & IORING_RSRC_REGISTER_SPARSE) != 0 && data != 0) {
            return -EINVAL;
        }
        MemorySegment base = data == 0 ? null : MemorySegment.ofAddress(data);
        return isFiles ? files.register(base, nr, tags) : buffers.register(base, nr, tags);
    }

    /** {@code io_register_files_update}: the legacy {@code struct io_uring_rsrc_update}. */
    int registerFilesUpdate(MemorySegment arg, int nrArgs) {
        // io_register_files_update: nr_args 0 -> -EINVAL; resv -> -EINVAL
        if (nrArgs == 0) {
            return -EINVAL;
        }
        MemorySegment up = args.at(arg, 0, IoUringRsrcUpdate.SIZE_BYTES);
        if (up == null) {
            return -EFAULT;
        }
        if (up.get(JAVA_INT, IoUringRsrcUpdate.RESV_OFFSET) != 0) {
            return -EINVAL;
        }
        return registerRsrcUpdate(true, up.get(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET),
                up.get(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET), 0, nrArgs);
    }

    /** {@code io_register_rsrc_update}: FILES_UPDATE2 and BUFFERS_UPDATE. */
    int registerRsrcUpdate(MemorySegment arg, int size, boolean isFiles) {
        // io_register_rsrc_update: size != sizeof(struct io_uring_rsrc_update2) -> -EINVAL; nr 0 or resv -> -EINVAL
        if (size != IoUringRsrcUpdate2.SIZE_BYTES) {
            return -EINVAL;
        }
        MemorySegment up = args.at(arg, 0, IoUringRsrcUpdate2.SIZE_BYTES);
        if (up == null) {
            return -EFAULT;
        }
        int nr = up.get(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET);
        if (nr == 0 || up.get(JAVA_INT, IoUringRsrcUpdate2.RESV_OFFSET) != 0
                || up.get(JAVA_INT, IoUringRsrcUpdate2.RESV2_OFFSET) != 0) {
            return -EINVAL;
        }
        return registerRsrcUpdate(isFiles, up.get(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET),
                up.get(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET), up.get(JAVA_LONG, IoUringRsrcUpdate2.TAGS_OFFSET),
                nr);
    }

    /** IORING_OP_FILES_UPDATE's plain form ({@code io_files_update}): {@code __io_register_rsrc_update} of files. */
    int filesUpdate(int offset, long data, int nrArgs) {
        return registerRsrcUpdate(true, offset, data, 0, nrArgs);
    }

    /** {@code __io_register_rsrc_update}. */
    private int registerRsrcUpdate(boolean isFiles, int offset, long data, long tags, int nrArgs) {
        // __io_register_rsrc_update: offset + nr overflows u32 -> -EOVERFLOW
        if (Long.compareUnsigned(Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs), 0xffffffffL) > 0) {
            return -EOVERFLOW;
        }
        return isFiles ? files.update(offset, data, tags, nrArgs) : buffers.update(offset, data, tags, nrArgs);
    }
}
