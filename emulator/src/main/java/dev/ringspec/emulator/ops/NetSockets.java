package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_ACCEPT4;
import static dev.ringspec.emulator.sys.Linux.SYS_BIND;
import static dev.ringspec.emulator.sys.Linux.SYS_CONNECT;
import static dev.ringspec.emulator.sys.Linux.SYS_LISTEN;
import static dev.ringspec.emulator.sys.Linux.SYS_SHUTDOWN;
import static dev.ringspec.emulator.sys.Linux.SYS_SOCKET;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.ECONNABORTED;
import static dev.ringspec.uapi.Errno.EINPROGRESS;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EISCONN;
import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_DONTWAIT;
import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_ACCEPT_POLL_FIRST;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_BIND;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_LISTEN;
import static dev.ringspec.uapi.IoUring.IORING_OP_SHUTDOWN;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.Poll.POLLHUP;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Apoll;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * io_uring/net.c's socket opcodes (the half of net.c that is not {@link Net}'s data path): {@code SOCKET} and
 * {@code CONNECT} (the model's preps, WORLD.md, with a real issue), {@code ACCEPT} (single, multishot with
 * IORING_CQE_F_MORE, direct descriptors), {@code SHUTDOWN}, {@code BIND} and {@code LISTEN}. The syscalls are
 * made non-blocking as the kernel's first attempt is; -EAGAIN arms a poll.
 */
final class NetSockets {
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOCK_NONBLOCK = 0x800;
    private static final long SOCKADDR_STORAGE_BYTES = 128;
    private static final int NONE = Integer.MIN_VALUE + 1;

    private NetSockets() {
    }

    static List<EmuOp> ops(EmulatorServices services) {
        KernelProfile profile = services.profile();
        List<EmuOp> ops = new ArrayList<>();
        ProcessDescriptorTable table = services.processDescriptors();
        ops.add(EmuOp.of(ModelEntries.wrap(profile, IORING_OP_SOCKET, NetSockets::socketState,
                (req, ctx) -> socket(req, ctx, table))));
        OpDef connect = ModelEntries.wrap(profile, IORING_OP_CONNECT, NetSockets::connectState,
                NetSockets::connect);
        OpDef connectDef = connect != null ? connect : new OpDef(IORING_OP_CONNECT, "CONNECT",
                OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.POLLOUT, NetSockets::connectPrepBefore612,
                NetSockets::connect);
        // io-wq's worker issues a forced-async CONNECT or ACCEPT itself without blocking (io_wq_submit_work), and
        // arms the poll from there where it would block: the connection is made, or taken, when the worker runs. A
        // multishot ACCEPT's worker only arms the poll (REQ_F_APOLL_MULTISHOT) and its wakeups issue it from task
        // work, as the ring's task's issue does (the kernel's CQEs came as soon as the task's: 6.18.44)
        ops.add(new EmuOp(connectDef, new EmuOp.WorkersTry(connectDef.issue())));
        ops.add(new EmuOp(new OpDef(IORING_OP_ACCEPT, "ACCEPT",
                OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.POLLIN | OpDef.POLL_EXCLUSIVE | OpDef.IOPRIO,
                NetSockets::acceptPrep, (req, ctx) -> accept(req, ctx, table)),
                new EmuOp.WorkersTry((req, ctx) -> accept(req, ctx, table),
                        req -> !(req.opState() instanceof Accept a && a.apollMultishot()))));
        // io_shutdown_prep sends every SHUTDOWN to io-wq, whose worker shuts the socket down when it runs: the peer
        // sees the end of the stream before the completion reaches the ring's task
        ops.add(new EmuOp(new OpDef(IORING_OP_SHUTDOWN, "SHUTDOWN", OpDef.NEEDS_FILE, NetSockets::shutdownPrep,
                NetSockets::shutdown), new EmuOp.WorkersTry(NetSockets::shutdown)));
        ops.add(EmuOp.of(new OpDef(IORING_OP_BIND, "BIND", OpDef.NEEDS_FILE, NetSockets::bindPrep,
                NetSockets::bind)));
        ops.add(EmuOp.of(new OpDef(IORING_OP_LISTEN, "LISTEN", OpDef.NEEDS_FILE, NetSockets::listenPrep,
                NetSockets::listen)));
        return ops;
    }

    // ---- SOCKET ----

    /** What io_socket_prep read (the model's state kept along). */
    record Socket(Object model, int domain, int type, int protocol, int fileSlot) implements ModelEntries.Backed {
    }

    private static int socketState(Req req, IssueContext ctx) {
        req.opState(new Socket(req.opState(), req.fd(), (int) req.off(), req.len(), req.fileIndex()));
        return 0;
    }

    /**
     * {@code io_socket}: the socket, then its descriptor, given to the application ({@link ReceiveFd}), or a direct
     * one (without req_set_fail on its errors).
     */
    static int socket(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Socket s = (Socket) req.opState();
        int fd = (int) Linux.call(SYS_SOCKET, s.domain(), s.type(), s.protocol());
        int ret;
        if (fd < 0) {
            ret = fd;
            ctx.reqSetFail(req);
        } else if (s.fileSlot() == 0) {
            return ReceiveFd.give(req, ctx, table, fd, (s.type() & SOCK_CLOEXEC) != 0, ReceiveFd::complete);
        } else {
            ret = install(req, ctx, s.fileSlot(), fd);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /**
     * {@code io_fixed_fd_install}: the table owns {@code fd} on success; on failure its {@code fput} releases the file
     * when the call returns ({@link TaskFput}), as it releases a file the install replaced in an occupied slot.
     */
    static int install(Req req, IssueContext ctx, int fileSlot, int fd) {
        if (fileSlot != IORING_FILE_INDEX_ALLOC) {
            TaskFput.holdSlots(req, ctx, fileSlot - 1, 1);
        }
        int ret = ctx.fixedFdInstall(req, fileSlot, fd);
        if (ret < 0) {
            TaskFput.fput(ctx, fd);
        }
        return ret;
    }

    // ---- CONNECT ----

    /** {@code struct io_connect} and its address as prep copied it. */
    static final class Connect implements ModelEntries.Backed {
        final Object model;
        final MemorySegment address;
        final int addrLen;
        boolean inProgress;
        boolean seenEconnaborted;
        /** Whether a connect call of the request's answered 0: it made the connection. */
        boolean connected;
        /** Whether the socket's state change was said to its polls ({@link Poll#stateChange}). */
        boolean stateChangeSaid;

        Connect(Object model, MemorySegment address, int addrLen) {
            this.model = model;
            this.address = address;
            this.addrLen = addrLen;
        }

        @Override
        public Object model() {
            return model;
        }
    }

    private static int connectState(Req req, IssueContext ctx) {
        // the model's prep copied the address in and checked it: the same bytes again, for the real call
        int len = (int) req.off();
        req.opState(new Connect(req.opState(), Net.copyAddress(ctx, req.addr(), len), len));
        return 0;
    }

    /** {@code io_connect_prep} where the model has no CONNECT (6.1: the same checks; the copy is at issue there). */
    private static int connectPrepBefore612(Req req, IssueContext ctx) {
        if (req.len() != 0 || req.bufIndex() != 0 || req.opFlags() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int len = (int) req.off();
        MemorySegment address = Net.copyAddress(ctx, req.addr(), len);
        if (address == null) {
            return Net.addressError(len);
        }
        req.opState(new Connect(null, address, len));
        return 0;
    }

    /** {@code io_connect}: non-blocking; in progress waits for writability, then the socket's error is the answer. */
    static int connect(Req req, IssueContext ctx) {
        Connect c = (Connect) req.opState();
        int fd = ctx.fileDescriptor(req);
        int ret;
        if (c.inProgress && (RealSockets.pollNow(fd, 0) & RealSockets.POLLERR) != 0) {
            ret = sockError(fd);
        } else {
            try (UnixAddress to = UnixAddress.of(c.address, c.addrLen)) {
                ret = RealSockets.nonBlocking(fd,
                        () -> (int) Linux.call(SYS_CONNECT, fd, to.address().address(), to.length()));
            }
            c.connected |= ret == 0;
            if (ret == -EAGAIN || ret == -EINPROGRESS || ret == -ECONNABORTED) {
                if (ret == -EINPROGRESS) {
                    c.inProgress = true;
                    ret = -EAGAIN;
                }
                if (ret == -EAGAIN || !c.seenEconnaborted) {
                    c.seenEconnaborted |= ret == -ECONNABORTED;
                    ret = -EAGAIN;
                }
            } else if (c.inProgress && (ret == -EBADFD || ret == -EISCONN)) {
                ret = sockError(fd);
            }
        }
        connectConcluded(ctx, c, fd);
        if (ret == -EAGAIN) {
            return -EAGAIN;
        }
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /**
     * The handshake of a TCP connect is over once the socket is no longer in SYN_SENT (writable, or an error): on
     * loopback within the connect call ({@code release_sock} runs the SYN-ACK the socket's backlog holds), where
     * {@code tcp_rcv_synsent_state_process} calls {@code sk_state_change}, a wakeup without a key for the socket's
     * polls ({@link Poll#stateChange}); said once a request whose connect call started the handshake, at the issue
     * that first finds it over.
     */
    private static void connectConcluded(IssueContext ctx, Connect c, int fd) {
        if (c.stateChangeSaid || !(c.inProgress || c.connected)
                || RealSockets.sockOpt(fd, RealSockets.SO_TYPE) != Net.SOCK_STREAM) {
            return;
        }
        int domain = RealSockets.sockOpt(fd, RealSockets.SO_DOMAIN);
        if ((domain == Net.AF_INET || domain == Net.AF_INET6)
                && (RealSockets.pollNow(fd, POLLOUT | RealSockets.POLLERR | POLLHUP) != 0)) {
            c.stateChangeSaid = true;
            Poll.stateChange(ctx, fd);
        }
    }

    /** {@code sock_error}: the socket's pending error as -errno, or 0. */
    private static int sockError(int fd) {
        int err = RealSockets.sockOpt(fd, RealSockets.SO_ERROR);
        return err <= 0 ? err : -err;
    }

    // ---- ACCEPT ----

    /** {@code struct io_accept}. */
    static final class Accept implements Apoll.Multishot {
        final long addr;
        final long addrLen;
        final int flags;
        final int iouFlags;
        final int fileSlot;
        boolean polled;
        /** A connection's descriptor given to the application after the accept's issue returned, or NONE. */
        int given = NONE;

        Accept(long addr, long addrLen, int flags, int iouFlags, int fileSlot) {
            this.addr = addr;
            this.addrLen = addrLen;
            this.flags = flags;
            this.iouFlags = iouFlags;
            this.fileSlot = fileSlot;
        }

        @Override
        public boolean apollMultishot() {
            return (iouFlags & IORING_ACCEPT_MULTISHOT) != 0;
        }
    }

    /** {@code io_accept_prep}. */
    static int acceptPrep(Req req, IssueContext ctx) {
        // io_accept_prep: len or buf_index -> -EINVAL; ioprio flags outside ACCEPT_FLAGS -> -EINVAL
        if (req.len() != 0 || req.bufIndex() != 0) {
            return -EINVAL;
        }
        int iouFlags = req.ioprio();
        if ((iouFlags & ~(IORING_ACCEPT_MULTISHOT | IORING_ACCEPT_DONTWAIT | IORING_ACCEPT_POLL_FIRST)) != 0) {
            return -EINVAL;
        }
        int flags = req.opFlags();
        int slot = req.fileIndex();
        // io_accept_prep: a direct descriptor cannot be SOCK_CLOEXEC, and a multishot one must be allocated
        if (slot != 0 && ((flags & SOCK_CLOEXEC) != 0
                || (iouFlags & IORING_ACCEPT_MULTISHOT) != 0 && slot != IORING_FILE_INDEX_ALLOC)) {
            return -EINVAL;
        }
        if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) {
            return -EINVAL;
        }
        req.opState(new Accept(req.addr(), req.off(), flags, iouFlags, slot));
        return 0;
    }

    /**
     * {@code io_accept}: one connection per issue, or as many as wait for a multishot one. A connection's descriptor
     * goes to the application ({@link ReceiveFd}); where that must wait for its next call, the request goes on from
     * task work then.
     */
    static int accept(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Accept a = (Accept) req.opState();
        if (!a.polled && (a.iouFlags & IORING_ACCEPT_POLL_FIRST) != 0) {
            a.polled = true;
            return -EAGAIN;
        }
        int listener = ctx.fileDescriptor(req);
        boolean multishot = (a.iouFlags & IORING_ACCEPT_MULTISHOT) != 0;
        boolean cloexec = (a.flags & SOCK_CLOEXEC) != 0;
        while (true) {
            int fd;
            if (a.given != NONE) {
                fd = a.given;
                a.given = NONE;
            } else {
                fd = RealSockets.nonBlocking(listener, () -> accept4(listener, a));
                if (fd >= 0 && a.fileSlot == 0) {
                    int local = fd;
                    fd = table.install(local, cloexec);
                    if (fd == ProcessDescriptorTable.LATER) {
                        return ReceiveFd.give(req, ctx, table, local, cloexec, (r, c, given) -> {
                            a.given = given;
                            return accept(r, c, table);
                        });
                    }
                }
            }
            int ret;
            if (fd < 0) {
                ret = fd;
                if (fd == -EAGAIN && (a.iouFlags & IORING_ACCEPT_DONTWAIT) == 0) {
                    a.polled = true;
                    return -EAGAIN;
                }
            } else {
                ret = a.fileSlot == 0 ? fd : install(req, ctx, a.fileSlot, fd);
            }
            // arg.is_empty: only TCP's accept says whether more connections wait (-1, unknown, otherwise)
            int isEmpty = acceptQueueEmpty(listener);
            int cflags = isEmpty == 0 ? IORING_CQE_F_SOCK_NONEMPTY : 0;
            if (ret >= 0 && multishot && ctx.postCqe(req, ret, cflags | IORING_CQE_F_MORE)) {
                if (isEmpty != 1) {
                    continue;
                }
                a.polled = true;
                return -EAGAIN;
            }
            ctx.setRes(req, ret, cflags);
            if (ret < 0) {
                ctx.reqSetFail(req);
            }
            return OpDef.COMPLETE;
        }
    }

    /**
     * {@code accept4} into the request's address: the application's own, or, for a served program, one of this
     * process copied out to it after as {@code move_addr_to_user} does (its addrlen read, -EINVAL when negative, at
     * most that many bytes, the real length written back; -EFAULT where any of it fails, and the connection is
     * dropped, as the kernel's).
     */
    private static int accept4(int listener, Accept a) {
        ProgramMemory served = ProgramTransfers.program();
        if (served == null || a.addr == 0) {
            return (int) Linux.call(SYS_ACCEPT4, listener, a.addr, a.addrLen, a.flags, 0, 0);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment address = call.allocate(SOCKADDR_STORAGE_BYTES, 8);
            MemorySegment len = call.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) SOCKADDR_STORAGE_BYTES);
            int fd = (int) Linux.call(SYS_ACCEPT4, listener, address.address(), len.address(), a.flags, 0, 0);
            if (fd < 0) {
                return fd;
            }
            int kernelLen = len.get(JAVA_INT, 0);
            int ret = served.copyIn(a.addrLen, len) ? 0 : -EFAULT;
            int userLen = len.get(JAVA_INT, 0);
            if (ret == 0 && userLen < 0) {
                ret = -EINVAL;
            }
            if (ret == 0 && userLen > 0 && !served.copyOut(address.asSlice(0, Math.min(userLen, kernelLen)), a.addr)) {
                ret = -EFAULT;
            }
            len.set(JAVA_INT, 0, kernelLen);
            if (ret == 0 && !served.copyOut(len, a.addrLen)) {
                ret = -EFAULT;
            }
            if (ret < 0) {
                Linux.close(fd);
                return ret;
            }
            return fd;
        }
    }

    /** 1 when a TCP listener's queue is empty, 0 when more wait, -1 for a protocol that does not say. */
    private static int acceptQueueEmpty(int listener) {
        int family = RealSockets.sockOpt(listener, RealSockets.SO_DOMAIN);
        if (family != Net.AF_INET && family != Net.AF_INET6) {
            return -1;
        }
        return (RealSockets.pollNow(listener, RealSockets.POLLIN) & RealSockets.POLLIN) != 0 ? 0 : 1;
    }

    // ---- SHUTDOWN, BIND, LISTEN ----

    /** {@code io_shutdown_prep}: always io-wq's. */
    static int shutdownPrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.addr() != 0 || req.opFlags() != 0 || req.bufIndex() != 0
                || req.fileIndex() != 0) {
            return -EINVAL;
        }
        ctx.forceAsync(req);
        return 0;
    }

    /** {@code io_shutdown}: the result as such (no req_set_fail). */
    static int shutdown(Req req, IssueContext ctx) {
        return onSocket(req, ctx, false, fd -> (int) Linux.call(SYS_SHUTDOWN, fd, req.len()));
    }

    /** {@code io_bind_prep}: the address copied in; a named AF_UNIX socket creates a file, so io-wq binds it. */
    static int bindPrep(Req req, IssueContext ctx) {
        if (req.len() != 0 || req.bufIndex() != 0 || req.opFlags() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int len = (int) req.off();
        MemorySegment address = Net.copyAddress(ctx, req.addr(), len);
        if (address == null) {
            return Net.addressError(len);
        }
        // io_bind_file_create: AF_UNIX with a path whose first byte is not NUL (sun_path at byte 2)
        if (address.get(JAVA_SHORT, 0) == Net.AF_UNIX && len > 2 && address.get(java.lang.foreign.ValueLayout
                .JAVA_BYTE, 2) != 0) {
            ctx.forceAsync(req);
        }
        req.opState(new Connect(null, address, len));
        return 0;
    }

    static int bind(Req req, IssueContext ctx) {
        Connect c = (Connect) req.opState();
        return onSocket(req, ctx, true, fd -> {
            try (UnixAddress at = UnixAddress.of(c.address, c.addrLen)) {
                return (int) Linux.call(SYS_BIND, fd, at.address().address(), at.length());
            }
        });
    }

    /** {@code io_listen_prep}: the backlog is len. */
    static int listenPrep(Req req, IssueContext ctx) {
        if (req.addr() != 0 || req.bufIndex() != 0 || req.opFlags() != 0 || req.fileIndex() != 0
                || req.off() != 0) {
            return -EINVAL;
        }
        return 0;
    }

    static int listen(Req req, IssueContext ctx) {
        return onSocket(req, ctx, true, fd -> (int) Linux.call(SYS_LISTEN, fd, req.len()));
    }

    /**
     * {@code sock_from_file} (-ENOTSOCK), then {@code call} on the socket's descriptor: its answer is the result, and
     * a negative one fails the request where the kernel's issue calls req_set_fail.
     */
    private static int onSocket(Req req, IssueContext ctx, boolean failOnError, IntUnaryOperator call) {
        int fd = ctx.fileDescriptor(req);
        int type = RealSockets.sockOpt(fd, RealSockets.SO_TYPE);
        if (type < 0) {
            return type;
        }
        int ret = call.applyAsInt(fd);
        if (ret < 0 && failOnError) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }
}
