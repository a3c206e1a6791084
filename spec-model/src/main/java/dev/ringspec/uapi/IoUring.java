package dev.ringspec.uapi;

/**
 * The constants of {@code include/uapi/linux/io_uring.h}, with the kernel's names.
 *
 * <p>Values track the uapi of Linux 7.1 (liburing master of August 2026), as printed by a C program compiled
 * against the header ({@code shared/reference/uapi.md}); {@code UapiPinnedTest} checks every one against that sheet.
 * A kernel may support fewer of them: {@code KernelCapabilities} tells which. Flags and opcodes are {@code int}
 * (unsigned 32-bit values keep their bit pattern); mmap offsets and 64-bit masks are {@code long}.
 *
 * <p>The NOP flags {@code IORING_NOP_FILE}, {@code _FIXED_FILE}, {@code _FIXED_BUFFER} and {@code _TW} are kernel
 * uapi bits that liburing's copy of the header lacks; they are here because the model needs them.
 */
public final class IoUring {
    private IoUring() {
    }

    // IORING_SETUP_* (io_uring_params.flags)
    public static final int IORING_SETUP_IOPOLL = 1;
    public static final int IORING_SETUP_SQPOLL = 2;
    public static final int IORING_SETUP_SQ_AFF = 4;
    public static final int IORING_SETUP_CQSIZE = 8;
    public static final int IORING_SETUP_CLAMP = 0x10;
    public static final int IORING_SETUP_ATTACH_WQ = 0x20;
    public static final int IORING_SETUP_R_DISABLED = 0x40;
    public static final int IORING_SETUP_SUBMIT_ALL = 0x80;
    public static final int IORING_SETUP_COOP_TASKRUN = 0x100;
    public static final int IORING_SETUP_TASKRUN_FLAG = 0x200;
    public static final int IORING_SETUP_SQE128 = 0x400;
    public static final int IORING_SETUP_CQE32 = 0x800;
    public static final int IORING_SETUP_SINGLE_ISSUER = 0x1000;
    public static final int IORING_SETUP_DEFER_TASKRUN = 0x2000;
    public static final int IORING_SETUP_NO_MMAP = 0x4000;
    public static final int IORING_SETUP_REGISTERED_FD_ONLY = 0x8000;
    public static final int IORING_SETUP_NO_SQARRAY = 0x10000;
    public static final int IORING_SETUP_HYBRID_IOPOLL = 0x20000;
    public static final int IORING_SETUP_CQE_MIXED = 0x40000;
    public static final int IORING_SETUP_SQE_MIXED = 0x80000;
    public static final int IORING_SETUP_SQ_REWIND = 0x100000;

    // IORING_ENTER_* (io_uring_enter flags)
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_SQ_WAKEUP = 2;
    public static final int IORING_ENTER_SQ_WAIT = 4;
    public static final int IORING_ENTER_EXT_ARG = 8;
    public static final int IORING_ENTER_REGISTERED_RING = 0x10;
    public static final int IORING_ENTER_ABS_TIMER = 0x20;
    public static final int IORING_ENTER_EXT_ARG_REG = 0x40;
    public static final int IORING_ENTER_NO_IOWAIT = 0x80;

    // IOSQE_* (sqe->flags) and bit numbers
    public static final int IOSQE_FIXED_FILE = 1;
    public static final int IOSQE_IO_DRAIN = 2;
    public static final int IOSQE_IO_LINK = 4;
    public static final int IOSQE_IO_HARDLINK = 8;
    public static final int IOSQE_ASYNC = 0x10;
    public static final int IOSQE_BUFFER_SELECT = 0x20;
    public static final int IOSQE_CQE_SKIP_SUCCESS = 0x40;
    public static final int IOSQE_FIXED_FILE_BIT = 0;
    public static final int IOSQE_IO_DRAIN_BIT = 1;
    public static final int IOSQE_IO_LINK_BIT = 2;
    public static final int IOSQE_IO_HARDLINK_BIT = 3;
    public static final int IOSQE_ASYNC_BIT = 4;
    public static final int IOSQE_BUFFER_SELECT_BIT = 5;
    public static final int IOSQE_CQE_SKIP_SUCCESS_BIT = 6;

    // IORING_CQE_F_* (cqe->flags)
    public static final int IORING_CQE_F_BUFFER = 1;
    public static final int IORING_CQE_F_MORE = 2;
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 4;
    public static final int IORING_CQE_F_NOTIF = 8;
    public static final int IORING_CQE_F_BUF_MORE = 0x10;
    public static final int IORING_CQE_F_SKIP = 0x20;
    public static final int IORING_CQE_F_32 = 0x8000;
    public static final int IORING_CQE_BUFFER_SHIFT = 0x10;
    public static final int IORING_CQE_F_TSTAMP_HW = 0x10000;

    // IORING_FEAT_* (io_uring_params.features)
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 2;
    public static final int IORING_FEAT_SUBMIT_STABLE = 4;
    public static final int IORING_FEAT_RW_CUR_POS = 8;
    public static final int IORING_FEAT_CUR_PERSONALITY = 0x10;
    public static final int IORING_FEAT_FAST_POLL = 0x20;
    public static final int IORING_FEAT_POLL_32BITS = 0x40;
    public static final int IORING_FEAT_SQPOLL_NONFIXED = 0x80;
    public static final int IORING_FEAT_EXT_ARG = 0x100;
    public static final int IORING_FEAT_NATIVE_WORKERS = 0x200;
    public static final int IORING_FEAT_RSRC_TAGS = 0x400;
    public static final int IORING_FEAT_CQE_SKIP = 0x800;
    public static final int IORING_FEAT_LINKED_FILE = 0x1000;
    public static final int IORING_FEAT_REG_REG_RING = 0x2000;
    public static final int IORING_FEAT_RECVSEND_BUNDLE = 0x4000;
    public static final int IORING_FEAT_MIN_TIMEOUT = 0x8000;
    public static final int IORING_FEAT_RW_ATTR = 0x10000;
    public static final int IORING_FEAT_NO_IOWAIT = 0x20000;

    // SQ / CQ ring flags (sq_ring->flags, cq_ring->flags)
    public static final int IORING_SQ_NEED_WAKEUP = 1;
    public static final int IORING_SQ_CQ_OVERFLOW = 2;
    public static final int IORING_SQ_TASKRUN = 4;
    public static final int IORING_CQ_EVENTFD_DISABLED = 1;

    // mmap offsets IORING_OFF_*
    public static final long IORING_OFF_SQ_RING = 0x0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;
    public static final long IORING_OFF_PBUF_RING = 0x80000000L;
    public static final int IORING_OFF_PBUF_SHIFT = 16;
    public static final long IORING_OFF_MMAP_MASK = 0xf8000000L;

    // IORING_OP_* opcodes (enum io_uring_op)
    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_READV = 1;
    public static final int IORING_OP_WRITEV = 2;
    public static final int IORING_OP_FSYNC = 3;
    public static final int IORING_OP_READ_FIXED = 4;
    public static final int IORING_OP_WRITE_FIXED = 5;
    public static final int IORING_OP_POLL_ADD = 6;
    public static final int IORING_OP_POLL_REMOVE = 7;
    public static final int IORING_OP_SYNC_FILE_RANGE = 8;
    public static final int IORING_OP_SENDMSG = 9;
    public static final int IORING_OP_RECVMSG = 10;
    public static final int IORING_OP_TIMEOUT = 11;
    public static final int IORING_OP_TIMEOUT_REMOVE = 12;
    public static final int IORING_OP_ACCEPT = 13;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_LINK_TIMEOUT = 15;
    public static final int IORING_OP_CONNECT = 0x10;
    public static final int IORING_OP_FALLOCATE = 0x11;
    public static final int IORING_OP_OPENAT = 0x12;
    public static final int IORING_OP_CLOSE = 0x13;
    public static final int IORING_OP_FILES_UPDATE = 0x14;
    public static final int IORING_OP_STATX = 0x15;
    public static final int IORING_OP_READ = 0x16;
    public static final int IORING_OP_WRITE = 0x17;
    public static final int IORING_OP_FADVISE = 0x18;
    public static final int IORING_OP_MADVISE = 0x19;
    public static final int IORING_OP_SEND = 0x1a;
    public static final int IORING_OP_RECV = 0x1b;
    public static final int IORING_OP_OPENAT2 = 0x1c;
    public static final int IORING_OP_EPOLL_CTL = 0x1d;
    public static final int IORING_OP_SPLICE = 0x1e;
    public static final int IORING_OP_PROVIDE_BUFFERS = 0x1f;
    public static final int IORING_OP_REMOVE_BUFFERS = 0x20;
    public static final int IORING_OP_TEE = 0x21;
    public static final int IORING_OP_SHUTDOWN = 0x22;
    public static final int IORING_OP_RENAMEAT = 0x23;
    public static final int IORING_OP_UNLINKAT = 0x24;
    public static final int IORING_OP_MKDIRAT = 0x25;
    public static final int IORING_OP_SYMLINKAT = 0x26;
    public static final int IORING_OP_LINKAT = 0x27;
    public static final int IORING_OP_MSG_RING = 0x28;
    public static final int IORING_OP_FSETXATTR = 0x29;
    public static final int IORING_OP_SETXATTR = 0x2a;
    public static final int IORING_OP_FGETXATTR = 0x2b;
    public static final int IORING_OP_GETXATTR = 0x2c;
    public static final int IORING_OP_SOCKET = 0x2d;
    public static final int IORING_OP_URING_CMD = 0x2e;
    public static final int IORING_OP_SEND_ZC = 0x2f;
    public static final int IORING_OP_SENDMSG_ZC = 0x30;
    public static final int IORING_OP_READ_MULTISHOT = 0x31;
    public static final int IORING_OP_WAITID = 0x32;
    public static final int IORING_OP_FUTEX_WAIT = 0x33;
    public static final int IORING_OP_FUTEX_WAKE = 0x34;
    public static final int IORING_OP_FUTEX_WAITV = 0x35;
    public static final int IORING_OP_FIXED_FD_INSTALL = 0x36;
    public static final int IORING_OP_FTRUNCATE = 0x37;
    public static final int IORING_OP_BIND = 0x38;
    public static final int IORING_OP_LISTEN = 0x39;
    public static final int IORING_OP_RECV_ZC = 0x3a;
    public static final int IORING_OP_EPOLL_WAIT = 0x3b;
    public static final int IORING_OP_READV_FIXED = 0x3c;
    public static final int IORING_OP_WRITEV_FIXED = 0x3d;
    public static final int IORING_OP_PIPE = 0x3e;
    public static final int IORING_OP_NOP128 = 0x3f;
    public static final int IORING_OP_URING_CMD128 = 0x40;
    public static final int IORING_OP_LAST = 0x41;

    // io_uring_register(2) opcodes (enum io_uring_register_op)
    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    public static final int IORING_REGISTER_FILES = 2;
    public static final int IORING_UNREGISTER_FILES = 3;
    public static final int IORING_REGISTER_EVENTFD = 4;
    public static final int IORING_UNREGISTER_EVENTFD = 5;
    public static final int IORING_REGISTER_FILES_UPDATE = 6;
    public static final int IORING_REGISTER_EVENTFD_ASYNC = 7;
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_PERSONALITY = 9;
    public static final int IORING_UNREGISTER_PERSONALITY = 10;
    public static final int IORING_REGISTER_RESTRICTIONS = 11;
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    public static final int IORING_REGISTER_FILES2 = 13;
    public static final int IORING_REGISTER_FILES_UPDATE2 = 14;
    public static final int IORING_REGISTER_BUFFERS2 = 15;
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 0x10;
    public static final int IORING_REGISTER_IOWQ_AFF = 0x11;
    public static final int IORING_UNREGISTER_IOWQ_AFF = 0x12;
    public static final int IORING_REGISTER_IOWQ_MAX_WORKERS = 0x13;
    public static final int IORING_REGISTER_RING_FDS = 0x14;
    public static final int IORING_UNREGISTER_RING_FDS = 0x15;
    public static final int IORING_REGISTER_PBUF_RING = 0x16;
    public static final int IORING_UNREGISTER_PBUF_RING = 0x17;
    public static final int IORING_REGISTER_SYNC_CANCEL = 0x18;
    public static final int IORING_REGISTER_FILE_ALLOC_RANGE = 0x19;
    public static final int IORING_REGISTER_PBUF_STATUS = 0x1a;
    public static final int IORING_REGISTER_NAPI = 0x1b;
    public static final int IORING_UNREGISTER_NAPI = 0x1c;
    public static final int IORING_REGISTER_CLOCK = 0x1d;
    public static final int IORING_REGISTER_CLONE_BUFFERS = 0x1e;
    public static final int IORING_REGISTER_SEND_MSG_RING = 0x1f;
    public static final int IORING_REGISTER_ZCRX_IFQ = 0x20;
    public static final int IORING_REGISTER_RESIZE_RINGS = 0x21;
    public static final int IORING_REGISTER_MEM_REGION = 0x22;
    public static final int IORING_REGISTER_QUERY = 0x23;
    public static final int IORING_REGISTER_ZCRX_CTRL = 0x24;
    public static final int IORING_REGISTER_BPF_FILTER = 0x25;
    public static final int IORING_REGISTER_LAST = 0x26;
    public static final int IORING_REGISTER_USE_REGISTERED_RING = 0x80000000;

    // IORING_RESTRICTION_* (io_uring_restriction.opcode)
    public static final int IORING_RESTRICTION_REGISTER_OP = 0;
    public static final int IORING_RESTRICTION_SQE_OP = 1;
    public static final int IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2;
    public static final int IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3;
    public static final int IORING_RESTRICTION_LAST = 4;

    // IORING_NOP_* (sqe->nop_flags) defined in liburing io_uring.h
    public static final int IORING_NOP_INJECT_RESULT = 1;
    public static final int IORING_NOP_CQE32 = 0x20;

    // Timeout flags (sqe->timeout_flags)
    public static final int IORING_TIMEOUT_ABS = 1;
    public static final int IORING_TIMEOUT_UPDATE = 2;
    public static final int IORING_TIMEOUT_BOOTTIME = 4;
    public static final int IORING_TIMEOUT_REALTIME = 8;
    public static final int IORING_LINK_TIMEOUT_UPDATE = 0x10;
    public static final int IORING_TIMEOUT_ETIME_SUCCESS = 0x20;
    public static final int IORING_TIMEOUT_MULTISHOT = 0x40;
    public static final int IORING_TIMEOUT_IMMEDIATE_ARG = 0x80;
    public static final int IORING_TIMEOUT_CLOCK_MASK = 12;
    public static final int IORING_TIMEOUT_UPDATE_MASK = 0x12;

    // POLL_ADD flags (stored in sqe->len)
    public static final int IORING_POLL_ADD_MULTI = 1;
    public static final int IORING_POLL_UPDATE_EVENTS = 2;
    public static final int IORING_POLL_UPDATE_USER_DATA = 4;
    public static final int IORING_POLL_ADD_LEVEL = 8;

    // ASYNC_CANCEL flags (sqe->cancel_flags)
    public static final int IORING_ASYNC_CANCEL_ALL = 1;
    public static final int IORING_ASYNC_CANCEL_FD = 2;
    public static final int IORING_ASYNC_CANCEL_ANY = 4;
    public static final int IORING_ASYNC_CANCEL_FD_FIXED = 8;
    public static final int IORING_ASYNC_CANCEL_USERDATA = 0x10;
    public static final int IORING_ASYNC_CANCEL_OP = 0x20;

    // send/recv flags (sqe->ioprio) and notif
    public static final int IORING_RECVSEND_POLL_FIRST = 1;
    public static final int IORING_RECV_MULTISHOT = 2;
    public static final int IORING_RECVSEND_FIXED_BUF = 4;
    public static final int IORING_SEND_ZC_REPORT_USAGE = 8;
    public static final int IORING_RECVSEND_BUNDLE = 0x10;
    public static final int IORING_SEND_VECTORIZED = 0x20;
    public static final int IORING_NOTIF_USAGE_ZC_COPIED = 0x80000000;

    // accept flags (sqe->ioprio)
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    public static final int IORING_ACCEPT_DONTWAIT = 2;
    public static final int IORING_ACCEPT_POLL_FIRST = 4;

    // MSG_RING: command (sqe->addr) and flags (sqe->msg_ring_flags)
    public static final int IORING_MSG_RING_CQE_SKIP = 1;
    public static final int IORING_MSG_RING_FLAGS_PASS = 2;
    public static final int IORING_MSG_DATA = 0;
    public static final int IORING_MSG_SEND_FD = 1;

    // Misc. flags/values
    public static final int IORING_RW_ATTR_FLAG_PI = 1;
    public static final int IORING_FILE_INDEX_ALLOC = 0xffffffff;
    public static final int IORING_URING_CMD_FIXED = 1;
    public static final int IORING_URING_CMD_MASK = 1;
    public static final int IORING_FSYNC_DATASYNC = 1;
    public static final int SPLICE_F_FD_IN_FIXED = 0x80000000;
    public static final int IORING_FIXED_FD_NO_CLOEXEC = 1;
    public static final int IORING_RSRC_REGISTER_SPARSE = 1;
    public static final int IORING_REGISTER_FILES_SKIP = -2;
    public static final int IO_URING_OP_SUPPORTED = 1;
    public static final int IO_WQ_BOUND = 0;
    public static final int IO_WQ_UNBOUND = 1;
    public static final int IORING_MEM_REGION_TYPE_USER = 1;
    public static final int IORING_MEM_REGION_REG_WAIT_ARG = 1;
    public static final int IORING_REGISTER_SRC_REGISTERED = 1;
    public static final int IORING_REGISTER_DST_REPLACE = 2;
    public static final int IOU_PBUF_RING_MMAP = 1;
    public static final int IOU_PBUF_RING_INC = 2;
    public static final int IORING_REG_WAIT_TS = 1;

    // Socket uring_cmd ops / timestamp
    public static final int IORING_TIMESTAMP_HW_SHIFT = 0x10;
    public static final int IORING_TIMESTAMP_TYPE_SHIFT = 0x11;
    public static final int SOCKET_URING_OP_SIOCINQ = 0;
    public static final int SOCKET_URING_OP_SIOCOUTQ = 1;
    public static final int SOCKET_URING_OP_GETSOCKOPT = 2;
    public static final int SOCKET_URING_OP_SETSOCKOPT = 3;
    public static final int SOCKET_URING_OP_TX_TIMESTAMP = 4;
    public static final int SOCKET_URING_OP_GETSOCKNAME = 5;

    // zcrx constants
    public static final int IORING_ZCRX_AREA_SHIFT = 0x30;
    public static final long IORING_ZCRX_AREA_MASK = -281474976710656L;
    public static final int IORING_ZCRX_AREA_DMABUF = 1;
    public static final int ZCRX_REG_IMPORT = 1;
    public static final int ZCRX_REG_NODEV = 2;
    public static final int ZCRX_FEATURE_RX_PAGE_SIZE = 1;
    public static final int ZCRX_CTRL_FLUSH_RQ = 0;
    public static final int ZCRX_CTRL_EXPORT = 1;
    public static final int __ZCRX_CTRL_LAST = 2;
    // NOP flags the kernel defines but liburing's io_uring.h does not (sqe->nop_flags)
    public static final int IORING_NOP_FILE = 2;
    public static final int IORING_NOP_FIXED_FILE = 4;
    public static final int IORING_NOP_FIXED_BUFFER = 8;
    public static final int IORING_NOP_TW = 0x10;
}
