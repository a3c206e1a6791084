package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_PREADV2;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.Poll.POLLERR;
import static dev.ringspec.uapi.Poll.POLLHUP;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Apoll;
import dev.ringspec.emulator.Readiness;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * IORING_OP_READ_MULTISHOT (io_uring/rw.c, {@code io_read_mshot_prep}, {@code io_read_mshot}): a read on a pollable
 * file that stays armed, one provided buffer per CQE.
 *
 * <p>The life of the request, as the kernel's: the inline issue reads once (a CQE with IORING_CQE_F_MORE, or
 * nothing if the file is empty); after a CQE, task work reads on if the file is still ready (the kernel's poll,
 * armed on a ready file, queues it before the task returns to the application); once the file is empty the request
 * waits for readiness ({@code io_arm_poll_handler}, here the model's async poll through
 * {@link dev.ringspec.emulator.Readiness}, where cancellation finds it); every wakeup reads again until the file
 * is empty ({@code io_poll_multishot_retry}).
 * It ends with a CQE without F_MORE: -ENOBUFS when the group has no buffer, 0 at end of file, the read's error,
 * -ECANCELED, or, when {@code io_req_post_cqe} finds the CQ full, that read's own CQE through the normal completion
 * (which may overflow).
 */
public final class ReadMultishot {
    /** {@code RWF_NOWAIT}: the ring's task never blocks on the file. */
    private static final int RWF_NOWAIT = 8;

    private ReadMultishot() {
    }

    /** The request's state ({@code struct io_rw}'s len, and whether the inline issue is past). */
    private static final class State implements Apoll.Multishot {
        final MemorySegment iov = Arena.ofAuto().allocate(16, 8);
        int len;
        boolean polled;
        int canPoll = -1;

        @Override
        public boolean apollMultishot() {
            return true;
        }
    }

    /** READ_MULTISHOT. */
    public static List<EmuOp> ops(EmulatorServices services) {
        return List.of(EmuOp.of(new OpDef(IORING_OP_READ_MULTISHOT, "READ_MULTISHOT",
                OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.POLLIN | OpDef.BUFFER_SELECT, ReadMultishot::prep,
                (req, ctx) -> issue(services, req, ctx))));
    }

    /** {@code io_read_mshot_prep}. */
    static int prep(Req req, IssueContext ctx) {
        // must be used with provided buffers -> -EINVAL
        if ((req.flags() & IOSQE_BUFFER_SELECT) == 0) {
            return -EINVAL;
        }
        // __io_prep_rw: the ioprio's and attr_type_mask's checks, as for any read (its state is replaced below)
        int ret = Rw.prep(req, ctx, Rw.Kind.PLAIN, false);
        if (ret != 0) {
            return ret;
        }
        // the buffer comes from the group: addr or len set -> -EINVAL
        if (req.addr() != 0 || req.len() != 0) {
            return -EINVAL;
        }
        req.opState(new State());
        return 0;
    }

    /** {@code io_read_mshot}, the inline issue and each wakeup's. */
    static int issue(EmulatorServices services, Req req, IssueContext ctx) {
        State st = (State) req.opState();
        int fd = ctx.fileDescriptor(req);
        // multishot must be used on a pollable file -> -EBADFD
        if (st.canPoll < 0) {
            st.canPoll = Pollable.canPoll(services, fd) ? 1 : 0;
        }
        if (st.canPoll == 0) {
            return -EBADFD;
        }
        boolean again = st.polled;
        st.polled = true;
        while (true) {
            int ret = readOnce(req, ctx, st, fd);
            if (ret != Pollable.POSTED) {
                return ret;
            }
            if (!again) {
                // IOU_RETRY from the inline issue: io_arm_poll_handler's vfs_poll finds the file ready or not. Ready,
                // task work reads on before the task returns to the application (__io_poll_execute); empty, the
                // poll waits armed, and nothing selects a buffer until the file is ready (an empty group answers
                // -ENOBUFS only then: world lockstep seed 42, a pipe's only data read into the group's only buffer)
                ctx.taskWork(req, (r, c) -> (Apoll.vfsPoll(fd, POLLIN) & (POLLIN | POLLERR | POLLHUP)) == 0 ? -EAGAIN
                        : issue(services, r, c));
                return OpDef.SKIP_COMPLETE;
            }
        }
    }

    /** One read into one buffer: {@link Pollable#POSTED}, -EAGAIN (wait for readiness), or the final answer. */
    private static int readOnce(Req req, IssueContext ctx, State st, int fd) {
        Kbuf.Selection sel = Kbuf.select(req, ctx, st.len);
        if (sel == null) {
            return -ENOBUFS;
        }
        st.iov.set(JAVA_LONG, 0, sel.address());
        st.iov.set(JAVA_LONG, 8, Integer.toUnsignedLong(sel.length()));
        int ret = (int) Linux.call(SYS_PREADV2, fd, st.iov.address(), 1, -1, -1, RWF_NOWAIT);
        if (ret == -EAGAIN) {
            // recycle the buffer; len back to 0 so that the next buffer is not clamped to this one's size
            if (Kbuf.recycle(ctx, sel)) {
                st.len = 0;
            }
            return -EAGAIN;
        }
        if (ret <= 0) {
            return Pollable.endWithoutData(req, ctx, sel, ret);
        }
        int cflags = Kbuf.cqeFlags(ctx, sel, ret);
        st.len = 0;
        if (ctx.postCqe(req, ret, cflags | IORING_CQE_F_MORE)) {
            return Pollable.POSTED;
        }
        // the CQ is full: this read's CQE ends the request through the normal completion
        ctx.setRes(req, ret, cflags);
        return OpDef.COMPLETE;
    }
}
