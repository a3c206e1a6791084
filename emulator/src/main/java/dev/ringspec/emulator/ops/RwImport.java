package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.RegisteredBuffer;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;

/**
 * io_uring/rw.c's imports of the buffer a READ or WRITE moves ({@code io_import_rw_buffer} and what it calls):
 * a plain buffer, an iovec array, a registered buffer, or a provided buffer ({@link Rw.State#iov} is the result),
 * each with the errno the kernel answers when the range is refused.
 */
final class RwImport {
    private RwImport() {
    }

    /** {@code import_ubuf}: the length clamped to MAX_RW_COUNT, then {@code access_ok} (-EFAULT). */
    static int importUbuf(Rw.State s) {
        long len = Math.min(Integer.toUnsignedLong(s.len), Rw.MAX_RW_COUNT);
        if (!Rw.accessOk(s.addr, len)) {
            return -EFAULT;
        }
        s.iov = new long[] {s.addr, len};
        return 0;
    }

    /**
     * {@code __import_iovec}: more than UIO_MAXIOV entries is -EINVAL; the array is copied in entry by entry
     * ({@link IovIter#copyIovec}: -EFAULT, -EINVAL for a negative length, whichever comes first); then each entry
     * must pass {@code access_ok} (-EFAULT), and the total is clamped to
     * MAX_RW_COUNT. The copy is the request's: the application may reuse its array once submitted.
     */
    static int importVec(IssueContext ctx, Rw.State s) {
        long n = Integer.toUnsignedLong(s.len);
        if (n > Rw.UIO_MAXIOV) {
            return -EINVAL;
        }
        long[] iov = new long[(int) n * 2];
        int copied = IovIter.copyIovec(ctx, s.addr, iov);
        if (copied != 0) {
            return copied;
        }
        long total = 0;
        for (int i = 0; i < n; i++) {
            long len = iov[2 * i + 1];
            if (n == 1) {
                // __import_iovec_ubuf: one entry is import_ubuf's, clamped before access_ok
                len = Math.min(len, Rw.MAX_RW_COUNT);
            }
            if (!Rw.accessOk(iov[2 * i], len)) {
                return -EFAULT;
            }
            len = Math.min(len, Rw.MAX_RW_COUNT - total);
            iov[2 * i + 1] = len;
            total += len;
        }
        s.iov = iov;
        return 0;
    }

    /** {@code io_iov_buffer_select_prep}: one iovec (-EINVAL), copied in (-EFAULT); its length caps the read. */
    static int iovBufferSelectPrep(IssueContext ctx, Rw.State s) {
        MemorySegment user = s.len != 1 ? null : ctx.userMemory(s.addr, 16);
        if (user == null) {
            return s.len != 1 ? -EINVAL : -EFAULT;
        }
        s.len = (int) user.get(JAVA_LONG.withByteAlignment(1), 8);
        return 0;
    }

    /**
     * {@code io_import_reg_buf}: the registered buffer ({@code io_find_buf_node}, -EFAULT for none), then
     * {@code validate_fixed_range}: the range must not wrap, must lie inside the buffer, and must not exceed
     * MAX_RW_COUNT (-EFAULT each).
     */
    static int importFixed(IssueContext ctx, Rw.State s) {
        RegisteredBuffer buf = ctx.fixedBuffer(s.bufIndex);
        if (buf == null) {
            return -EFAULT;
        }
        long len = Integer.toUnsignedLong(s.len);
        long end = s.addr + len;
        if (Long.compareUnsigned(end, s.addr) < 0 || Long.compareUnsigned(s.addr, buf.address()) < 0
                || Long.compareUnsigned(end, buf.address() + buf.length()) > 0 || len > Rw.MAX_RW_COUNT) {
            return -EFAULT;
        }
        s.iov = new long[] {s.addr, len};
        return 0;
    }

    /**
     * {@code io_buffer_select} (kbuf.c) for a request with IOSQE_BUFFER_SELECT: a buffer of group {@code bufIndex}
     * ({@link Kbuf#select}), or -ENOBUFS for none. The selected buffer, capped at {@code s.len}, becomes
     * {@code s.iov}; its id goes into the CQE flags where the request completes ({@link Rw#complete}).
     */
    static int selectBuffer(Req req, IssueContext ctx, Rw.State s) {
        // io_buffer_select: a file that cannot be polled commits a ring's buffer at once (io_should_commit)
        Kbuf.Selection sel = Kbuf.select(req, ctx, s.len, !RealFiles.pollable(ctx.fileDescriptor(req)));
        if (sel == null) {
            return -ENOBUFS;
        }
        s.sel = sel;
        s.iov = new long[] {sel.address(), sel.length()};
        return 0;
    }

    /**
     * {@code io_kbuf_recycle} before waiting: the buffer goes back, and the next issue selects again. From 6.18 only
     * a ring's buffer not yet committed goes back ({@code io_read} recycles under REQ_F_BUFFERS_COMMIT alone, and
     * {@code io_arm_poll_handler} and {@code io_queue_async} recycle nothing): a legacy buffer stays the request's,
     * the next issue reads into it, and a request failed meanwhile names it ({@link Rw.State#failCqeFlags}).
     */
    static void recycleBuffer(IssueContext ctx, Rw.State s) {
        if (s.sel != null && s.sel.legacy() && Versions.atLeast(ctx.profile(), 6, 18)) {
            return;
        }
        if (s.sel != null && Kbuf.recycle(ctx, s.sel)) {
            s.sel = null;
            s.iov = null;
        }
    }

    /** What the issue imports: the fixed buffer (6.15 on), a selected buffer. */
    static int importAtIssue(Req req, IssueContext ctx, Rw.State s) {
        if (s.iov != null) {
            return 0;
        }
        if ((req.flags() & IOSQE_BUFFER_SELECT) != 0) {
            return selectBuffer(req, ctx, s);
        }
        return importFixed(ctx, s);
    }
}
