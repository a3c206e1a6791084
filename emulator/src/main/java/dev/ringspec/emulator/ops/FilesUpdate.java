package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/rsrc.c's {@code IORING_OP_FILES_UPDATE}: the model's registered-file update (the same as
 * IORING_REGISTER_FILES_UPDATE's), or with {@code IORING_FILE_INDEX_ALLOC} each descriptor into a free slot, its
 * index written back over it.
 */
public final class FilesUpdate {
    private FilesUpdate() {
    }

    public static List<EmuOp> ops(EmulatorServices services) {
        ProcessDescriptorTable table = services.processDescriptors();
        return List.of(EmuOp.of(new OpDef(IORING_OP_FILES_UPDATE, "FILES_UPDATE", OpDef.IOPOLL, FilesUpdate::prep,
                (req, ctx) -> filesUpdate(req, ctx, table))));
    }

    /** {@code io_files_update_prep}. */
    static int prep(Req req, IssueContext ctx) {
        if ((req.flags() & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT)) != 0) {
            return -EINVAL;
        }
        if (req.opFlags() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        return req.len() == 0 ? -EINVAL : 0;
    }

    /** {@code io_files_update}: offset (a u32) from off, nr_args from len, the descriptors at addr. */
    static int filesUpdate(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        int offset = (int) req.off();
        if (offset != IORING_FILE_INDEX_ALLOC) {
            // io_sqe_files_update: each slot's node put; a file's fput waits for the call's return (TaskFput)
            TaskFput.holdSlots(req, ctx, offset, req.len());
        }
        int ret = offset == IORING_FILE_INDEX_ALLOC ? withIndexAlloc(req, ctx, table)
                : ctx.filesUpdate(offset, req.addr(), req.len());
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** {@code io_files_update_with_index_alloc}: how many were installed, or the first one's error. */
    private static int withIndexAlloc(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        if (ctx.fileTableSize() == 0) {
            return -ENXIO;
        }
        int nr = req.len();
        int done;
        int ret = 0;
        for (done = 0; Integer.compareUnsigned(done, nr) < 0; done++) {
            MemorySegment slot = ctx.userMemory(req.addr() + 4L * done, 4);
            if (slot == null) {
                ret = -EFAULT;
                break;
            }
            int fd = slot.get(JAVA_INT, 0);
            // fget: the application's descriptor (a copy of this process where the application is another)
            int local = table.get(fd);
            int dup = -EBADF;
            if (local >= 0) {
                dup = Linux.dup(local);
                table.put(local);
            }
            if (dup < 0) {
                ret = -EBADF;
                break;
            }
            ret = NetSockets.install(req, ctx, IORING_FILE_INDEX_ALLOC, dup);
            if (ret < 0) {
                break;
            }
            slot.set(JAVA_INT, 0, ret);
        }
        return done != 0 ? done : ret;
    }
}
