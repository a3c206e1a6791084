package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EAFNOSUPPORT;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPROTONOSUPPORT;
import static dev.ringspec.uapi.Errno.ESOCKTNOSUPPORT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.IoUringBpfCtx;
import java.lang.foreign.MemorySegment;

/**
 * {@code IORING_OP_SOCKET} and {@code IORING_OP_CONNECT} (io_uring/net.c; the world of WORLD.md): every check of
 * their preps in the kernel's order, the BPF filter context each populates (7.0+; CONNECT's from 7.2), and at
 * issue only what the kernel decides from the arguments alone. The model has no network: a SOCKET that would
 * make a socket does so only in its direct-descriptor form (the slot then holds {@link FileTable#DIRECT_SOCKET});
 * a CONNECT reaches issue only without a file (-EBADF, {@code io_assign_file}). Every other form throws, naming it.
 */
final class Net {
    /** {@code SOCK_TYPE_MASK}, {@code SOCK_MAX} ({@code SOCK_PACKET + 1}), SOCK_CLOEXEC and SOCK_NONBLOCK (x86-64). */
    static final int SOCK_TYPE_MASK = 0xf;
    static final int SOCK_MAX = 11;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** Families no kernel will ever know (at or above 64, or negative): surely at or above NPROTO. */
    private static final int FAMILY_SURELY_UNKNOWN = 64;
    /** {@code sizeof(struct sockaddr_storage)}, {@code sizeof(struct sockaddr_in)}, {@code SIN6_LEN_RFC2133}. */
    static final int SOCKADDR_STORAGE_SIZE = 128;
    static final int SOCKADDR_IN_SIZE = 16;
    static final int SIN6_LEN_RFC2133 = 24;
    /** {@code struct io_uring_bpf_ctx}'s connect part (7.2+ bpf_filter.h): family, port, then v4 or v6 address. */
    static final long CONNECT_FAMILY_OFFSET = IoUringBpfCtx.SOCKET_OFFSET;
    static final long CONNECT_PORT_OFFSET = IoUringBpfCtx.SOCKET_OFFSET + 4;
    static final long CONNECT_ADDR_OFFSET = IoUringBpfCtx.SOCKET_OFFSET + 8;

    private Net() {
    }

    /** SOCKET's entry: no file, no ioprio, no iopoll; from 7.0 a 12-byte filter payload. */
    static OpDef socketDef(KernelProfile profile, boolean swapTypeAndProtocol) {
        if (!profile.bpfFilters()) {
            return new OpDef(IORING_OP_SOCKET, "SOCKET", 0, Net::socketPrep, Net::socket);
        }
        OpDef.FilterPopulate populate = swapTypeAndProtocol ? Net::socketBpfPopulateSwapped : Net::socketBpfPopulate;
        return new OpDef(IORING_OP_SOCKET, "SOCKET", 0, Net::socketPrep, Net::socket, 12, populate);
    }

    /** CONNECT's entry: needs a file, may wait for writability; from 7.2 a 24-byte filter payload. */
    static OpDef connectDef(KernelProfile profile) {
        int flags = OpDef.NEEDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.POLLOUT;
        if (!profile.connectFilterPayload()) {
            return new OpDef(IORING_OP_CONNECT, "CONNECT", flags, Net::connectPrep, Net::connect);
        }
        return new OpDef(IORING_OP_CONNECT, "CONNECT", flags, Net::connectPrep, Net::connect, 24,
                Net::connectBpfPopulate);
    }

    /** {@code struct io_socket}: what io_socket_prep read. */
    record Socket(int domain, int type, int protocol, int fileSlot) {
        int flags() {
            return type & ~SOCK_TYPE_MASK;
        }
    }

    /** {@code io_socket_prep}. */
    static int socketPrep(Req req, IssueContext ctx) {
        // io_socket_prep: addr, rw_flags or buf_index set -> -EINVAL
        if (req.addr() != 0 || req.opFlags() != 0 || req.bufIndex() != 0) {
            ctx.fire(Rules.SOCKET_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        // io_socket_prep: domain from fd, type from off, protocol from len, file_slot from file_index
        Socket sock = new Socket(req.fd(), (int) req.off(), req.len(), req.fileIndex());
        req.opState(sock);
        // io_socket_prep: a direct descriptor cannot be SOCK_CLOEXEC; type flags beyond CLOEXEC|NONBLOCK -> -EINVAL
        if (sock.fileSlot() != 0 && (sock.flags() & SOCK_CLOEXEC) != 0
                || (sock.flags() & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) {
            ctx.fire(Rules.SOCKET_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        return 0;
    }

    /** {@code io_socket_bpf_populate}: family, type (with its flags) and protocol as prep read them. */
    static void socketBpfPopulate(Req req, MemorySegment bctx) {
        Socket sock = (Socket) req.opState();
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_FAMILY_OFFSET, sock.domain());
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_TYPE_OFFSET, sock.type());
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_PROTOCOL_OFFSET, sock.protocol());
    }

    /** Mutant BPF_SOCKET_TYPE_PROTOCOL_SWAPPED: {@link #socketBpfPopulate} with type and protocol swapped. */
    private static void socketBpfPopulateSwapped(Req req, MemorySegment bctx) {
        Socket sock = (Socket) req.opState();
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_FAMILY_OFFSET, sock.domain());
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_TYPE_OFFSET, sock.protocol());
        bctx.set(JAVA_INT_UNALIGNED, IoUringBpfCtx.SOCKET_PROTOCOL_OFFSET, sock.type());
    }

    /**
     * {@code io_socket}: {@code __sys_socket_file} ({@code __sock_create}, then the family's create), then the
     * descriptor. Only what the arguments alone decide is modelled.
     */
    static int socket(Req req, IssueContext ctx) {
        Socket sock = (Socket) req.opState();
        int ret = sockCreate(sock);
        if (ret == 0 && sock.fileSlot() == 0) {
            throw new UnsupportedOperationException("SOCKET without a direct descriptor (family " + sock.domain()
                    + ", type " + sock.type() + ", protocol " + sock.protocol() + ") would make a socket in the "
                    + "process's table, which the model does not have (WORLD.md)");
        }
        if (ret == 0) {
            // io_socket: io_fixed_fd_install of the new socket (0, or the allocated slot); its error is the result
            // as such, without req_set_fail: under IOSQE_CQE_SKIP_SUCCESS no CQE, and a link goes on
            ret = ctx.fixedFdInstall(req, sock.fileSlot());
        } else {
            // io_socket: a refused socket -> req_set_fail
            ctx.fire(Rules.SOCKET_CREATE_REFUSED, -ret);
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /**
     * {@code __sock_create} and {@code unix_create}, for arguments whose answer every kernel gives alike: 0 when
     * a socket is made, or the -errno.
     */
    private static int sockCreate(Socket sock) {
        int family = sock.domain();
        int type = sock.type() & SOCK_TYPE_MASK;
        // __sock_create: family < 0 or >= NPROTO -> -EAFNOSUPPORT
        if (family < 0 || family >= FAMILY_SURELY_UNKNOWN) {
            return -EAFNOSUPPORT;
        }
        if (family != AF_UNIX && family != AF_INET && family != AF_INET6) {
            throw new UnsupportedOperationException("SOCKET family " + family + " depends on the kernel's build "
                    + "(WORLD.md: AF_UNIX, AF_INET, AF_INET6, or a family >= 64)");
        }
        // __sock_create: type >= SOCK_MAX -> -EINVAL
        if (type >= SOCK_MAX) {
            return -EINVAL;
        }
        if (family == AF_UNIX) {
            // unix_create: a protocol other than 0 or PF_UNIX -> -EPROTONOSUPPORT
            if (sock.protocol() != 0 && sock.protocol() != AF_UNIX) {
                return -EPROTONOSUPPORT;
            }
            // unix_create: STREAM, DGRAM, RAW (made DGRAM), SEQPACKET; any other type -> -ESOCKTNOSUPPORT
            return type == SOCK_STREAM || type == SOCK_DGRAM || type == 3 || type == 5 ? 0 : -ESOCKTNOSUPPORT;
        }
        if ((type == SOCK_STREAM || type == SOCK_DGRAM) && sock.protocol() == 0) {
            return 0;
        }
        throw new UnsupportedOperationException("SOCKET family " + family + " type " + type + " protocol "
                + sock.protocol() + " is outside the model's world (WORLD.md: STREAM or DGRAM with protocol 0)");
    }

    /** {@code struct io_connect} and its async data: the address as prep copied it in. */
    record Connect(long addr, int addrLen, byte[] address) {
    }

    /** {@code io_connect_prep}. */
    static int connectPrep(Req req, IssueContext ctx) {
        // io_connect_prep: len, buf_index, rw_flags or splice_fd_in set -> -EINVAL
        if (req.len() != 0 || req.bufIndex() != 0 || req.opFlags() != 0 || req.fileIndex() != 0) {
            ctx.fire(Rules.CONNECT_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        // io_connect_prep: addr_len is addr2 truncated to an int
        int addrLen = (int) req.off();
        // move_addr_to_kernel: a length below 0 or above sockaddr_storage -> -EINVAL; 0 copies nothing
        if (addrLen < 0 || addrLen > SOCKADDR_STORAGE_SIZE) {
            ctx.fire(Rules.CONNECT_PREP_INVALID, req.userData());
            return -EINVAL;
        }
        byte[] address = new byte[SOCKADDR_STORAGE_SIZE];
        if (addrLen > 0) {
            // move_addr_to_kernel: copy_from_user of addr_len bytes -> -EFAULT
            MemorySegment user = ctx.userMemory(req.addr(), addrLen);
            if (user == null) {
                ctx.fire(Rules.CONNECT_PREP_FAULT, req.userData());
                return -EFAULT;
            }
            MemorySegment.copy(user, JAVA_BYTE, 0, address, 0, addrLen);
        }
        req.opState(new Connect(req.addr(), addrLen, address));
        return 0;
    }

    /**
     * {@code io_connect_bpf_populate} (7.2+): nothing unless addr_len covers the family; then the family, and for
     * AF_INET (16 bytes or more) the port and IPv4 address, for AF_INET6 (SIN6_LEN_RFC2133 or more) the port and
     * IPv6 address, all as the caller's bytes (network order).
     */
    static void connectBpfPopulate(Req req, MemorySegment bctx) {
        Connect conn = (Connect) req.opState();
        if (conn.addrLen() < 2) {
            return;
        }
        MemorySegment ss = MemorySegment.ofArray(conn.address());
        int family = Short.toUnsignedInt(ss.get(JAVA_SHORT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN)
                .withByteAlignment(1), 0));
        bctx.set(JAVA_INT_UNALIGNED, CONNECT_FAMILY_OFFSET, family);
        int addrBytes = family == AF_INET && conn.addrLen() >= SOCKADDR_IN_SIZE ? 4
                : family == AF_INET6 && conn.addrLen() >= SIN6_LEN_RFC2133 ? 16 : 0;
        if (addrBytes == 0) {
            return;
        }
        // sin_port and sin6_port sit at byte 2; sin_addr at byte 4, sin6_addr at byte 8
        MemorySegment.copy(ss, 2, bctx, CONNECT_PORT_OFFSET, 2);
        MemorySegment.copy(ss, addrBytes == 4 ? 4 : 8, bctx, CONNECT_ADDR_OFFSET, addrBytes);
    }

    /** {@code io_connect}: reached only with a file, which the model's world never gives a CONNECT. */
    static int connect(Req req, IssueContext ctx) {
        throw new UnsupportedOperationException("CONNECT on a file (fd " + req.fd() + ") is outside the model's "
                + "world (WORLD.md: fd -1 or an empty fixed slot, -EBADF)");
    }
}
