package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMFILE;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_SKIP;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/**
 * A ring's registered-file table ({@code ctx->file_table}, io_uring/filetable.c and the file half of rsrc.c): the
 * descriptor held by each slot, -1 for an empty one; no table until one is registered. Not the process's
 * descriptor table ({@link ProcessDescriptorTable}), which registration reads from. The errnos are read from the
 * source and checked by the lockstep engine.
 */
final class FileTable {
    /** {@code IORING_MAX_FIXED_FILES}. */
    static final int MAX_FIXED_FILES = 1 << 20;

    private final RuleSink rules;
    private final ModelIoUring kernel;
    private final UserArgs args;
    private int[] files;

    FileTable(RuleSink rules, ModelIoUring kernel, UserArgs args) {
        this.rules = rules;
        this.kernel = kernel;
        this.args = args;
    }

    /** {@code io_file_get_fixed}: slot {@code index} exists and holds a file. */
    boolean valid(int index) {
        int[] table = files;
        return table != null && Integer.compareUnsigned(index, table.length) < 0 && table[index] >= 0;
    }

    /** {@code fget} for registration: open in the process, and not an io_uring file. */
    private boolean registrable(int fd) {
        return kernel.descriptorTable().isOpen(fd) && !kernel.isRingFd(fd);
    }

    /** {@code io_sqe_files_register}; {@code fds} null means sparse. */
    int register(MemorySegment fds, int nrArgs, long tags) {
        // io_sqe_files_register: a table already -> -EBUSY, then nr_args 0 -> -EINVAL (that order in every kernel
        // read: 6.1.192 rsrc.c, 6.12.117 rsrc.c, 7.1.8 rsrc.c, io_sqe_files_register); too many -> -EMFILE
        if (files != null) {
            rules.fire(Rules.FILES_REGISTER_BUSY, 0);
            return -EBUSY;
        }
        if (nrArgs == 0) {
            return -EINVAL;
        }
        if (Integer.compareUnsigned(nrArgs, MAX_FIXED_FILES) > 0 || Integer.toUnsignedLong(nrArgs)
                > kernel.descriptorTable().noFileLimit()) {
            return -EMFILE;
        }
        int[] table = new int[nrArgs];
        for (int i = 0; i < nrArgs; i++) {
            long tag = args.tagAt(tags, i);
            if (tag == Long.MIN_VALUE) {
                return -EFAULT;
            }
            int fd = -1;
            if (fds != null) {
                MemorySegment f = args.at(fds, 4L * i, 4);
                if (f == null) {
                    return -EFAULT;
                }
                fd = f.get(JAVA_INT, 0);
            }
            // io_sqe_files_register: a sparse slot with a tag -> -EINVAL
            if (fds == null || fd == -1) {
                if (tag != 0) {
                    return -EINVAL;
                }
                table[i] = -1;
                continue;
            }
            if (tag != 0) {
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            // io_sqe_files_register: fget fails, or an io_uring file -> -EBADF
            if (!registrable(fd)) {
                rules.fire(Rules.FILES_REGISTER_BAD_FD, fd);
                return -EBADF;
            }
            table[i] = fd;
        }
        files = table;
        rules.fire(Rules.FILES_REGISTERED, nrArgs);
        return 0;
    }

    /** {@code io_sqe_files_unregister}: no table -> -ENXIO. */
    int unregister() {
        if (files == null) {
            return -ENXIO;
        }
        files = null;
        return 0;
    }

    /** {@code __io_sqe_files_update}: returns how many were done, or the error of the first. */
    int update(int offset, long data, long tags, int nrArgs) {
        // __io_sqe_files_update: no table -> -ENXIO; past its end -> -EINVAL
        if (files == null) {
            return -ENXIO;
        }
        if (Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs) > files.length) {
            return -EINVAL;
        }
        int done;
        int err = 0;
        for (done = 0; done < nrArgs; done++) {
            long tag = args.tagAt(tags, done);
            if (tag == Long.MIN_VALUE) {
                err = -EFAULT;
                break;
            }
            MemorySegment f = args.resolve(data + 4L * done, 4);
            if (f == null) {
                err = -EFAULT;
                break;
            }
            int fd = f.get(JAVA_INT, 0);
            // __io_sqe_files_update: SKIP or -1 with a tag -> -EINVAL
            if ((fd == IORING_REGISTER_FILES_SKIP || fd == -1) && tag != 0) {
                err = -EINVAL;
                break;
            }
            if (fd == IORING_REGISTER_FILES_SKIP) {
                continue;
            }
            if (tag != 0) {
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            int slot = offset + done;
            files[slot] = -1;
            if (fd != -1) {
                // __io_sqe_files_update: fget fails, or an io_uring file -> -EBADF
                if (!registrable(fd)) {
                    rules.fire(Rules.FILES_REGISTER_BAD_FD, fd);
                    err = -EBADF;
                    break;
                }
                files[slot] = fd;
            }
        }
        return done != 0 ? done : err;
    }
}
