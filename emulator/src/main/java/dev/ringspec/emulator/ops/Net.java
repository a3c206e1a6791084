package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_RECVMSG;
import static dev.ringspec.emulator.sys.Linux.SYS_SENDMSG;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMSGSIZE;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_FIXED_BUF;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_BUNDLE;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_RECV_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.Poll.POLLRDHUP;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * io_uring/net.c's data path: {@code SEND}, {@code RECV}, {@code SENDMSG}, {@code RECVMSG} (single-shot; multishot
 * receives and buffer selection are kbuf.c's, see {@link #selectBuffer}), on real sockets. Each issue tries the call
 * with {@code MSG_DONTWAIT}; -EAGAIN arms a poll (POLLIN/POLLOUT as opdef.c) and the request is issued again when
 * the socket is ready. The sockets' own opcodes (SOCKET, CONNECT, ACCEPT, ...) are {@link NetSockets}'.
 *
 * <p>The real calls get the application's pointers as they are (buffers, names, iovecs, control data): the kernel
 * checks them, so a bad one is -EFAULT. What the kernel copies at prep ({@code struct msghdr}, SEND's destination
 * address) is copied at prep through the ring's view of user memory, so the application may reuse it after submit.
 * A served program's pointers name its memory, not this JVM's: its bytes cross through {@link ProgramMessages}.
 */
public final class Net {
    static final int MSG_PEEK = 2;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_WAITALL = 0x100;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CTRUNC = 8;
    static final int SOCK_STREAM = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** {@code struct user_msghdr} (64-bit): name, namelen, iov, iovlen, control, controllen, flags. */
    static final long MSGHDR_SIZE = 56;
    static final long MSG_NAMELEN = 8;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    /** {@code sizeof(struct sockaddr_storage)}. */
    static final int SOCKADDR_STORAGE = 128;
    /** {@code sizeof(struct io_uring_recvmsg_out)}: namelen, controllen, payloadlen, flags. */
    static final int RECVMSG_OUT_SIZE = 16;

    private Net() {
    }

    /** The data opcodes. */
    public static List<EmuOp> ops(EmulatorServices services) {
        List<EmuOp> ops = new ArrayList<>();
        int io = OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.IOPRIO;
        // io-wq issues a forced-async transfer of a socket on its worker without blocking (io_wq_submit_work): the
        // bytes move when the worker runs (world lockstep seed 940). A multishot receive's worker only arms the poll
        // (REQ_F_APOLL_MULTISHOT) and its wakeups receive from task work, as the ring's task's issue does: the
        // worker's -EAGAIN here armed a poll whose wakeup sent it back to io-wq, which never received (6.18.44's
        // CQE came at the enter)
        EmuOp.WorkersTry sends = new EmuOp.WorkersTry(Net::send);
        EmuOp.WorkersTry receives = new EmuOp.WorkersTry(Net::recv, req -> !RecvMultishot.owns(req));
        ops.add(new EmuOp(new OpDef(IORING_OP_SENDMSG, "SENDMSG", io | OpDef.POLLOUT, Net::sendmsgPrep, Net::send),
                sends));
        ops.add(new EmuOp(new OpDef(IORING_OP_SEND, "SEND", io | OpDef.POLLOUT | OpDef.BUFFER_SELECT,
                Net::sendmsgPrep, Net::send), sends));
        ops.add(new EmuOp(new OpDef(IORING_OP_RECVMSG, "RECVMSG", io | OpDef.POLLIN | OpDef.BUFFER_SELECT,
                Net::recvmsgPrep, Net::recv), receives));
        ops.add(new EmuOp(new OpDef(IORING_OP_RECV, "RECV", io | OpDef.POLLIN | OpDef.BUFFER_SELECT,
                Net::recvmsgPrep, Net::recv), receives));
        ops.addAll(NetSockets.ops(services));
        ops.addAll(NetZc.ops(services));
        return ops;
    }

    /** {@code struct io_sr_msg} with its async msghdr: what prep read, and how far a retried transfer got. */
    static class Sr {
        final int flags;
        final int msgFlags;
        long buf;
        int len;
        int doneIo;
        boolean polled;
        /** SEND's destination ({@code move_addr_to_kernel}), or null. */
        MemorySegment name;
        int nameLen;
        /** SENDMSG's and RECVMSG's copy of the application's msghdr, and where it lives. */
        MemorySegment msg;
        long umsg;

        Sr(int flags, int msgFlags, long buf, int len) {
            this.flags = flags;
            this.msgFlags = msgFlags;
            this.buf = buf;
            this.len = len;
        }
    }

    /** {@code SENDMSG_FLAGS}: IORING_SEND_VECTORIZED from 6.15 (6.12 refuses it as an unknown flag). */
    private static int sendmsgFlags(IssueContext ctx) {
        int known = IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_BUNDLE;
        return Versions.atLeast(ctx.profile(), 6, 15) ? known | IORING_SEND_VECTORIZED : known;
    }

    /** {@code io_sendmsg_prep}, with {@code io_send_setup} and {@code io_sendmsg_setup}. */
    static int sendmsgPrep(Req req, IssueContext ctx) {
        int len = req.len();
        // io_sendmsg_prep: len below 0 -> -EINVAL; ioprio flags outside SENDMSG_FLAGS -> -EINVAL
        if (len < 0 || (req.ioprio() & ~sendmsgFlags(ctx)) != 0) {
            return -EINVAL;
        }
        int flags = req.ioprio();
        Sr sr = new Sr(flags, req.opFlags() | MSG_NOSIGNAL, req.addr(), len);
        req.opState(sr);
        // io_sendmsg_prep: a bundle is SEND's only (-EINVAL for SENDMSG)
        if ((flags & IORING_RECVSEND_BUNDLE) != 0 && req.opcode() == IORING_OP_SENDMSG) {
            return -EINVAL;
        }
        if (req.opcode() != IORING_OP_SENDMSG) {
            return sendSetup(req, ctx, sr);
        }
        // io_sendmsg_prep: SENDMSG with addr2 or file_index -> -EINVAL; then the msghdr is copied in
        if (req.off() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        return copyMsghdr(req, ctx, sr);
    }

    /** {@code io_send_setup} (SEND and SEND_ZC): the destination address and the buffer, as {@code sr} holds them. */
    static int sendSetup(Req req, IssueContext ctx, Sr sr) {
        // io_send_setup: __pad3[0] set -> -EINVAL; a destination address is copied in (-EINVAL, -EFAULT)
        if ((req.fileIndex() >>> 16) != 0) {
            return -EINVAL;
        }
        if (req.off() != 0) {
            int addrLen = req.fileIndex() & 0xffff;
            MemorySegment name = copyAddress(ctx, req.off(), addrLen);
            if (name == null) {
                return addressError(addrLen);
            }
            sr.name = name;
            sr.nameLen = addrLen;
        }
        // io_send_setup: a plain buffer (import_ubuf: access_ok -> -EFAULT) or SEND_VECTORIZED's iovecs
        // (__import_iovec) are imported now, before the issue finds out whether the file is a socket
        if ((sr.flags & IORING_RECVSEND_FIXED_BUF) != 0 && (sr.flags & IORING_SEND_VECTORIZED) != 0
                && req.opcode() == IORING_OP_SEND_ZC && !Versions.atLeast(ctx.profile(), 7, 1)) {
            // io_send_setup: SEND_ZC's registered buffer with IORING_SEND_VECTORIZED -> -EINVAL before 7.1 (measured
            // on 6.18.44, with a registered buffer or none, any address and length; 7.1.8 imports the iovecs,
            // io_prep_reg_iovec; 6.19 and 7.0 are taken as 6.18)
            return -EINVAL;
        }
        if ((sr.flags & IORING_RECVSEND_FIXED_BUF) != 0 || (req.flags() & IOSQE_BUFFER_SELECT) != 0) {
            return 0;
        }
        if ((sr.flags & IORING_SEND_VECTORIZED) != 0) {
            return IovIter.importIovec(ctx, req.addr(), Integer.toUnsignedLong(sr.len));
        }
        return IovIter.importUbuf(req.addr(), sr.len);
    }

    /** {@code io_recvmsg_prep}. */
    static int recvmsgPrep(Req req, IssueContext ctx) {
        if (req.opcode() == IORING_OP_RECV && (req.ioprio() & IORING_RECV_MULTISHOT) != 0) {
            // a multishot receive is kbuf.c's business as much as net.c's: RecvMultishot prepares and issues it
            return RecvMultishot.prep(req, ctx);
        }
        // io_recvmsg_prep: addr2 -> -EINVAL; len below 0 -> -EINVAL; flags outside RECVMSG_FLAGS -> -EINVAL
        if (req.off() != 0 || req.len() < 0) {
            return -EINVAL;
        }
        int flags = req.ioprio();
        if ((flags & ~(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT | IORING_RECVSEND_BUNDLE)) != 0) {
            return -EINVAL;
        }
        Sr sr = new Sr(flags, req.opFlags(), req.addr(), req.len());
        req.opState(sr);
        boolean bufferSelect = (req.flags() & IOSQE_BUFFER_SELECT) != 0;
        if ((flags & IORING_RECV_MULTISHOT) != 0) {
            // io_recvmsg_prep: multishot needs buffer select and refuses MSG_WAITALL; RECVMSG takes no optlen
            if (!bufferSelect || (sr.msgFlags & MSG_WAITALL) != 0) {
                return -EINVAL;
            }
            if (req.opcode() == IORING_OP_RECVMSG && req.fileIndex() != 0) {
                return -EINVAL;
            }
        } else if (req.fileIndex() != 0) {
            return -EINVAL;
        }
        if ((flags & IORING_RECVSEND_BUNDLE) != 0 && req.opcode() == IORING_OP_RECVMSG) {
            return -EINVAL;
        }
        if (req.opcode() == IORING_OP_RECVMSG) {
            int ret = copyMsghdr(req, ctx, sr);
            if (ret == 0 && (flags & IORING_RECV_MULTISHOT) != 0) {
                RecvMultishot.recvmsg(req, sr.msg, iovBytes(ctx, sr.msg));
            }
            return ret;
        }
        // io_recvmsg_prep_setup: RECV's plain buffer is imported now (-EFAULT), before the issue finds its file
        return bufferSelect ? 0 : IovIter.importUbuf(req.addr(), req.len());
    }

    /**
     * {@code io_msg_copy_hdr} with what the prep does next: the application's msghdr copied (-EFAULT), checked as
     * {@code __copy_msghdr} checks it, its iovecs imported ({@code __import_iovec}), or with buffer select one iovec
     * at most; RECVMSG multishot then checks its header's size. From 6.18 (the profiles know no kernel between 6.12
     * and 6.18) __copy_msghdr comes first, inside io_msg_copy_hdr; through 6.12 the iovecs are imported first (with
     * the entry count cut to an unsigned int) and __copy_msghdr follows.
     */
    static int copyMsghdr(Req req, IssueContext ctx, Sr sr) {
        // io_copy_msghdr_from_user (io_msg_copy_hdr through 6.12): user_access_begin checks the whole struct's
        // range, then six fields are read one by one, up to msg_controllen: msg_flags and the padding after it are
        // never read, so a msghdr whose last 8 bytes lie on an unreadable page is copied all the same
        MemorySegment user = ctx.userMemory(req.addr(), MSG_FLAGS);
        if (user == null || !Rw.accessOk(req.addr(), MSGHDR_SIZE)) {
            return -EFAULT;
        }
        sr.umsg = req.addr();
        sr.msg = Arena.ofAuto().allocate(MSGHDR_SIZE, 8);
        MemorySegment.copy(user, 0, sr.msg, 0, MSG_FLAGS);
        // a send's name is copied in (__copy_msghdr without save_addr): SENDMSG's and SENDMSG_ZC's alike
        boolean send = req.opcode() == IORING_OP_SENDMSG || req.opcode() == IORING_OP_SENDMSG_ZC;
        int ret;
        if (Versions.atLeast(ctx.profile(), 6, 18)) {
            ret = copyMsghdrChecks(ctx, sr.msg, send);
            if (ret == 0) {
                ret = importMsgIov(req, ctx, sr.msg, false);
            }
        } else {
            ret = importMsgIov(req, ctx, sr.msg, true);
            if (ret == 0) {
                ret = copyMsghdrChecks(ctx, sr.msg, send);
            }
        }
        return ret != 0 || send ? ret : recvmsgMultishotPrep(req, sr.msg);
    }

    /**
     * The msghdr's iovecs: with buffer select one at most (-EINVAL), copied in (-EFAULT); else imported, the count
     * cut to __import_iovec's unsigned int where {@code cut} (nothing has refused a count above UIO_MAXIOV yet).
     */
    private static int importMsgIov(Req req, IssueContext ctx, MemorySegment msg, boolean cut) {
        long iov = msg.get(JAVA_LONG, MSG_IOV);
        long iovlen = msg.get(JAVA_LONG, MSG_IOVLEN);
        if ((req.flags() & IOSQE_BUFFER_SELECT) == 0) {
            return IovIter.importIovec(ctx, iov, cut ? iovlen & 0xffff_ffffL : iovlen);
        }
        if (Long.compareUnsigned(iovlen, 1) > 0) {
            return -EINVAL;
        }
        return iovlen == 1 && ctx.userMemory(iov, 16) == null ? -EFAULT : 0;
    }

    /**
     * {@code __copy_msghdr}: a negative name length with a name is -EINVAL (a longer one is cut to 128); SENDMSG's
     * name is copied in ({@code move_addr_to_kernel}, -EFAULT); more than UIO_MAXIOV iovecs is -EMSGSIZE.
     */
    private static int copyMsghdrChecks(IssueContext ctx, MemorySegment msg, boolean send) {
        long name = msg.get(JAVA_LONG, 0);
        int namelen = name == 0 ? 0 : msg.get(JAVA_INT, MSG_NAMELEN);
        if (namelen < 0) {
            return -EINVAL;
        }
        namelen = Math.min(namelen, SOCKADDR_STORAGE);
        if (send && namelen > 0 && ctx.userMemory(name, namelen) == null) {
            return -EFAULT;
        }
        return Long.compareUnsigned(msg.get(JAVA_LONG, MSG_IOVLEN), Rw.UIO_MAXIOV) > 0 ? -EMSGSIZE : 0;
    }

    /**
     * {@code io_recvmsg_mshot_prep}: a multishot RECVMSG with buffer select puts a header, the name and the control
     * data in each buffer; a negative name length, or a header that overflows an int, is -EOVERFLOW.
     */
    private static int recvmsgMultishotPrep(Req req, MemorySegment msg) {
        if ((req.ioprio() & IORING_RECV_MULTISHOT) == 0 || (req.flags() & IOSQE_BUFFER_SELECT) == 0) {
            return 0;
        }
        int namelen = msg.get(JAVA_INT, MSG_NAMELEN);
        long controllen = msg.get(JAVA_LONG, MSG_CONTROLLEN);
        long hdr = RECVMSG_OUT_SIZE + (long) namelen;
        if (namelen < 0 || hdr > Integer.MAX_VALUE || Long.compareUnsigned(controllen, Integer.MAX_VALUE - hdr) > 0) {
            return -EOVERFLOW;
        }
        return 0;
    }

    /** {@code move_addr_to_kernel}: {@code len} bytes of address, or null (-EINVAL above 128, else -EFAULT). */
    static MemorySegment copyAddress(IssueContext ctx, long addr, int len) {
        if (len < 0 || len > SOCKADDR_STORAGE) {
            return null;
        }
        MemorySegment copy = Arena.ofAuto().allocate(SOCKADDR_STORAGE, 8);
        if (len > 0) {
            MemorySegment user = ctx.userMemory(addr, len);
            if (user == null) {
                return null;
            }
            copy.copyFrom(user);
        }
        return copy;
    }

    /** Why {@link #copyAddress} found no address: a length out of range (-EINVAL), else an unreadable one. */
    static int addressError(int len) {
        return len < 0 || len > SOCKADDR_STORAGE ? -EINVAL : -EFAULT;
    }

    /**
     * A SEND with IOSQE_BUFFER_SELECT, or a bundle: not built yet (single-shot RECV and RECVMSG are, below, and
     * multishot RECV in {@link RecvMultishot}); answers -ENOBUFS as for a group without buffers.
     */
    static int selectBuffer(Req req, IssueContext ctx) {
        return -ENOBUFS;
    }

    /** {@code io_send} and {@code io_sendmsg}. */
    static int send(Req req, IssueContext ctx) {
        Sr sr = (Sr) req.opState();
        int fd = ctx.fileDescriptor(req);
        int type = RealSockets.sockOpt(fd, RealSockets.SO_TYPE);
        if (type < 0) {
            return type;
        }
        if (!sr.polled && (sr.flags & IORING_RECVSEND_POLL_FIRST) != 0) {
            sr.polled = true;
            return -EAGAIN;
        }
        if ((req.flags() & IOSQE_BUFFER_SELECT) != 0) {
            return selectBuffer(req, ctx);
        }
        int flags = sr.msgFlags | MSG_DONTWAIT;
        boolean waitAll = (flags & MSG_WAITALL) != 0 || (sr.flags & IORING_RECVSEND_BUNDLE) != 0;
        int ret;
        int minRet;
        if (sr.msg != null) {
            minRet = waitAll ? iovBytes(ctx, sr.msg) - sr.doneIo : 0;
            ret = message(ctx, true, fd, sr, flags & ~MSG_WAITALL);
        } else {
            minRet = waitAll ? sr.len : 0;
            ret = transfer(SYS_SENDMSG, fd, sr, flags);
        }
        return finish(req, ctx, sr, type, flags, ret, minRet, 0);
    }

    /** {@code io_recv} and {@code io_recvmsg} (single-shot). */
    static int recv(Req req, IssueContext ctx) {
        if (RecvMultishot.owns(req)) {
            return RecvMultishot.issue(req, ctx);
        }
        Sr sr = (Sr) req.opState();
        if (!sr.polled && (sr.flags & IORING_RECVSEND_POLL_FIRST) != 0) {
            sr.polled = true;
            return -EAGAIN;
        }
        int fd = ctx.fileDescriptor(req);
        int type = RealSockets.sockOpt(fd, RealSockets.SO_TYPE);
        if (type < 0) {
            return type;
        }
        Kbuf.Selection sel = null;
        if ((req.flags() & IOSQE_BUFFER_SELECT) != 0) {
            if ((sr.flags & IORING_RECVSEND_BUNDLE) != 0) {
                return selectBuffer(req, ctx);
            }
            // io_recv_buf_select, io_recvmsg: a buffer of the group, at most sr->len (RECVMSG: its one iovec's
            // length); none fails the request with -ENOBUFS
            sel = Kbuf.select(req, ctx, sr.msg != null ? iovBytes(ctx, sr.msg) : sr.len);
            if (sel == null) {
                return -ENOBUFS;
            }
        }
        int flags = sr.msgFlags | MSG_DONTWAIT;
        int ret;
        int minRet;
        int msgFlags;
        if (sr.msg != null) {
            // recvmsg with cmsg attached never retries a partial MSG_WAITALL
            boolean waitAll = sel == null && (flags & MSG_WAITALL) != 0 && sr.msg.get(JAVA_LONG, MSG_CONTROLLEN) == 0;
            minRet = waitAll ? iovBytes(ctx, sr.msg) - sr.doneIo : 0;
            ret = sel == null ? message(ctx, false, fd, sr, flags)
                    : messageWith(false, fd, sr.msg, new long[] {sel.address(), Integer.toUnsignedLong(sel.length())},
                            flags);
            msgFlags = sr.msg.get(JAVA_INT, MSG_FLAGS);
            if (ret >= 0) {
                writeBack(ctx, sr);
            }
        } else if (sel != null) {
            // the selected buffer is the receive's (sr->buf, sr->len); a partial MSG_WAITALL is not retried here
            sr.buf = sel.address();
            sr.len = sel.length();
            minRet = 0;
            int[] outFlags = new int[1];
            ret = transfer(SYS_RECVMSG, fd, sr, flags, outFlags);
            msgFlags = outFlags[0];
        } else {
            minRet = (flags & MSG_WAITALL) != 0 ? sr.len : 0;
            int[] outFlags = new int[1];
            ret = transfer(SYS_RECVMSG, fd, sr, flags, outFlags);
            msgFlags = outFlags[0];
        }
        if (ret >= minRet && (flags & MSG_WAITALL) != 0 && (msgFlags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
            ctx.reqSetFail(req);
        }
        int cflags = ret >= 0 && hasMoreToRead(fd, type) ? IORING_CQE_F_SOCK_NONEMPTY : 0;
        if (sel != null) {
            // io_kbuf_recycle on -EAGAIN and on nothing received; else io_put_kbuf's flags
            if (ret <= 0 && sr.doneIo == 0) {
                Kbuf.recycle(ctx, sel);
            } else {
                cflags |= Kbuf.cqeFlags(ctx, sel, ret);
            }
        }
        return finish(req, ctx, sr, type, flags, ret, minRet, cflags);
    }

    /**
     * SENDMSG or RECVMSG of {@code msg} over the (base, length) pairs {@code iov} in place of the msghdr's own
     * iovecs: a selected buffer ({@code iov_iter_ubuf}), or the rest of a retried transfer.
     */
    private static int messageWith(boolean send, int fd, MemorySegment msg, long[] iov, int flags) {
        ProgramMemory served = ProgramTransfers.program();
        if (served != null) {
            return ProgramMessages.message(served, send, fd, msg, iov, null, 0, flags);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment local = call.allocate(MSGHDR_SIZE, 8).copyFrom(msg);
            MemorySegment vec = call.allocate(Math.max(8L * iov.length, 16), 8);
            for (int i = 0; i < iov.length; i++) {
                vec.setAtIndex(JAVA_LONG, i, iov[i]);
            }
            local.set(JAVA_LONG, MSG_IOV, vec.address());
            local.set(JAVA_LONG, MSG_IOVLEN, iov.length / 2);
            int ret = (int) Linux.call(send ? SYS_SENDMSG : SYS_RECVMSG, fd, local.address(), flags);
            msg.set(JAVA_INT, MSG_NAMELEN, local.get(JAVA_INT, MSG_NAMELEN));
            msg.set(JAVA_LONG, MSG_CONTROLLEN, local.get(JAVA_LONG, MSG_CONTROLLEN));
            msg.set(JAVA_INT, MSG_FLAGS, local.get(JAVA_INT, MSG_FLAGS));
            return ret;
        }
    }

    /** The common end of a send or receive: retry, wait, fail or complete, as io_send / io_recv end. */
    private static int finish(Req req, IssueContext ctx, Sr sr, int type, int flags, int ret, int minRet,
            int cflags) {
        int res = ret;
        if (ret < minRet) {
            if (ret == -EAGAIN && (sr.msgFlags & MSG_DONTWAIT) == 0) {
                sr.polled = true;
                return -EAGAIN;
            }
            if (ret > 0 && (flags & MSG_WAITALL) != 0 && (type == SOCK_STREAM || type == SOCK_SEQPACKET)) {
                // io_net_retry: a partial transfer of a stream moves on and waits for the rest (a msghdr's iovecs
                // by doneIo; io_sendmsg sends the control data only once)
                if (sr.msg == null) {
                    sr.buf += ret;
                    sr.len -= ret;
                } else if (req.opcode() == IORING_OP_SENDMSG) {
                    sr.msg.set(JAVA_LONG, ProgramMessages.MSG_CONTROL, 0);
                    sr.msg.set(JAVA_LONG, MSG_CONTROLLEN, 0);
                }
                sr.doneIo += ret;
                sr.polled = true;
                return -EAGAIN;
            }
            ctx.reqSetFail(req);
        }
        if (res >= 0) {
            res += sr.doneIo;
        } else if (sr.doneIo != 0) {
            // io_sendrecv_fail: what was transferred before the error is the result
            res = sr.doneIo;
        }
        ctx.setRes(req, res, cflags);
        return OpDef.COMPLETE;
    }

    /**
     * {@code sendmsg} / {@code recvmsg} of SENDMSG's or RECVMSG's msghdr (a served program's: its memory's), its
     * iovecs past the {@code doneIo} bytes a partial MSG_WAITALL transfer already moved (the kernel's msg_iter has
     * advanced over them).
     */
    private static int message(IssueContext ctx, boolean send, int fd, Sr sr, int flags) {
        MemorySegment msg = sr.msg;
        ProgramMemory served = ProgramTransfers.program();
        if (served == null && sr.doneIo == 0) {
            return (int) Linux.call(send ? SYS_SENDMSG : SYS_RECVMSG, fd, msg.address(), flags);
        }
        long uvec = msg.get(JAVA_LONG, MSG_IOV);
        long count = msg.get(JAVA_LONG, MSG_IOVLEN);
        long[] iov;
        if (served != null) {
            iov = ProgramMessages.iovecs(served, uvec, count);
        } else {
            iov = new long[(int) Math.min(count, Rw.UIO_MAXIOV) * 2];
            iov = IovIter.copyIovec(ctx, uvec, iov) == 0 ? iov : null;
        }
        return iov == null ? -EFAULT : messageWith(send, fd, msg, advance(iov, sr.doneIo), flags);
    }

    /** The (base, length) pairs {@code iov} past their first {@code skip} bytes ({@code iov_iter_advance}). */
    private static long[] advance(long[] iov, long skip) {
        int seg = 0;
        long left = skip;
        while (seg < iov.length && left >= iov[seg + 1] && iov[seg + 1] >= 0) {
            left -= iov[seg + 1];
            seg += 2;
        }
        long[] rest = Arrays.copyOfRange(iov, seg, iov.length);
        if (rest.length > 0) {
            rest[0] += left;
            rest[1] -= left;
        }
        return rest;
    }

    /** One {@code sendmsg} / {@code recvmsg} of SEND's or RECV's buffer (SEND_VECTORIZED: its iovecs). */
    private static int transfer(long nr, int fd, Sr sr, int flags, int... outFlags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment msg = call.allocate(MSGHDR_SIZE, 8);
            ProgramMemory served = ProgramTransfers.program();
            if (served != null) {
                boolean vectorized = (sr.flags & IORING_SEND_VECTORIZED) != 0;
                long[] iov = vectorized ? ProgramMessages.iovecs(served, sr.buf, sr.len)
                        : new long[] {sr.buf, Integer.toUnsignedLong(sr.len)};
                int ret = iov == null ? -EFAULT : ProgramMessages.message(served, nr == SYS_SENDMSG, fd, msg, iov,
                        sr.name, sr.nameLen, flags & (nr == SYS_SENDMSG ? ~MSG_WAITALL : ~0));
                if (outFlags.length > 0) {
                    outFlags[0] = msg.get(JAVA_INT, MSG_FLAGS);
                }
                return ret;
            }
            MemorySegment iov = call.allocate(16, 8);
            if ((sr.flags & IORING_SEND_VECTORIZED) != 0) {
                msg.set(JAVA_LONG, MSG_IOV, sr.buf);
                msg.set(JAVA_LONG, MSG_IOVLEN, sr.len);
            } else {
                iov.set(JAVA_LONG, 0, sr.buf);
                iov.set(JAVA_LONG, 8, Integer.toUnsignedLong(sr.len));
                msg.set(JAVA_LONG, MSG_IOV, iov.address());
                msg.set(JAVA_LONG, MSG_IOVLEN, 1);
            }
            if (sr.name != null) {
                msg.set(JAVA_LONG, 0, sr.name.address());
                msg.set(JAVA_INT, MSG_NAMELEN, sr.nameLen);
            }
            int ret = (int) Linux.call(nr, fd, msg.address(), flags & (nr == SYS_SENDMSG ? ~MSG_WAITALL : ~0));
            if (outFlags.length > 0) {
                outFlags[0] = msg.get(JAVA_INT, MSG_FLAGS);
            }
            return ret;
        }
    }

    /** ____sys_recvmsg's write-back: the name's length, the control data's length and the flags. */
    private static void writeBack(IssueContext ctx, Sr sr) {
        ProgramMemory served = ProgramTransfers.program();
        if (served != null) {
            ProgramMessages.writeBack(served, sr.umsg, sr.msg);
            return;
        }
        // the fields written end with msg_flags: the padding after it is never touched
        MemorySegment user = ctx.userMemory(sr.umsg, MSG_FLAGS + 4);
        if (user != null) {
            user.set(JAVA_INT, MSG_NAMELEN, sr.msg.get(JAVA_INT, MSG_NAMELEN));
            user.set(JAVA_LONG, MSG_CONTROLLEN, sr.msg.get(JAVA_LONG, MSG_CONTROLLEN));
            user.set(JAVA_INT, MSG_FLAGS, sr.msg.get(JAVA_INT, MSG_FLAGS));
        }
    }

    /** The bytes a msghdr's iovecs hold (MSG_WAITALL's minimum), 0 where they cannot be read. */
    private static int iovBytes(IssueContext ctx, MemorySegment msg) {
        long n = msg.get(JAVA_LONG, MSG_IOVLEN);
        MemorySegment iov = n <= 0 || n > 1024 ? null : ctx.userMemory(msg.get(JAVA_LONG, MSG_IOV), n * 16);
        long total = 0;
        for (long i = 0; iov != null && i < n; i++) {
            total += iov.get(JAVA_LONG, i * 16 + 8);
        }
        return (int) Math.min(total, Integer.MAX_VALUE);
    }

    /**
     * {@code msg_inq > 0} after a receive: the protocols that report it (TCP; AF_UNIX streams) and still hold
     * bytes. Datagram sockets leave it unset, and a receive then has no IORING_CQE_F_SOCK_NONEMPTY. TCP also reports
     * 1 once the peer's FIN came and no byte is left ({@code tcp_inq_hint}: "after receiving a FIN, tell the
     * user-space to continue reading"), so a receive at the end of the stream, 0 bytes, has the flag too (world
     * lockstep seed 261, on this kernel); the FIN shows as POLLRDHUP (tcp_poll: RCV_SHUTDOWN, which tcp_fin sets
     * with SOCK_DONE).
     */
    private static boolean hasMoreToRead(int fd, int type) {
        if (type != SOCK_STREAM) {
            return false;
        }
        int family = RealSockets.sockOpt(fd, RealSockets.SO_DOMAIN);
        if (family == AF_UNIX) {
            return RealSockets.bytesToRead(fd) > 0;
        }
        return (family == AF_INET || family == AF_INET6)
                && (RealSockets.bytesToRead(fd) > 0 || (RealSockets.pollNow(fd, POLLRDHUP) & POLLRDHUP) != 0);
    }
}
