package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_GETSOCKOPT;
import static dev.ringspec.emulator.sys.Linux.SYS_IOCTL;
import static dev.ringspec.emulator.sys.Linux.SYS_RECVFROM;
import static dev.ringspec.emulator.sys.Linux.SYS_RECVMSG;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_BUNDLE;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.Apoll;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * IORING_OP_RECV with IORING_RECV_MULTISHOT (io_uring/net.c, {@code io_recvmsg_prep}, {@code io_recv},
 * {@code io_recv_finish}): a receive that stays armed, one provided buffer per CQE, IORING_CQE_F_MORE on every CQE
 * but the last. It ends at end of stream (res 0), on an error, when the group has no buffer (-ENOBUFS), when the
 * optional total limit ({@code sqe->optlen}) is reached, on cancellation, or when the CQ is full (that receive's CQE
 * then completes the request through the normal path, which may overflow).
 *
 * <p>For {@code ops.Net}, which owns IORING_OP_RECV: its prep hands a request whose {@code sqe->ioprio} has
 * IORING_RECV_MULTISHOT to {@link #prep} (which checks the whole SQE as {@code io_recvmsg_prep} does), and its issue
 * hands a request {@link #owns} to {@link #issue}. Bundles ({@code IORING_RECVSEND_BUNDLE}) are not emulated here:
 * -EOPNOTSUPP. A served program's buffers are its memory: the bytes cross through {@link ProgramMessages}.
 */
public final class RecvMultishot {
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_WAITALL = 0x100;
    private static final int RECVMSG_FLAGS = IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT
            | IORING_RECVSEND_BUNDLE;
    /** {@code MULTISHOT_MAX_RETRY}: receives in a row before the request lets others run. */
    private static final int MULTISHOT_MAX_RETRY = 32;
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_DOMAIN = 39;
    private static final int SOCK_STREAM = 1;
    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int FIONREAD = 0x541b;

    private RecvMultishot() {
    }

    /** {@code struct io_sr_msg}'s share of a multishot receive. */
    private static final class State implements Apoll.Multishot {
        final MemorySegment scratch = Arena.ofAuto().allocate(8, 8);
        int msgFlags;
        boolean pollFirst;
        int mshotLen;
        int mshotTotalLen;
        boolean polled;
        int loops;
        /** Whether the socket reports what it still holds ({@code msg_inq}): -1 not yet known. */
        int reportsInq = -1;
        /** Whether it is a TCP socket, whose report counts the peer's FIN ({@link #inq}). */
        boolean tcp;
        /** RECVMSG's {@code io_async_msghdr}: the header's name and control lengths, or null for RECV. */
        Header header;

        @Override
        public boolean apollMultishot() {
            return true;
        }
    }

    /**
     * The name and control data lengths a RECVMSG multishot's msghdr gave at prep ({@code io_recvmsg_mshot_prep});
     * {@code eof} is whether the last receive found the end of the stream.
     */
    private static final class Header {
        final int namelen;
        final long controllen;
        boolean eof;

        Header(int namelen, long controllen) {
            this.namelen = namelen;
            this.controllen = controllen;
        }

        /** {@code sizeof(struct io_uring_recvmsg_out)}, the name and the control data: where the payload starts. */
        long bytes() {
            return Net.RECVMSG_OUT_SIZE + namelen + controllen;
        }
    }

    /** Whether {@code req} is a multishot receive this class prepared. */
    public static boolean owns(Req req) {
        return req.opState() instanceof State;
    }

    /** {@code io_recvmsg_prep} for IORING_OP_RECV with IORING_RECV_MULTISHOT, in the kernel's order. */
    public static int prep(Req req, IssueContext ctx) {
        KernelProfile profile = ctx.profile();
        // 6.12: file_index (the word of optlen) or addr2 set -> -EINVAL; later only addr2
        if (req.off() != 0 || !Kbuf.atLeast(profile, 6, 17) && req.fileIndex() != 0) {
            return -EINVAL;
        }
        // len < 0 -> -EINVAL
        if (req.len() < 0) {
            return -EINVAL;
        }
        // sqe->ioprio holds the receive flags: unknown ones -> -EINVAL
        int flags = Short.toUnsignedInt((short) req.ioprio());
        if ((flags & ~RECVMSG_FLAGS) != 0) {
            return -EINVAL;
        }
        State st = new State();
        st.msgFlags = req.opFlags();
        st.pollFirst = (flags & IORING_RECVSEND_POLL_FIRST) != 0;
        if ((flags & IORING_RECV_MULTISHOT) != 0) {
            // multishot takes provided buffers, and never MSG_WAITALL -> -EINVAL
            if ((req.flags() & IOSQE_BUFFER_SELECT) == 0 || (st.msgFlags & MSG_WAITALL) != 0) {
                return -EINVAL;
            }
            if (Kbuf.atLeast(profile, 6, 17)) {
                // len caps each receive; optlen caps them all
                st.mshotLen = req.len();
                st.mshotTotalLen = req.fileIndex();
            } else if (req.len() != 0) {
                // 6.12: a multishot receive takes whole buffers -> -EINVAL for len
                return -EINVAL;
            }
        } else {
            // a one-shot receive is ops.Net's
            return -EOPNOTSUPP;
        }
        if ((flags & IORING_RECVSEND_BUNDLE) != 0) {
            return -EOPNOTSUPP;
        }
        req.opState(st);
        return 0;
    }

    /**
     * A RECVMSG with IORING_RECV_MULTISHOT that ops.Net has prepared (its msghdr copied and checked as
     * {@code io_recvmsg_prep} does) becomes this class's: each receive puts a {@code struct io_uring_recvmsg_out},
     * the name, the control data and the payload in one provided buffer. {@code len} is the msghdr's one iovec's
     * length (0 without one): the first buffer's limit; later ones are taken whole ({@code io_mshot_prep_retry}).
     */
    static void recvmsg(Req req, MemorySegment msg, int len) {
        State st = new State();
        st.msgFlags = req.opFlags();
        st.pollFirst = (req.ioprio() & IORING_RECVSEND_POLL_FIRST) != 0;
        st.mshotLen = len;
        st.header = new Header(msg.get(JAVA_INT, Net.MSG_NAMELEN), msg.get(JAVA_LONG, Net.MSG_CONTROLLEN));
        req.opState(st);
    }

    /** {@code io_recv} of a multishot receive, inline and on each wakeup. */
    public static int issue(Req req, IssueContext ctx) {
        State st = (State) req.opState();
        // POLL_FIRST: the first issue only arms the poll
        if (st.pollFirst && !st.polled) {
            st.polled = true;
            return -EAGAIN;
        }
        boolean inline = !st.polled;
        st.polled = true;
        int fd = ctx.fileDescriptor(req);
        if (st.reportsInq < 0) {
            // sock_from_file: not a socket -> -ENOTSOCK (what getsockopt answers too)
            int type = sockOpt(st, fd, SO_TYPE);
            if (type < 0) {
                return type;
            }
            int domain = sockOpt(st, fd, SO_DOMAIN);
            st.reportsInq = reportsInq(ctx.profile(), domain, type) ? 1 : 0;
            st.tcp = type == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6);
        }
        while (true) {
            int ret = recvOnce(req, ctx, st, fd, inline);
            if (ret != Pollable.POSTED) {
                return ret;
            }
        }
    }

    /**
     * One receive into one buffer and its {@code io_recv_finish}: {@link Pollable#POSTED} to receive again at once,
     * -EAGAIN to wait for readiness, or the request's final answer.
     */
    private static int recvOnce(Req req, IssueContext ctx, State st, int fd, boolean inline) {
        Kbuf.Selection sel = Kbuf.select(req, ctx, st.mshotLen);
        if (sel == null) {
            return -ENOBUFS;
        }
        ProgramMemory served = ProgramTransfers.program();
        int ret;
        boolean ended = false;
        if (st.header != null) {
            ret = recvmsgOnce(ctx, st.header, fd, sel, st.msgFlags | MSG_DONTWAIT);
            // io_recvmsg_multishot: a receive of nothing (end of stream) still fills a header, and ends the request
            ended = st.header.eof;
        } else {
            ret = served != null
                    ? ProgramMessages.receive(served, fd, sel.address(), sel.length(), st.msgFlags | MSG_DONTWAIT)
                    : (int) Linux.call(SYS_RECVFROM, fd, sel.address(), Integer.toUnsignedLong(sel.length()),
                            st.msgFlags | MSG_DONTWAIT, 0, 0);
        }
        if (ret == -EAGAIN) {
            Kbuf.recycle(ctx, sel);
            if (inline && (st.msgFlags & MSG_DONTWAIT) != 0) {
                // io_queue_async: a request that asked not to wait fails instead of polling
                ctx.reqSetFail(req);
                ctx.setRes(req, -EAGAIN, 0);
                return OpDef.COMPLETE;
            }
            return -EAGAIN;
        }
        int inq = ret >= 0 && st.reportsInq == 1 ? inq(st, fd) : -1;
        if (ret == 0 && inq > 0) {
            // io_recv_finish: a receive of nothing sets msg_inq too, and on TCP the FIN keeps the hint at 1, so the
            // request's last CQE says IORING_CQE_F_SOCK_NONEMPTY
            Kbuf.recycle(ctx, sel);
            ctx.setRes(req, 0, IORING_CQE_F_SOCK_NONEMPTY);
            return OpDef.COMPLETE;
        }
        if (ret <= 0) {
            return Pollable.endWithoutData(req, ctx, sel, ret);
        }
        int cflags = inq > 0 ? IORING_CQE_F_SOCK_NONEMPTY : 0;
        boolean finished = ended;
        if (st.mshotTotalLen != 0) {
            // IORING_RECV_MSHOT_LIM: the total limit reached ends the request with this CQE
            st.mshotTotalLen -= Math.min(ret, st.mshotTotalLen);
            finished = st.mshotTotalLen == 0;
        }
        cflags |= Kbuf.cqeFlags(ctx, sel, ret);
        if (!finished && ctx.postCqe(req, ret, cflags | IORING_CQE_F_MORE)) {
            if (st.header != null) {
                // io_mshot_prep_retry: the next buffer is taken whole
                st.mshotLen = 0;
            }
            // known not empty, or unknown: receive again, up to MULTISHOT_MAX_RETRY times in a row
            if ((cflags & IORING_CQE_F_SOCK_NONEMPTY) != 0 || inq < 0) {
                if (st.loops++ < MULTISHOT_MAX_RETRY) {
                    return Pollable.POSTED;
                }
                st.loops = 0;
            }
            return -EAGAIN;
        }
        ctx.setRes(req, ret, cflags);
        return OpDef.COMPLETE;
    }

    /**
     * {@code io_recvmsg_prep_multishot} and {@code io_recvmsg_multishot}: one recvmsg into the buffer {@code sel}
     * past its header, name and control data ({@code -EFAULT} where the buffer is shorter than those), then the
     * header and the name at its start. The CQE's result: the header's, name's and control data's lengths plus the
     * payload's (at most what the buffer holds; the header's payloadlen is the whole datagram under MSG_TRUNC).
     */
    private static int recvmsgOnce(IssueContext ctx, Header h, int fd, Kbuf.Selection sel, int flags) {
        long len = Integer.toUnsignedLong(sel.length());
        if (len < h.bytes()) {
            return -EFAULT;
        }
        long buf = sel.address();
        long payloadlen = len - h.bytes();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment msg = call.allocate(Net.MSGHDR_SIZE, 8);
            if (h.namelen > 0) {
                msg.set(JAVA_LONG, 0, buf + Net.RECVMSG_OUT_SIZE);
                msg.set(JAVA_INT, Net.MSG_NAMELEN, Math.min(h.namelen, Net.SOCKADDR_STORAGE));
            }
            if (h.controllen > 0) {
                msg.set(JAVA_LONG, ProgramMessages.MSG_CONTROL, buf + h.bytes() - h.controllen);
                msg.set(JAVA_LONG, Net.MSG_CONTROLLEN, h.controllen);
            }
            long[] iov = {buf + h.bytes(), payloadlen};
            ProgramMemory served = ProgramTransfers.program();
            int err;
            if (served != null) {
                err = ProgramMessages.message(served, false, fd, msg, iov, null, 0, flags);
            } else {
                MemorySegment vec = call.allocate(16, 8);
                vec.set(JAVA_LONG, 0, iov[0]);
                vec.set(JAVA_LONG, 8, iov[1]);
                msg.set(JAVA_LONG, Net.MSG_IOV, vec.address());
                msg.set(JAVA_LONG, Net.MSG_IOVLEN, 1);
                err = (int) Linux.call(SYS_RECVMSG, fd, msg.address(), flags);
            }
            if (err < 0) {
                return err;
            }
            h.eof = err == 0;
            // struct io_uring_recvmsg_out: namelen (before truncation), controllen used, payloadlen, flags
            MemorySegment out = call.allocate(Net.RECVMSG_OUT_SIZE, 4);
            out.set(JAVA_INT, 0, h.namelen > 0 ? msg.get(JAVA_INT, Net.MSG_NAMELEN) : 0);
            out.set(JAVA_INT, 4, (int) (h.controllen > 0 ? msg.get(JAVA_LONG, Net.MSG_CONTROLLEN) : 0));
            out.set(JAVA_INT, 8, err);
            out.set(JAVA_INT, 12, msg.get(JAVA_INT, Net.MSG_FLAGS));
            boolean copied;
            if (served != null) {
                copied = served.copyOut(out, buf);
            } else {
                MemorySegment user = ctx.userMemory(buf, Net.RECVMSG_OUT_SIZE);
                copied = user != null;
                if (copied) {
                    user.copyFrom(out);
                }
            }
            return copied ? (int) (h.bytes() + Math.min(err, payloadlen)) : -EFAULT;
        }
    }

    /** Stream sockets of TCP, and of AF_UNIX from 6.17 ({@code SO_INQ}), report the bytes left after a receive. */
    private static boolean reportsInq(KernelProfile profile, int domain, int type) {
        if (type != SOCK_STREAM) {
            return false;
        }
        return domain == AF_INET || domain == AF_INET6 || domain == AF_UNIX && Kbuf.atLeast(profile, 6, 17);
    }

    private static int sockOpt(State st, int fd, int name) {
        st.scratch.set(JAVA_INT, 4, 4);
        int r = (int) Linux.call(SYS_GETSOCKOPT, fd, SOL_SOCKET, name, st.scratch.address(),
                st.scratch.address() + 4, 0);
        return r < 0 ? r : st.scratch.get(JAVA_INT, 0);
    }

    /**
     * {@code msg_inq} after a receive: the bytes the socket still holds (FIONREAD), or -1 where it cannot say. On TCP
     * the kernel's hint ({@code tcp_inq_hint}, net/ipv4/tcp.c) is 1 where no byte is left but the peer's FIN has
     * come (SOCK_DONE), "to continue reading": the CQE gets IORING_CQE_F_SOCK_NONEMPTY and the receive goes on at
     * once to the end of the stream (res 0) in the same issue. FIONREAD ({@code tcp_inq}) leaves the FIN out, so an
     * empty socket is asked with a one-byte peek, which answers 0 only at the end of the stream (also after a local
     * SHUT_RD, which the kernel's hint does not count).
     */
    private static int inq(State st, int fd) {
        int r = (int) Linux.call(SYS_IOCTL, fd, FIONREAD, st.scratch.address());
        if (r < 0) {
            return -1;
        }
        int inq = st.scratch.get(JAVA_INT, 0);
        if (inq == 0 && st.tcp
                && Linux.call(SYS_RECVFROM, fd, st.scratch.address(), 1, Net.MSG_PEEK | MSG_DONTWAIT, 0, 0) == 0) {
            return 1;
        }
        return inq;
    }
}
