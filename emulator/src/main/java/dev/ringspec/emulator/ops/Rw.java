package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ESPIPE;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.FaultPlan;
import dev.ringspec.emulator.Faults;
import dev.ringspec.emulator.IoWqCompletions;
import dev.ringspec.emulator.Apoll;
import dev.ringspec.model.ColdDef;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * io_uring/rw.c: READ, WRITE, READV, WRITEV, READ_FIXED and WRITE_FIXED on the application's real descriptors.
 *
 * <p>The prep mirrors the kernel's ({@code __io_prep_rw}, then the import of the buffer or iovec, whose errnos it
 * answers at the same moment: -EFAULT for a range {@code access_ok} refuses, -EINVAL for a bad iovec). The issue on
 * the ring's task never blocks: it calls {@code preadv2}/{@code pwritev2} with {@code RWF_NOWAIT}, so a pipe or socket
 * that is not ready answers -EAGAIN and the model arms a poll ({@code io_arm_poll_handler}, the entries' POLLIN and
 * POLLOUT flags as in opdef.c), and a regular file that would block goes to io-wq, whose {@link EmuOp.Blocking} form
 * makes the blocking call. A short transfer on a regular file is continued as {@code __io_read}'s retry loop does
 * ({@code bytes_done}); any result other than the full length fails the request's links
 * ({@code __io_complete_rw_common}).
 *
 * <p>A file opened O_DIRECT has its bios queued ({@link #queuesBios}): the CQE comes later, from task work.
 *
 * <p>Pointers are the application's own: the real call gets them raw, and the kernel checks them (-EFAULT), so a bad
 * one never touches this JVM. The real calls are {@link RealFiles}'s, in one place, so that a mode that serves
 * another process can swap them.
 *
 * <p>Buffer selection (IOSQE_BUFFER_SELECT) is kbuf.c's: {@link RwImport#selectBuffer} is where provided buffers plug
 * in; without them the request finds no buffer group and answers -ENOBUFS, as the kernel does.
 */
public final class Rw {
    /** {@code MAX_RW_COUNT}: what one read or write moves at most ({@code INT_MAX & PAGE_MASK}). */
    static final long MAX_RW_COUNT = 0x7ffff000L;
    /** {@code UIO_MAXIOV}. */
    static final int UIO_MAXIOV = 1024;
    /**
     * The highest end ({@code addr + len}) {@code access_ok} accepts on x86_64 with 4-level paging: USER_PTR_MAX is
     * TASK_SIZE_MAX since 6.12's arch_cpu_finalize_init, so an empty range at TASK_SIZE_MAX itself passes.
     */
    static final long USER_PTR_MAX = 0x7fff_ffff_f000L;
    /** {@code RWF_HIPRI}: polled I/O, only on an IOPOLL ring. */
    static final int RWF_HIPRI = 0x1;
    /** {@code RWF_NOWAIT}. */
    static final int RWF_NOWAIT = 0x8;
    static final int RWF_APPEND = 0x10;
    static final int RWF_NOAPPEND = 0x20;
    /** {@code RWF_ATOMIC} (6.11 on). */
    static final int RWF_ATOMIC = 0x40;
    /** {@code RWF_DONTCACHE} (6.14 on). */
    static final int RWF_DONTCACHE = 0x80;
    /** {@code RWF_NOSIGNAL} (6.16 on). */
    static final int RWF_NOSIGNAL = 0x100;
    /** {@code IORING_RW_ATTR_FLAG_PI}: the one attribute {@code attr_type_mask} may name (6.14 on). */
    static final long IORING_RW_ATTR_FLAG_PI = 0x1;
    /** {@code sizeof(struct io_uring_attr_pi)}: flags, app_tag, len, addr, seed, rsvd. */
    static final int ATTR_PI_SIZE = 32;

    /** How the request names its memory. */
    enum Kind {
        /** READ, WRITE: one buffer at {@code addr}, {@code len} bytes ({@code import_ubuf}). */
        PLAIN,
        /** READV, WRITEV: an iovec array at {@code addr}, {@code len} entries ({@code __import_iovec}). */
        VECTORED,
        /** READ_FIXED, WRITE_FIXED: a range inside registered buffer {@code buf_index} ({@code io_import_fixed}). */
        FIXED
    }

    private Rw() {
    }

    /** The opcodes of rw.c, with opdef.c's flags. */
    public static List<EmuOp> ops(EmulatorServices services) {
        // the issue's real call is io_assign_file's look-up of a process descriptor (begin)
        int read = OpDef.NEEDS_FILE | OpDef.ISSUE_FINDS_FILE | OpDef.UNBOUND_NONREG_FILE | OpDef.POLLIN | OpDef.IOPRIO
                | OpDef.IOPOLL;
        int write = OpDef.NEEDS_FILE | OpDef.ISSUE_FINDS_FILE | OpDef.HASH_REG_FILE | OpDef.UNBOUND_NONREG_FILE
                | OpDef.POLLOUT | OpDef.IOPRIO | OpDef.IOPOLL;
        return List.of(
                op(IORING_OP_READV, "READV", read | OpDef.BUFFER_SELECT, Kind.VECTORED, false, services),
                op(IORING_OP_WRITEV, "WRITEV", write, Kind.VECTORED, true, services),
                op(IORING_OP_READ_FIXED, "READ_FIXED", read, Kind.FIXED, false, services),
                op(IORING_OP_WRITE_FIXED, "WRITE_FIXED", write, Kind.FIXED, true, services),
                op(IORING_OP_READ, "READ", read | OpDef.BUFFER_SELECT, Kind.PLAIN, false, services),
                op(IORING_OP_WRITE, "WRITE", write, Kind.PLAIN, true, services));
    }

    private static EmuOp op(int opcode, String name, int flags, Kind kind, boolean write,
            EmulatorServices services) {
        Faults faults = services.faults();
        return new EmuOp(new OpDef(opcode, name, flags, (req, ctx) -> {
            int r = prep(req, ctx, kind, write);
            if (r == 0 && faults.any() && req.opState() instanceof State s) {
                s.faults = faults;
            }
            return r;
        }, (req, ctx) -> issue(req, ctx, services)), Rw::issueBlocking);
    }

    /** {@code struct io_rw} and {@code struct io_async_rw}: what prep read and what the transfer has done. */
    static final class State implements Apoll.AnsweredAgain, ColdDef {
        final Kind kind;
        final boolean write;
        /** {@code ki_pos}: the file offset, -1 for the file position. */
        long pos;
        long addr;
        int len;
        int rwFlags;
        int bufIndex;
        /** The imported memory as (base, length) pairs, advanced past {@link #bytesDone}; null until imported. */
        long[] iov;
        /** {@code io->bytes_done}: what earlier attempts of a regular file's transfer moved. */
        long bytesDone;
        /** {@code req->cqe.res} before the attempt: the bytes it asks for. */
        long requested;
        /** The file ignores offsets ({@code FMODE_STREAM}): pipes and sockets. */
        boolean stream;
        /** The file refused RWF_NOWAIT: io-wq makes the blocking call. */
        boolean blockInWorker;
        /** The emulator's injected faults when it has any (short transfers), else null. */
        Faults faults;
        /** The provided buffer selected for IOSQE_BUFFER_SELECT, or null. */
        Kbuf.Selection sel;
        /** {@code REQ_F_HAS_METADATA}: a PI attribute came with the request. */
        boolean hasMetadata;
        /** The attempt's last real call answered -EAGAIN (not an -EAGAIN of the emulator's own). */
        boolean againFromFile;

        State(Kind kind, boolean write) {
            this.kind = kind;
            this.write = write;
        }

        @Override
        public boolean answeredAgain() {
            return againFromFile;
        }

        /**
         * {@code io_req_defer_failed}: {@code io_put_kbuf} names a buffer the request still holds (from 6.18 a
         * legacy buffer stays selected while the read waits: {@link RwImport#recycleBuffer}); {@code io_rw_fail}
         * keeps those flags.
         */
        @Override
        public int failCqeFlags(Req req) {
            return Kbuf.failCqeFlags(sel);
        }

        @Override
        public void cleanup(Req req) {
            // read and write have no def->cleanup of their own here
        }

        long remaining() {
            long n = 0;
            for (int i = 1; i < iov.length; i += 2) {
                n += iov[i];
            }
            return n;
        }

        /** Drops the first {@code n} bytes of the imported memory ({@code iov_iter_advance}). */
        void advance(long n) {
            long left = n;
            for (int i = 0; i < iov.length && left > 0; i += 2) {
                long take = Math.min(left, iov[i + 1]);
                iov[i] += take;
                iov[i + 1] -= take;
                left -= take;
            }
            bytesDone += n;
            if (pos != -1 && !stream) {
                pos += n;
            }
        }
    }

    // ---- prep ----

    /** {@code io_prep_rw} and its variants: {@code __io_prep_rw}, then the import the kernel does at prep. */
    static int prep(Req req, IssueContext ctx, Kind kind, boolean write) {
        State s = new State(kind, write);
        // __io_prep_rw: ki_pos, buf_index, then ioprio_check_cap of a non-zero ioprio
        s.pos = req.off();
        s.bufIndex = req.bufIndex();
        int ioprio = req.ioprio() & 0xffff;
        if (ioprio != 0) {
            int ret = Ioprio.checkCap(ioprio);
            if (ret != 0) {
                return ret;
            }
        }
        s.addr = req.addr();
        s.len = req.len();
        s.rwFlags = req.opFlags();
        req.opState(s);
        if (!before(ctx.profile(), 6, 14) && req.word56() != 0) {
            // __io_prep_rw: attr_type_mask names only PI (-EINVAL), whose attribute io_prep_rw_pi reads
            int ret = req.word56() != IORING_RW_ATTR_FLAG_PI ? -EINVAL : prepPi(ctx, s, req.addr3());
            if (ret != 0) {
                return ret;
            }
        }
        boolean bufferSelect = (req.flags() & IOSQE_BUFFER_SELECT) != 0;
        return switch (kind) {
            // io_prep_read_fixed (6.15 on): nothing more, the registered buffer is looked up at issue
            case FIXED -> importsFixedAtPrep(ctx.profile()) ? RwImport.importFixed(ctx, s) : 0;
            // io_rw_do_import: a selected buffer is imported at issue
            case PLAIN -> bufferSelect ? 0 : RwImport.importUbuf(s);
            // io_prep_rwv: with buffer selection, io_iov_buffer_select_prep reads the one iovec's length
            case VECTORED -> bufferSelect ? RwImport.iovBufferSelectPrep(ctx, s) : RwImport.importVec(ctx, s);
        };
    }

    /**
     * {@code io_prep_rw_pi}: the attribute at {@code attrPtr} is copied in (-EFAULT), its {@code rsvd} must be 0
     * (-EINVAL), and its metadata buffer is {@code import_ubuf}'s (-EFAULT); the request then carries metadata, which
     * {@link #initFile} refuses for every file the emulator reaches (none has {@code FMODE_HAS_METADATA}).
     */
    private static int prepPi(IssueContext ctx, State s, long attrPtr) {
        MemorySegment attr = ctx.userMemory(attrPtr, ATTR_PI_SIZE);
        if (attr == null) {
            return -EFAULT;
        }
        if (attr.get(JAVA_LONG.withByteAlignment(1), 24) != 0) {
            return -EINVAL;
        }
        long len = Math.min(Integer.toUnsignedLong(attr.get(JAVA_INT.withByteAlignment(1), 4)), MAX_RW_COUNT);
        if (!accessOk(attr.get(JAVA_LONG.withByteAlignment(1), 8), len)) {
            return -EFAULT;
        }
        s.hasMetadata = true;
        return 0;
    }

    /** Whether the profile's kernel imports a fixed buffer in prep ({@code io_prep_rw_fixed}, before 6.15). */
    static boolean importsFixedAtPrep(KernelProfile profile) {
        return before(profile, 6, 15);
    }

    /** {@code RWF_SUPPORTED} of the profile's kernel: HIPRI, DSYNC, SYNC, NOWAIT, APPEND, NOAPPEND, then the later. */
    static int rwfSupported(KernelProfile profile) {
        int supported = 0x3f;
        if (!before(profile, 6, 11)) {
            supported |= RWF_ATOMIC;
        }
        if (!before(profile, 6, 14)) {
            supported |= RWF_DONTCACHE;
        }
        if (!before(profile, 6, 16)) {
            supported |= RWF_NOSIGNAL;
        }
        return supported;
    }

    /** Whether the profile's kernel is older than {@code major.minor} (its version reads "6.18", "7.3-rc7"). */
    static boolean before(KernelProfile profile, int major, int minor) {
        return !Versions.atLeast(profile, major, minor);
    }

    /** {@code access_ok(addr, len)}: the range lies in user space and does not wrap. */
    static boolean accessOk(long addr, long len) {
        long end = addr + len;
        return Long.compareUnsigned(end, addr) >= 0 && Long.compareUnsigned(end, USER_PTR_MAX) <= 0;
    }

    // ---- issue ----

    private static State state(Req req) {
        return (State) req.opState();
    }

    /**
     * {@code io_rw_init_file}'s checks the real call cannot make for us, in its order: the file must be open for the
     * direction (-EBADF; checked first only where a later check would answer otherwise), {@link #kiocbSetRwFlags}
     * (the real call makes those checks after its own of the offset, and not at all for no bytes), RWF_HIPRI or an
     * IOPOLL ring (-EINVAL; -EOPNOTSUPP for a file that does not poll its completions), then
     * PI metadata, which no file here takes (-EINVAL: no {@code FMODE_HAS_METADATA}).
     */
    private static int initFile(IssueContext ctx, int fd, State s) {
        if (initFileAccepts(ctx, s)) {
            return 0;
        }
        boolean iopoll = (ctx.setupFlags() & IORING_SETUP_IOPOLL) != 0;
        int supported = rwfSupported(ctx.profile());
        if (!RealFiles.openFor(fd, s.write)) {
            return -EBADF;
        }
        int ret = kiocbSetRwFlags(fd, s, supported);
        if (ret != 0) {
            return ret;
        }
        // io_rw_init_file: on an IOPOLL ring only a file that polls its completions (O_DIRECT with f_op->iopoll)
        if (iopoll) {
            return RealFiles.iopoll(fd) == RealFiles.IOPOLL_NONE ? -EOPNOTSUPP : 0;
        }
        // RWF_HIPRI without IOPOLL, or metadata the file cannot take
        return (s.rwFlags & RWF_HIPRI) != 0 || s.hasMetadata ? -EINVAL : 0;
    }

    /**
     * {@code kiocb_set_rw_flags}: unknown flags -EOPNOTSUPP; RWF_APPEND with RWF_NOAPPEND -EINVAL; RWF_ATOMIC on a
     * read, or on a file without FMODE_CAN_ATOMIC_WRITE, -EOPNOTSUPP; RWF_DONTCACHE on a file whose filesystem has
     * no FOP_DONTCACHE -EOPNOTSUPP. A pipe, socket or device has neither; a regular file's answer is asked of the
     * kernel with a one-byte call of that flag that cannot move a byte (no buffer, RWF_NOWAIT).
     */
    private static int kiocbSetRwFlags(int fd, State s, int supported) {
        int f = s.rwFlags;
        if ((f & ~supported) != 0) {
            return -EOPNOTSUPP;
        }
        if ((f & RWF_APPEND) != 0 && (f & RWF_NOAPPEND) != 0) {
            return -EINVAL;
        }
        if ((f & (RWF_ATOMIC | RWF_DONTCACHE)) == 0) {
            return 0;
        }
        boolean regular = (RealFiles.fileType(fd) & RealFiles.S_IFMT) == RealFiles.S_IFREG;
        if ((f & RWF_ATOMIC) != 0 && (!s.write || !regular || probe(fd, true, RWF_ATOMIC) == -EOPNOTSUPP)) {
            return -EOPNOTSUPP;
        }
        if ((f & RWF_DONTCACHE) != 0
                && (!regular || probe(fd, !RealFiles.openFor(fd, false), RWF_DONTCACHE) == -EOPNOTSUPP)) {
            return -EOPNOTSUPP;
        }
        return 0;
    }

    /** A one-byte call with no buffer and {@code flag}: the kernel's answer to the flag, no byte moved. */
    private static long probe(int fd, boolean write, int flag) {
        return RealFiles.readWrite(fd, write, new long[] {0, 1}, 0, flag | RWF_NOWAIT);
    }

    /**
     * Whether {@link #initFile} has nothing to check: known rw_flags and none of those {@link #kiocbSetRwFlags} or
     * the poll checks look at, no IOPOLL ring, no metadata.
     */
    private static boolean initFileAccepts(IssueContext ctx, State s) {
        int checked = RWF_HIPRI | RWF_APPEND | RWF_ATOMIC | RWF_DONTCACHE;
        return (s.rwFlags & (~rwfSupported(ctx.profile()) | checked)) == 0
                && (ctx.setupFlags() & IORING_SETUP_IOPOLL) == 0 && !s.hasMetadata;
    }

    /**
     * What both issue forms do first: the file ({@code io_assign_file}, before the opcode's issue: -EBADF for a
     * descriptor or fixed slot that names none, which io-wq meets itself), the import at issue, {@link #initFile},
     * and {@code req->cqe.res}; the descriptor, or -errno.
     *
     * <p>When the memory is imported already and {@link #initFile} has nothing to check, nothing can answer before
     * the real call, which finds the descriptor itself (-EBADF, {@link OpDef#ISSUE_FINDS_FILE}): no look-up of its
     * own then, a syscall fewer per request.
     */
    private static int begin(Req req, IssueContext ctx, State s) {
        s.againFromFile = false;
        int fd = ctx.fileDescriptor(req);
        if (fd < 0) {
            return -EBADF;
        }
        if (s.iov == null || !initFileAccepts(ctx, s)) {
            if (RealFiles.statusFlags(fd) < 0) {
                // fget finds nothing (an IOSQE_ASYNC request meets this on io-wq, before the fixed buffer's import)
                return -EBADF;
            }
            int ret = RwImport.importAtIssue(req, ctx, s);
            if (ret < 0) {
                return ret;
            }
            ret = initFile(ctx, fd, s);
            if (ret < 0) {
                return ret;
            }
        }
        s.requested = s.remaining();
        return fd;
    }

    /** {@code io_read}/{@code io_write} on the ring's task: the transfer without blocking. */
    static int issue(Req req, IssueContext ctx, EmulatorServices services) {
        State s = state(req);
        int fd = begin(req, ctx, s);
        if (fd < 0) {
            return fd;
        }
        if ((ctx.setupFlags() & IORING_SETUP_IOPOLL) == 0 && queuesBios(fd, s)) {
            // kiocb_done: -EIOCBQUEUED; the bio's completion (io_complete_rw) posts the CQE through task work
            ctx.holdFile(req);
            int held = ctx.fileDescriptor(req);
            services.directIo(ctx, req, () -> {
                long n = rest(held, s, transfer(held, s, s.rwFlags), s.rwFlags);
                return (r, c) -> complete(r, c, s, n, false);
            });
            return OpDef.SKIP_COMPLETE;
        }
        if ((ctx.setupFlags() & IORING_SETUP_IOPOLL) != 0 && RealFiles.iopoll(fd) == RealFiles.IOPOLL_DEVICE_CANNOT
                && !(s.write && RealFiles.fromTheEnd(fd, s.pos))) {
            // submit_bio_noacct: a polled bio on a queue that does not poll fails (BLK_STS_NOTSUPP) inside the
            // submission, so the direct I/O usually answers at once (or when polled, if iomap_dio_rw queued it
            // first: a choice point); iomap_dio_bio_iter polls no write from the end of the file on (a new block)
            return -EOPNOTSUPP;
        }
        long n;
        int type = s.write ? RealFiles.fileType(fd) & RealFiles.S_IFMT : 0;
        if (type == RealFiles.S_IFREG && !RealFiles.regularWriteNowait(fd)) {
            // io_write: a file not open for writing -> -EBADF; a buffered write to a regular file whose filesystem
            // has no FOP_BUFFER_WASYNC cannot be tried without blocking (-EAGAIN: io-wq, or the answer of NOWAIT)
            if (!RealFiles.openFor(fd, true)) {
                return -EBADF;
            }
            n = -EAGAIN;
        } else {
            if (type == RealFiles.S_IFIFO || type == RealFiles.S_IFSOCK) {
                // the write looked at the file's type: a pipe or socket is a stream, with no -ESPIPE to learn it from
                knownStream(s);
            }
            n = s.blockInWorker ? -EOPNOTSUPP : transfer(fd, s, s.rwFlags | RWF_NOWAIT);
        }
        if (n == -EOPNOTSUPP && s.rwFlags == 0) {
            // kiocb_set_rw_flags: the file has no FMODE_NOWAIT, so io-wq makes the call that may block (with the
            // application's own rw_flags, -EOPNOTSUPP is their answer: ATOMIC on a read, DONTCACHE the file refuses)
            s.blockInWorker = true;
            ctx.queueIoWq(req);
            return OpDef.SKIP_COMPLETE;
        }
        n = rest(fd, s, n, s.rwFlags | RWF_NOWAIT);
        if (n == -EAGAIN && (s.rwFlags & RWF_NOWAIT) == 0) {
            // io_queue_async: a pollable file arms a poll, another goes to io-wq with what is done so far; a
            // selected buffer goes back first (io_kbuf_recycle)
            RwImport.recycleBuffer(ctx, s);
            return -EAGAIN;
        }
        return complete(req, ctx, s, n, !IoWqCompletions.issuesForIoWq(req));
    }

    /**
     * Whether the file system queues the transfer's bios and answers -EIOCBQUEUED ({@code __iomap_dio_rw}, from
     * {@code io_read}/{@code io_write}'s IOCB_NOWAIT try): a file opened O_DIRECT, a regular file or a block device.
     * Answered at once instead, as inside the kernel's submission: memory, offset or a length not aligned as
     * {@code iomap_dio_bio_iter} wants (-EINVAL; never below a 512-byte sector, checked with no syscall), no bytes,
     * a read from the end of the file on (no bio: 0), RWF_NOWAIT (its -EAGAIN is inline).
     */
    private static boolean queuesBios(int fd, State s) {
        if ((s.rwFlags & RWF_NOWAIT) != 0 || s.iov == null || s.remaining() == 0
                || s.pos != -1 && (s.pos & (RealFiles.SECTOR_BYTES - 1)) != 0) {
            return false;
        }
        for (int i = 1; i < s.iov.length; i += 2) {
            if ((s.iov[i] & (RealFiles.SECTOR_BYTES - 1)) != 0) {
                return false;
            }
        }
        long[] direct = RealFiles.direct(fd);
        long pos = direct == null ? 0 : s.pos == -1 ? direct[3] : s.pos;
        if (direct == null || direct[1] == 0 || direct[2] == 0 || (pos & (direct[2] - 1)) != 0) {
            return false;
        }
        for (int i = 0; i < s.iov.length; i += 2) {
            if ((s.iov[i] & (direct[1] - 1)) != 0 || (s.iov[i + 1] & (direct[2] - 1)) != 0) {
                return false;
            }
        }
        return s.write || pos < direct[0];
    }

    /** The io-wq form: the call may block, except on a file a poll can wait for, which waits there instead. */
    static int issueBlocking(Req req, IssueContext ctx) {
        State s = state(req);
        int fd = begin(req, ctx, s);
        if (fd < 0) {
            return fd;
        }
        if (!s.blockInWorker && RealFiles.pollable(fd)) {
            // io_wq_submit_work: a pollable file is issued non-blocking and arms a poll on -EAGAIN
            long n = transfer(fd, s, s.rwFlags | RWF_NOWAIT);
            if (n == -EAGAIN && (s.rwFlags & RWF_NOWAIT) == 0) {
                RwImport.recycleBuffer(ctx, s);
                return -EAGAIN;
            }
            if (n != -EOPNOTSUPP) {
                return complete(req, ctx, s, n, false);
            }
        }
        return complete(req, ctx, s, rest(fd, s, transfer(fd, s, s.rwFlags), s.rwFlags), false);
    }

    /**
     * __io_read's retry loop: a regular file that moved part of the bytes is asked for the rest (a blocking call
     * moves them all: a served program's transfer is cut at {@link ProgramTransfers#MAX_BYTES}).
     */
    private static long rest(int fd, State s, long n, int rwFlags) {
        while (n > 0 && n < s.requested && !s.stream && RealFiles.needCompleteIo(fd)) {
            s.advance(n);
            s.requested = s.remaining();
            n = transfer(fd, s, rwFlags);
        }
        return n;
    }

    /**
     * {@code kiocb_done}: the result with what earlier attempts moved ({@code io_fixup_rw_res}); anything but the
     * bytes asked for fails the links ({@code __io_complete_rw_common}). A read's error is its own result
     * ({@code io_read}); a write's error after moved bytes answers those bytes; what write_iter answered a write
     * goes to kiocb_done, whose error path (io_rw_done, io_complete_rw) completes through task work, after the
     * batch's inline completions (rw_verify_area's -EINVAL and io_rw_init_file's -EBADF fail inline); io-wq's try
     * on the ring's task is that task work already. On an IOPOLL ring a transfer the ring's task made joins the
     * iopoll list; one io-wq made completes through task work (the model's list is the ring task's).
     */
    private static int complete(Req req, IssueContext ctx, State s, long n, boolean onTask) {
        // io_req_rw_complete: a selected buffer is put with the result (an error consumes nothing) and named in the
        // CQE's flags
        int cflags = s.sel == null ? 0 : Kbuf.cqeFlags(ctx, s.sel, (int) Math.max(Math.min(n, Integer.MAX_VALUE),
                -1));
        if (n < 0 && (s.bytesDone == 0 || !s.write)) {
            // io_queue_async: RWF_NOWAIT (REQ_F_NOWAIT) asked for no retry; a write's error: see above
            boolean taskWork = s.write && onTask && n != -EINVAL && n != -EBADF;
            if (n == -EAGAIN || cflags != 0 || taskWork) {
                ctx.setRes(req, (int) n, cflags);
                ctx.reqSetFail(req);
                return taskWork ? ctx.completeInTaskWorkLater(req) : OpDef.COMPLETE;
            }
            return (int) n;
        }
        long result = n < 0 ? s.bytesDone : n + s.bytesDone;
        if (n != s.requested) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, (int) result, cflags);
        if (onTask && (ctx.setupFlags() & IORING_SETUP_IOPOLL) != 0) {
            // io_iopoll_req_issued: the transfer was queued (-EIOCBQUEUED), so its CQE waits for a poll
            ctx.iopollReqIssued(req);
            return OpDef.SKIP_COMPLETE;
        }
        return OpDef.COMPLETE;
    }

    /**
     * One transfer of the remaining memory at {@code s.pos}. A file without offsets ({@code FMODE_STREAM}, where
     * {@code preadv2} answers -ESPIPE) is read at its own position, after {@code rw_verify_area}'s check of the
     * offset the request named.
     */
    private static long transfer(int fd, State s, int flags) {
        long pos = s.stream ? -1 : s.pos;
        long[] iov = s.iov;
        if (s.faults != null) {
            // an injected short transfer: the call asks for fewer bytes (a regular file's is continued, as ever)
            long all = s.remaining();
            long some = all > Integer.MAX_VALUE ? all : s.faults.shorten(s.write ? FaultPlan.Point.SHORT_WRITE
                    : FaultPlan.Point.SHORT_READ, (int) all);
            iov = some == all ? iov : IovIter.truncate(iov, some);
        }
        long n = RealFiles.readWrite(fd, s.write, iov, pos, flags);
        s.againFromFile = n == -EAGAIN;
        if (n == -EINVAL && pos < 0 && !RealFiles.openFor(fd, s.write)) {
            // preadv2/pwritev2 refuse a negative offset before they look at the descriptor; io_rw_init_file's
            // FMODE_READ/FMODE_WRITE check comes first (-EBADF)
            return -EBADF;
        }
        if (n == -ESPIPE && pos != -1) {
            // rw_verify_area: a negative offset, or one whose end wraps, is -EINVAL even on a stream
            if (s.pos < 0 || s.pos + s.remaining() < 0) {
                return -EINVAL;
            }
            s.stream = true;
            n = RealFiles.readWrite(fd, s.write, s.iov, -1, flags);
            s.againFromFile = n == -EAGAIN;
        }
        return n;
    }

    /**
     * A file known to be a stream ({@code FMODE_STREAM}) is read or written at its own position, as {@link #transfer}
     * learns from -ESPIPE; where {@code rw_verify_area} refuses the offset the request named (-EINVAL), the stream is
     * left for {@link #transfer} to learn, with that answer.
     */
    private static void knownStream(State s) {
        if (s.pos == -1 || s.pos >= 0 && s.pos + s.remaining() >= 0) {
            s.stream = true;
        }
    }
}
