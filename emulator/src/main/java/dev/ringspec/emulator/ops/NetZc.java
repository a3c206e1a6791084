package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_SENDMSG;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_FIXED_BUF;
import static dev.ringspec.uapi.IoUring.IORING_RECVSEND_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUring.IORING_SEND_ZC_REPORT_USAGE;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ColdDef;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.RegisteredBuffer;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/net.c's zero-copy sends, {@code SEND_ZC} and {@code SENDMSG_ZC} ({@code io_send_zc_prep},
 * {@code io_sendmsg_zc}): {@link Net}'s send with a notification ({@link Notif}). Every request that got past the
 * notification's allocation in its prep posts two CQEs: its result with IORING_CQE_F_MORE (also when it fails, by
 * {@code io_sendrecv_fail}; not when it is cancelled as a link of a failed chain), and later the notification with
 * IORING_CQE_F_NOTIF, flushed when the request is freed ({@code io_send_zc_cleanup}).
 *
 * <p>The real call is a plain {@code sendmsg} without MSG_ZEROCOPY: the bytes and the results are the kernel's, and
 * the notification follows at once (the kernel's follows the network's release of the pages, on loopback within the
 * send). Only sockets with SOCK_SUPPORT_ZC take the request (TCP and UDP over IPv4 and IPv6, set by
 * {@code tcp_init_sock} and {@code udp_init_sock}, accepted TCP sockets too); any other is -EOPNOTSUPP (AF_UNIX).
 */
final class NetZc {
    /** {@code IO_ZC_FLAGS_COMMON}. */
    private static final int COMMON = IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_FIXED_BUF;
    private static final int SO_PROTOCOL = 38;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_UDPLITE = 136;
    /** The SQE's {@code __pad2[0]}. */
    private static final int PAD2_OFFSET = 56;

    private NetZc() {
    }

    static List<EmuOp> ops(EmulatorServices services) {
        // opdef.c: needs_file, pollout, ioprio (no buffer_select)
        int flags = OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.IOPRIO | OpDef.POLLOUT;
        return List.of(EmuOp.of(new OpDef(IORING_OP_SEND_ZC, "SEND_ZC", flags, NetZc::prep, NetZc::issue)),
                EmuOp.of(new OpDef(IORING_OP_SENDMSG_ZC, "SENDMSG_ZC", flags, NetZc::prep, NetZc::issue)));
    }

    /** {@code struct io_sr_msg} of a zero-copy send, with its notification: what the kernel's cold def acts on. */
    static final class Zc extends Net.Sr implements ColdDef {
        final Notif notif;
        final int bufIndex;

        Zc(Req req, Notif notif) {
            super(req.ioprio(), req.opFlags() | Net.MSG_NOSIGNAL, req.addr(), req.len());
            this.notif = notif;
            this.bufIndex = req.bufIndex();
        }

        @Override
        public int failCqeFlags(Req req) {
            // io_sendrecv_fail: REQ_F_NEED_CLEANUP with a zero-copy opcode -> IORING_CQE_F_MORE
            return IORING_CQE_F_MORE;
        }

        @Override
        public void cleanup(Req req) {
            // io_send_zc_cleanup: io_notif_flush
            notif.flush();
        }
    }

    /** {@code IO_ZC_FLAGS_VALID}: IORING_SEND_VECTORIZED from 6.15. */
    private static int validFlags(IssueContext ctx) {
        int valid = COMMON | IORING_SEND_ZC_REPORT_USAGE;
        return Versions.atLeast(ctx.profile(), 6, 15) ? valid | IORING_SEND_VECTORIZED : valid;
    }

    /** {@code io_send_zc_prep}, in the kernel's order; through 6.12 with its own checks of the buffer and address. */
    static int prep(Req req, IssueContext ctx) {
        // io_send_zc_prep: __pad2[0] -> -EINVAL; addr3 too until 7.1 made it the notification's user_data
        boolean addr3Names = Versions.atLeast(ctx.profile(), 7, 1);
        if (ctx.sqeLong(PAD2_OFFSET) != 0 || !addr3Names && req.addr3() != 0) {
            return -EINVAL;
        }
        // io_send_zc_prep: IOSQE_CQE_SKIP_SUCCESS is not supported -> -EINVAL
        if ((req.flags() & IOSQE_CQE_SKIP_SUCCESS) != 0) {
            return -EINVAL;
        }
        // io_alloc_notif: from here on a failure still posts the notification (REQ_F_NEED_CLEANUP)
        Zc zc = new Zc(req, new Notif(ctx, addr3Names && req.addr3() != 0 ? req.addr3() : req.userData()));
        req.opState(zc);
        // io_send_zc_prep: flags outside IO_ZC_FLAGS_VALID -> -EINVAL
        if ((zc.flags & ~validFlags(ctx)) != 0) {
            return -EINVAL;
        }
        if ((zc.flags & IORING_SEND_ZC_REPORT_USAGE) != 0) {
            zc.notif.reportUsage();
        }
        boolean send = req.opcode() == IORING_OP_SEND_ZC;
        if (!Versions.atLeast(ctx.profile(), 6, 15)) {
            // io_send_zc_prep (6.12): a registered buffer past the table -> -EFAULT; SENDMSG_ZC takes none
            if ((zc.flags & IORING_RECVSEND_FIXED_BUF) != 0 && ctx.fixedBuffer(zc.bufIndex) == null) {
                return -EFAULT;
            }
            if (!send && (req.off() != 0 || req.fileIndex() != 0 || (zc.flags & IORING_RECVSEND_FIXED_BUF) != 0)) {
                return -EINVAL;
            }
            return send ? Net.sendSetup(req, ctx, zc) : Net.copyMsghdr(req, ctx, zc);
        }
        if (send) {
            return Net.sendSetup(req, ctx, zc);
        }
        // io_send_zc_prep: SENDMSG_ZC with addr2 or file_index -> -EINVAL; io_sendmsg_setup copies the msghdr
        if (req.off() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        return Net.copyMsghdr(req, ctx, zc);
    }

    /** {@code io_sendmsg_zc} (both opcodes). */
    static int issue(Req req, IssueContext ctx) {
        Zc zc = (Zc) req.opState();
        int fd = ctx.fileDescriptor(req);
        if (importsFirst(req, ctx, zc)) {
            // io_sendmsg_zc (6.18): SENDMSG_ZC imports its registered buffer before it looks at the file, so a
            // registered buffer that does not hold the msghdr's iovecs is -EFAULT on any file (measured on 6.18.44:
            // a pipe answers -EFAULT, or -ENOTSOCK once the iovecs lie inside the registered buffer)
            long[] iov = iovecs(req, ctx, zc);
            if (iov == null || !withinRegisteredBuffer(ctx, zc.bufIndex, iov)) {
                return -EFAULT;
            }
        }
        // io_sendmsg_zc: sock_from_file -> -ENOTSOCK; no SOCK_SUPPORT_ZC -> -EOPNOTSUPP; POLL_FIRST waits once
        int type = RealSockets.sockOpt(fd, RealSockets.SO_TYPE);
        if (type < 0) {
            return type;
        }
        if (!supportsZc(fd)) {
            return -EOPNOTSUPP;
        }
        if (!zc.polled && (zc.flags & IORING_RECVSEND_POLL_FIRST) != 0) {
            zc.polled = true;
            return -EAGAIN;
        }
        long[] iov = iovecs(req, ctx, zc);
        if (iov == null) {
            return -EFAULT;
        }
        // io_send_zc_import: a registered buffer must hold every byte sent -> -EFAULT
        if ((zc.flags & IORING_RECVSEND_FIXED_BUF) != 0 && !withinRegisteredBuffer(ctx, zc.bufIndex, iov)) {
            return -EFAULT;
        }
        long[] rest = skip(iov, zc.doneIo);
        int flags = zc.msgFlags | Net.MSG_DONTWAIT;
        // MSG_WAITALL: min_ret is what is left to send
        long minRet = (flags & Net.MSG_WAITALL) != 0 ? bytes(rest) : 0;
        int ret = sendmsg(fd, zc, rest, flags & ~Net.MSG_WAITALL);
        if (ret < minRet) {
            if (ret == -EAGAIN && (zc.msgFlags & Net.MSG_DONTWAIT) == 0) {
                zc.polled = true;
                return -EAGAIN;
            }
            // io_net_retry: a stream's partial send with MSG_WAITALL goes on from where it stopped
            if (ret > 0 && (type == Net.SOCK_STREAM || type == Net.SOCK_SEQPACKET)) {
                zc.doneIo += ret;
                zc.polled = true;
                return -EAGAIN;
            }
            ctx.reqSetFail(req);
        }
        int res = ret >= 0 ? ret + zc.doneIo : zc.doneIo != 0 ? zc.doneIo : ret;
        ctx.setRes(req, res, IORING_CQE_F_MORE);
        return OpDef.COMPLETE;
    }

    /**
     * Whether this SENDMSG_ZC imports its registered buffer before the socket checks: from 6.15 (where it takes
     * one) until 7.1, whose {@code io_sendmsg_zc} checks the socket first ({@code io_send_zc_import} after it).
     */
    private static boolean importsFirst(Req req, IssueContext ctx, Zc zc) {
        return req.opcode() == IORING_OP_SENDMSG_ZC && (zc.flags & IORING_RECVSEND_FIXED_BUF) != 0
                && Versions.atLeast(ctx.profile(), 6, 15) && !Versions.atLeast(ctx.profile(), 7, 1);
    }

    /** {@code SOCK_SUPPORT_ZC}: TCP and UDP (and UDP-Lite) sockets of IPv4 and IPv6. */
    private static boolean supportsZc(int fd) {
        int family = RealSockets.sockOpt(fd, RealSockets.SO_DOMAIN);
        if (family != Net.AF_INET && family != Net.AF_INET6) {
            return false;
        }
        int protocol = RealSockets.sockOpt(fd, SO_PROTOCOL);
        return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE;
    }

    /** The (base, length) pairs to send: SEND_ZC's buffer or iovecs, SENDMSG_ZC's msghdr's; null where unreadable. */
    private static long[] iovecs(Req req, IssueContext ctx, Zc zc) {
        if (zc.msg == null && (zc.flags & IORING_SEND_VECTORIZED) == 0) {
            return new long[] {zc.buf, Integer.toUnsignedLong(zc.len)};
        }
        long uvec = zc.msg != null ? zc.msg.get(JAVA_LONG, Net.MSG_IOV) : zc.buf;
        long count = zc.msg != null ? zc.msg.get(JAVA_LONG, Net.MSG_IOVLEN) : Integer.toUnsignedLong(zc.len);
        ProgramMemory served = ProgramTransfers.program();
        if (served != null) {
            return ProgramMessages.iovecs(served, uvec, count);
        }
        if (count < 0 || count > Rw.UIO_MAXIOV) {
            return null;
        }
        long[] iov = new long[(int) count * 2];
        MemorySegment vec = count == 0 ? MemorySegment.NULL : ctx.userMemory(uvec, 16 * count);
        if (vec == null) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            iov[2 * i] = vec.get(JAVA_LONG, 16L * i);
            iov[2 * i + 1] = vec.get(JAVA_LONG, 16L * i + 8);
        }
        return iov;
    }

    /** {@code io_import_reg_buf} / {@code io_import_reg_vec}: every segment inside registered buffer {@code index}. */
    private static boolean withinRegisteredBuffer(IssueContext ctx, int index, long[] iov) {
        RegisteredBuffer buf = ctx.fixedBuffer(index);
        if (buf == null) {
            return false;
        }
        for (int i = 0; i < iov.length; i += 2) {
            long end = iov[i] + iov[i + 1];
            if (Long.compareUnsigned(end, iov[i]) < 0 || Long.compareUnsigned(iov[i], buf.address()) < 0
                    || Long.compareUnsigned(end, buf.address() + buf.length()) > 0) {
                return false;
            }
        }
        return true;
    }

    /** The pairs after the first {@code done} bytes (what a retried send still has to move). */
    private static long[] skip(long[] iov, long done) {
        long left = done;
        int i = 0;
        while (i < iov.length && left >= iov[i + 1]) {
            left -= iov[i + 1];
            i += 2;
        }
        long[] rest = java.util.Arrays.copyOfRange(iov, i, iov.length);
        if (rest.length > 0) {
            rest[0] += left;
            rest[1] -= left;
        }
        return rest;
    }

    /** {@code iov_iter_count}: the bytes {@code iov} holds. */
    private static long bytes(long[] iov) {
        long total = 0;
        for (int i = 1; i < iov.length; i += 2) {
            total += iov[i];
        }
        return total;
    }

    /** One {@code sendmsg} of {@code iov}, with SEND_ZC's destination or SENDMSG_ZC's name and control data. */
    private static int sendmsg(int fd, Zc zc, long[] iov, int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment msg = call.allocate(Net.MSGHDR_SIZE, 8);
            if (zc.msg != null) {
                msg.copyFrom(zc.msg);
            }
            ProgramMemory served = ProgramTransfers.program();
            if (served != null) {
                return ProgramMessages.message(served, true, fd, msg, iov, zc.name, zc.nameLen, flags);
            }
            int n = iov.length / 2;
            MemorySegment vec = call.allocate(16L * Math.max(n, 1), 8);
            for (int i = 0; i < n; i++) {
                vec.set(JAVA_LONG, 16L * i, iov[2 * i]);
                vec.set(JAVA_LONG, 16L * i + 8, iov[2 * i + 1]);
            }
            msg.set(JAVA_LONG, Net.MSG_IOV, vec.address());
            msg.set(JAVA_LONG, Net.MSG_IOVLEN, n);
            if (zc.name != null) {
                msg.set(JAVA_LONG, 0, zc.name.address());
                msg.set(JAVA_INT, Net.MSG_NAMELEN, zc.nameLen);
            }
            return (int) Linux.call(SYS_SENDMSG, fd, msg.address(), flags);
        }
    }
}
