package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * A ring's registered-buffer table ({@code ctx->buf_table}, the buffer half of io_uring/rsrc.c): whether each slot
 * holds a pinned buffer; no table until one is registered. The model pins nothing: a buffer is pinnable when the
 * application's memory holds all of it.
 */
final class BufferTable {
    /** {@code IORING_MAX_REG_BUFFERS}. */
    static final int MAX_REG_BUFFERS = 1 << 14;
    private static final long PAGE_BYTES = 4096;

    private final KernelProfile profile;
    private final RuleSink rules;
    private final UserArgs args;
    private boolean[] buffers;
    /** Each slot's {@code iov_base} and {@code iov_len}, at {@code 2 * slot} and {@code 2 * slot + 1}. */
    private long[] ranges;

    BufferTable(KernelProfile profile, RuleSink rules, UserArgs args) {
        this.profile = profile;
        this.rules = rules;
        this.args = args;
    }

    /** {@code io_find_buf_node}: slot {@code index} exists and holds a buffer. */
    boolean valid(int index) {
        boolean[] table = buffers;
        return table != null && Integer.compareUnsigned(index, table.length) < 0 && table[index];
    }

    /** The buffer in slot {@code index} ({@code io_find_buf_node}), or null for none. */
    RegisteredBuffer buffer(int index) {
        if (!valid(index)) {
            return null;
        }
        long[] r = ranges;
        return new RegisteredBuffer(r[2 * index], r[2 * index + 1]);
    }

    /** {@code io_sqe_buffers_register}; {@code iovecs} null means sparse. */
    int register(MemorySegment iovecs, int nrArgs, long tags) {
        // io_sqe_buffers_register: a table already -> -EBUSY; nr 0 or too many -> -EINVAL
        if (buffers != null) {
            rules.fire(Rules.BUFFERS_REGISTER_BUSY, 0);
            return -EBUSY;
        }
        if (nrArgs == 0 || Integer.compareUnsigned(nrArgs, MAX_REG_BUFFERS) > 0) {
            return -EINVAL;
        }
        boolean[] table = new boolean[nrArgs];
        long[] newRanges = new long[2 * nrArgs];
        for (int i = 0; i < nrArgs; i++) {
            long base = 0;
            long len = 0;
            if (iovecs != null) {
                MemorySegment iov = args.at(iovecs, 16L * i, 16);
                if (iov == null) {
                    return -EFAULT;
                }
                base = iov.get(JAVA_LONG, 0);
                len = iov.get(JAVA_LONG, 8);
                int result = bufferValidate(base, len);
                if (result != 0) {
                    return result;
                }
            }
            long tag = args.tagAt(tags, i);
            if (tag == Long.MIN_VALUE) {
                return -EFAULT;
            }
            int result = bufferRegister(base, len);
            if (result < 0) {
                return result;
            }
            if (tag != 0) {
                // io_sqe_buffers_register: a tag on a sparse slot -> -EINVAL
                if (result == 0) {
                    return -EINVAL;
                }
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            table[i] = result == 1;
            newRanges[2 * i] = base;
            newRanges[2 * i + 1] = len;
        }
        ranges = newRanges;
        buffers = table;
        rules.fire(Rules.BUFFERS_REGISTERED, nrArgs);
        return 0;
    }

    /**
     * {@code io_buffer_validate}: a null base needs len 0; len 0 -> -EFAULT; over the size cap -> -EFAULT (1 GiB) up
     * to 7.1, -EINVAL (1 TiB) from 7.2; a wrap -> -EOVERFLOW.
     */
    private int bufferValidate(long base, long len) {
        if (base == 0) {
            return len != 0 ? -EFAULT : 0;
        }
        // io_buffer_validate: a buffer of no bytes -> -EFAULT, before the size and wrap checks (6.1.192 and
        // 6.12.117 rsrc.c, io_buffer_validate; 7.1.8 and 7.2.13 rsrc.c, io_validate_user_buf_range); measured
        // on 6.18.44 by the lockstep engine: seed 24, registerBuffers(1 x 0 bytes)
        if (len == 0) {
            rules.fire(Rules.BUFFER_REGISTER_EMPTY, 0);
            return -EFAULT;
        }
        // io_validate_user_buf_range: over SZ_1G -> -EFAULT up to 7.1; over SZ_1T -> -EINVAL from 7.2 (7.2.13
        // rsrc.c)
        if (Long.compareUnsigned(len, profile.bufferMaxBytes()) > 0) {
            return -profile.bufferTooBigErrno();
        }
        long acct = len + (PAGE_BYTES - 1);
        if (Long.compareUnsigned(base + acct, base) < 0) {
            return -EOVERFLOW;
        }
        return 0;
    }

    /** {@code io_sqe_buffer_register}: 0 for a sparse slot, 1 for a pinned buffer, -EFAULT if unpinnable. */
    private int bufferRegister(long base, long len) {
        if (base == 0) {
            return 0;
        }
        return args.accessible(base, len) ? 1 : -EFAULT;
    }

    /** {@code io_sqe_buffers_unregister}: no table -> -ENXIO. */
    int unregister() {
        if (buffers == null) {
            return -ENXIO;
        }
        buffers = null;
        return 0;
    }

    /** {@code __io_sqe_buffers_update}: returns how many were done, or the error of the first. */
    int update(int offset, long data, long tags, int nrArgs) {
        // __io_sqe_buffers_update: no table -> -ENXIO; past its end -> -EINVAL
        if (buffers == null) {
            return -ENXIO;
        }
        if (Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs) > buffers.length) {
            return -EINVAL;
        }
        int done;
        int err = 0;
        for (done = 0; done < nrArgs; done++) {
            MemorySegment iov = args.resolve(data + 16L * done, 16);
            if (iov == null) {
                err = -EFAULT;
                break;
            }
            long tag = args.tagAt(tags, done);
            if (tag == Long.MIN_VALUE) {
                err = -EFAULT;
                break;
            }
            long base = iov.get(JAVA_LONG, 0);
            long len = iov.get(JAVA_LONG, 8);
            err = bufferValidate(base, len);
            if (err != 0) {
                break;
            }
            int result = bufferRegister(base, len);
            if (result < 0) {
                err = result;
                break;
            }
            if (tag != 0) {
                if (result == 0) {
                    err = -EINVAL;
                    break;
                }
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            buffers[offset + done] = result == 1;
            ranges[2 * (offset + done)] = base;
            ranges[2 * (offset + done) + 1] = len;
        }
        return done != 0 ? done : err;
    }
}
