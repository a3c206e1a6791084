package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_MSG_DATA;
import static dev.ringspec.uapi.IoUring.IORING_MSG_RING_CQE_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_MSG_RING_FLAGS_PASS;
import static dev.ringspec.uapi.IoUring.IORING_MSG_SEND_FD;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.List;

/**
 * io_uring/msg_ring.c: {@code IORING_OP_MSG_RING} between the emulator's rings ({@link EmulatorServices#ring}):
 * {@code IORING_MSG_DATA} posts a CQE in the target ring, {@code IORING_MSG_SEND_FD} installs a registered file of
 * this ring as a direct descriptor of the target's (and posts a CQE there unless CQE_SKIP). A file that is no
 * emulated ring is -EBADFD, as any file that is no io_uring is to the kernel (a kernel ring included: the emulator
 * cannot post to it).
 *
 * <p>A target that completes only on its owner's task (SINGLE_ISSUER) gets its data CQE as task work there. A
 * descriptor for such a target is installed at once, as the kernel's task work does when the sender is the
 * target's task; two rings driven by different threads are not locked against each other here.
 */
public final class MsgRing {
    private MsgRing() {
    }

    public static List<EmuOp> ops(EmulatorServices services) {
        // a forced-async MSG_RING is sent by io-wq's worker (io_wq_submit_work -> io_msg_ring), when it runs
        return List.of(new EmuOp(new OpDef(IORING_OP_MSG_RING, "MSG_RING", OpDef.NEEDS_FILE | OpDef.IOPOLL,
                MsgRing::prep, (req, ctx) -> msgRing(req, ctx, services)),
                new EmuOp.WorkersTry((req, ctx) -> msgRing(req, ctx, services))));
    }

    /** {@code struct io_msg}. */
    record Msg(long userData, int len, long cmd, long srcFd, int dstFd, int flags) {
    }

    /** {@code __io_msg_ring_prep}. */
    static int prep(Req req, IssueContext ctx) {
        if (req.bufIndex() != 0 || req.personality() != 0) {
            return -EINVAL;
        }
        Msg msg = new Msg(req.off(), req.len(), req.addr(), req.addr3(), req.fileIndex(), req.opFlags());
        req.opState(msg);
        return (msg.flags() & ~(IORING_MSG_RING_CQE_SKIP | IORING_MSG_RING_FLAGS_PASS)) != 0 ? -EINVAL : 0;
    }

    /** {@code io_msg_ring}. */
    static int msgRing(Req req, IssueContext ctx, EmulatorServices services) {
        Msg msg = (Msg) req.opState();
        IssueContext target = services.ring(ctx.fileDescriptor(req));
        int ret;
        if (target == null) {
            ret = -EBADFD;
        } else if (msg.cmd() == IORING_MSG_DATA) {
            ret = data(target, msg);
        } else if (msg.cmd() == IORING_MSG_SEND_FD) {
            ret = sendFd(req, ctx, target, msg);
        } else {
            ret = -EINVAL;
        }
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** {@code io_msg_ring_data}. */
    private static int data(IssueContext target, Msg msg) {
        if (msg.srcFd() != 0 || (msg.flags() & ~IORING_MSG_RING_FLAGS_PASS) != 0) {
            return -EINVAL;
        }
        boolean pass = (msg.flags() & IORING_MSG_RING_FLAGS_PASS) != 0;
        if (!pass && msg.dstFd() != 0) {
            return -EINVAL;
        }
        if (target.ringDisabled()) {
            return -EBADFD;
        }
        // with FLAGS_PASS the file_index field carries the target CQE's flags
        int cflags = pass ? msg.dstFd() : 0;
        if (target.taskComplete()) {
            target.postAuxCqeRemote(msg.userData(), msg.len(), cflags);
            return 0;
        }
        return target.postAuxCqe(msg.userData(), msg.len(), cflags) ? 0 : -EOVERFLOW;
    }

    /** {@code io_msg_send_fd}: the source slot's file into the target's table ({@code dst_fd} as file_index). */
    private static int sendFd(Req req, IssueContext ctx, IssueContext target, Msg msg) {
        if (msg.len() != 0 || target.ringFd() == ctx.ringFd()) {
            return -EINVAL;
        }
        if (target.ringDisabled()) {
            return -EBADFD;
        }
        // io_msg_grab_file: src_fd names a slot of this ring's table; none or empty -> -EBADF
        int src = msg.srcFd() < 0 || msg.srcFd() > Integer.MAX_VALUE ? -1
                : ctx.fixedFileDescriptor((int) msg.srcFd());
        if (src < 0) {
            return -EBADF;
        }
        int dup = Linux.dup(src);
        if (dup < 0) {
            return dup;
        }
        int ret = target.fixedFdInstall(req, msg.dstFd(), dup);
        if (ret < 0) {
            Linux.close(dup);
            return ret;
        }
        if ((msg.flags() & IORING_MSG_RING_CQE_SKIP) != 0) {
            return ret;
        }
        return target.postAuxCqe(msg.userData(), ret, 0) ? ret : -EOVERFLOW;
    }
}
