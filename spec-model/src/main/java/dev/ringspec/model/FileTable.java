package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMFILE;
import static dev.ringspec.uapi.Errno.ENFILE;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_SKIP;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * A ring's registered-file table ({@code ctx->file_table}, io_uring/filetable.c and the file half of rsrc.c): the
 * descriptor held by each slot, -1 for an empty one; no table until one is registered. Not the process's
 * descriptor table ({@link ProcessDescriptorTable}), which registration reads from. The errnos are read from the
 * source and checked by the lockstep engine.
 *
 * <p>A slot may also hold a socket an opcode installed directly ({@link #DIRECT_SOCKET}, {@code io_fixed_fd_install});
 * which slot {@code IORING_FILE_INDEX_ALLOC} takes follows the kernel's bitmap and its {@code alloc_hint}
 * (filetable.c, {@code io_file_bitmap_get}) within the allocation range: the whole table as registered, or what
 * IORING_REGISTER_FILE_ALLOC_RANGE set ({@link #allocRange}).
 */
final class FileTable {
    /** {@code IORING_MAX_FIXED_FILES}. */
    static final int MAX_FIXED_FILES = 1 << 20;

    private final RuleSink rules;
    private final ModelIoUring kernel;
    private final UserArgs args;
    /** A slot's value for a socket installed by SOCKET's direct-descriptor form (no process descriptor). */
    static final int DIRECT_SOCKET = -2;
    private static final int EMPTY = -1;

    private int[] files;
    /** {@code file_table.alloc_hint}: where {@code io_file_bitmap_get} starts looking. */
    private int allocHint;
    /** {@code ctx->file_alloc_start} and {@code file_alloc_end}: the range IORING_FILE_INDEX_ALLOC takes from. */
    private int allocStart;
    private int allocEnd;

    FileTable(RuleSink rules, ModelIoUring kernel, UserArgs args) {
        this.rules = rules;
        this.kernel = kernel;
        this.args = args;
    }

    /** {@code io_file_get_fixed}: slot {@code index} exists and holds a file. */
    boolean valid(int index) {
        int[] table = files;
        return table != null && Integer.compareUnsigned(index, table.length) < 0 && table[index] != EMPTY;
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
                releaseAll(table, i);
                return -EBADF;
            }
            table[i] = kernel.descriptorTable().acquire(fd);
            // io_sqe_files_register: io_file_bitmap_set moves the hint, but the range set at the end resets it
        }
        files = table;
        // io_sqe_files_register: io_file_table_set_alloc_range(ctx, 0, nr), the hint at its start
        setAllocRange(0, nrArgs);
        rules.fire(Rules.FILES_REGISTERED, nrArgs);
        return 0;
    }

    /** {@code io_sqe_files_unregister}: no table -> -ENXIO. */
    int unregister() {
        if (files == null) {
            return -ENXIO;
        }
        releaseAll(files, files.length);
        files = null;
        setAllocRange(0, 0);
        return 0;
    }

    /** {@code io_ring_ctx_free}'s {@code io_sqe_files_unregister}, in the closed ring's exit work. */
    void freeAtExit() {
        if (files != null) {
            for (int reference : files) {
                if (reference >= 0) {
                    kernel.descriptorTable().releaseAtExit(reference);
                }
            }
            files = null;
        }
    }

    /** {@code io_file_table_set_alloc_range}. */
    private void setAllocRange(int off, int len) {
        allocStart = off;
        allocEnd = off + len;
        allocHint = off;
    }

    /**
     * {@code io_register_file_alloc_range}: {@code struct io_uring_file_index_range} (off, len, resv) at {@code arg}
     * is where IORING_FILE_INDEX_ALLOC takes slots from now on: -EFAULT unreadable, -EOVERFLOW where off + len wraps,
     * -EINVAL with resv set or an end past the table (no table: 0 slots); else 0.
     */
    int allocRange(MemorySegment arg) {
        MemorySegment range = args.at(arg, 0, 16);
        if (range == null) {
            return -EFAULT;
        }
        int off = range.get(JAVA_INT_UNALIGNED, 0);
        int len = range.get(JAVA_INT_UNALIGNED, 4);
        long end = Integer.toUnsignedLong(off) + Integer.toUnsignedLong(len);
        if (end > 0xffffffffL) {
            return -EOVERFLOW;
        }
        if (range.get(JAVA_LONG_UNALIGNED, 8) != 0 || end > (files == null ? 0 : files.length)) {
            return -EINVAL;
        }
        setAllocRange(off, len);
        return 0;
    }

    /** {@code fput} of the first {@code n} slots' files. */
    private void releaseAll(int[] table, int n) {
        for (int i = 0; i < n; i++) {
            release(table[i]);
        }
    }

    private void release(int reference) {
        if (reference >= 0) {
            kernel.descriptorTable().release(reference);
        }
    }

    /** The table's size ({@code file_table.data.nr}), 0 without one. */
    int size() {
        int[] table = files;
        return table == null ? 0 : table.length;
    }

    /** The descriptor slot {@code index} holds (a reference of the process's table), or -1 for none. */
    int descriptor(int index) {
        int[] table = files;
        return table != null && Integer.compareUnsigned(index, table.length) < 0 ? table[index] : -1;
    }

    /**
     * {@code __io_fixed_fd_install} of a socket: slot {@code fileSlot - 1}, or with IORING_FILE_INDEX_ALLOC the first
     * free slot from the hint on, then from the start; 0 or the allocated index, or the kernel's -errno.
     */
    int fixedFdInstall(int fileSlot) {
        return fixedFdInstall(fileSlot, DIRECT_SOCKET);
    }

    /**
     * The same with a descriptor the opcode opened ({@code descriptor}, owned by the table from now on when this
     * answers 0 or an index; the caller closes it otherwise).
     */
    int fixedFdInstall(int fileSlot, int descriptor) {
        boolean allocSlot = fileSlot == IORING_FILE_INDEX_ALLOC;
        int slot;
        if (allocSlot) {
            // io_file_bitmap_get: no table (no bitmap) or no free slot -> -ENFILE
            slot = bitmapGet();
            if (slot < 0) {
                rules.fire(Rules.FIXED_FD_INSTALL_NO_FREE_SLOT, 0);
                return -ENFILE;
            }
        } else {
            slot = fileSlot - 1;
        }
        // io_install_fixed_file: no table -> -ENXIO; slot past its end -> -EINVAL
        if (files == null) {
            rules.fire(Rules.FIXED_FD_INSTALL_NO_TABLE, 0);
            return -ENXIO;
        }
        if (Integer.compareUnsigned(slot, files.length) >= 0) {
            rules.fire(Rules.FIXED_FD_INSTALL_OUT_OF_RANGE, Integer.toUnsignedLong(slot));
            return -EINVAL;
        }
        // io_install_fixed_file: a slot that was empty is set in the bitmap (the hint moves past it); an occupied
        // one is replaced in place
        if (files[slot] == EMPTY) {
            allocHint = slot + 1;
        }
        release(files[slot]);
        files[slot] = descriptor;
        rules.fire(Rules.FIXED_FD_INSTALLED, slot);
        return allocSlot ? slot : 0;
    }

    /**
     * {@code io_fixed_fd_remove} (filetable.c; CLOSE of a direct descriptor): -ENXIO without a table, -EINVAL past
     * its end, -EBADF for an empty slot; else the slot's reference is released, the slot is free and the
     * allocation hint points at it ({@code io_file_bitmap_clear}).
     */
    int fixedFdRemove(int offset) {
        if (files == null || files.length == 0) {
            rules.fire(Rules.FIXED_FD_REMOVE_REFUSED, -ENXIO);
            return -ENXIO;
        }
        if (Integer.compareUnsigned(offset, files.length) >= 0) {
            rules.fire(Rules.FIXED_FD_REMOVE_REFUSED, -EINVAL);
            return -EINVAL;
        }
        if (files[offset] == EMPTY) {
            rules.fire(Rules.FIXED_FD_REMOVE_REFUSED, -EBADF);
            return -EBADF;
        }
        release(files[offset]);
        files[offset] = EMPTY;
        allocHint = offset;
        rules.fire(Rules.FIXED_FD_REMOVED, offset);
        return 0;
    }

    /**
     * {@code io_file_bitmap_get}: the first free slot from the hint to the range's end, then from the range's start
     * up to the hint (a hint outside the range starts at its start); or -1.
     */
    private int bitmapGet() {
        if (files == null) {
            return -1;
        }
        if (allocHint < allocStart || allocHint >= allocEnd) {
            allocHint = allocStart;
        }
        int nr = allocEnd;
        while (true) {
            for (int i = allocHint; i < Math.min(nr, files.length); i++) {
                if (files[i] == EMPTY) {
                    return i;
                }
            }
            if (allocHint == allocStart) {
                return -1;
            }
            nr = allocHint;
            allocHint = allocStart;
        }
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
            // __io_sqe_files_update: io_file_bitmap_clear of an occupied slot moves the hint to it
            if (files[slot] != EMPTY) {
                allocHint = slot;
            }
            release(files[slot]);
            files[slot] = -1;
            if (fd != -1) {
                // __io_sqe_files_update: fget fails, or an io_uring file -> -EBADF
                if (!registrable(fd)) {
                    rules.fire(Rules.FILES_REGISTER_BAD_FD, fd);
                    err = -EBADF;
                    break;
                }
                files[slot] = kernel.descriptorTable().acquire(fd);
                allocHint = slot + 1;
            }
        }
        return done != 0 ? done : err;
    }
}
