package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT2;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_FIXED_FD_NO_CLOEXEC;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FIXED_FD_INSTALL;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_PIPE;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
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

/**
 * io_uring/openclose.c: {@code OPENAT} and {@code OPENAT2} (the model's preps, WORLD.md, with a real open),
 * {@code CLOSE} (of a descriptor, or of a direct descriptor's slot), {@code PIPE} and {@code FIXED_FD_INSTALL}.
 * An open is first tried as the kernel's non-blocking attempt is (a cached lookup, O_NONBLOCK); -EAGAIN sends it to
 * io-wq, where it may block. Flags that always block (O_CREAT, O_TRUNC, O_TMPFILE) go there from prep.
 *
 * <p>The application's world: a path starts at its directory descriptor, working directory or root ({@link PathAt}),
 * and a descriptor an opcode opens is given to it ({@link ReceiveFd}); direct descriptors stay in the ring's table.
 * What another process cannot have: CLOSE of one of its descriptors (nothing closes a descriptor of another
 * process), which is refused (-EOPNOTSUPP) there; CLOSE of a direct descriptor is the ring's own.
 */
public final class OpenClose {
    static final long O_NONBLOCK = 04000;
    static final long O_CREAT = 0100;
    static final long O_PATH = 010000000;
    static final long O_LARGEFILE = 0100000;
    static final long O_CLOEXEC = 02000000;
    static final long O_TMPFILE_BIT = 020000000;
    static final long O_DIRECT = 040000;
    /** {@code O_NOTIFICATION_PIPE} is {@code O_EXCL}. */
    static final long O_NOTIFICATION_PIPE = 0200;
    static final long VALID_OPEN_FLAGS = 037777703;
    static final long O_PATH_FLAGS = 0200000 | 0400000 | O_PATH | O_CLOEXEC;
    static final long S_IALLUGO = 07777;
    static final long RESOLVE_CACHED = 0x20;
    static final int F_DUPFD = 0;
    static final int OPEN_HOW_SIZE = 24;

    private OpenClose() {
    }

    /** The opcodes of openclose.c the profile has. */
    public static List<EmuOp> ops(EmulatorServices services) {
        KernelProfile profile = services.profile();
        List<EmuOp> ops = new ArrayList<>();
        ProcessDescriptorTable table = services.processDescriptors();
        for (int opcode : new int[] {IORING_OP_OPENAT, IORING_OP_OPENAT2}) {
            OpDef m = ModelEntries.wrap(profile, opcode, OpenClose::openState,
                    (req, ctx) -> openat2(req, ctx, table));
            OpDef def = new OpDef(opcode, m.name(), m.flags(), (req, ctx) -> prep(m, req, ctx), m.issue(),
                    m.filterPduSize(), m.filterPopulate());
            ops.add(new EmuOp(def, (req, ctx) -> openBlocking(req, ctx, table)));
        }
        ops.add(EmuOp.of(new OpDef(IORING_OP_CLOSE, "CLOSE", 0, OpenClose::closePrep,
                (req, ctx) -> close(req, ctx, services))));
        ops.add(EmuOp.of(new OpDef(IORING_OP_PIPE, "PIPE", 0, OpenClose::pipePrep,
                (req, ctx) -> pipe(req, ctx, table))));
        ops.add(EmuOp.of(new OpDef(IORING_OP_FIXED_FD_INSTALL, "FIXED_FD_INSTALL", OpDef.NEEDS_FILE,
                OpenClose::installPrep, (req, ctx) -> install(req, ctx, table))));
        return ops;
    }

    // ---- OPENAT, OPENAT2 ----

    /** {@code struct io_open}: the path as prep copied it, the open_how, the slot; and an io-wq open's answer. */
    static final class Open implements ModelEntries.Backed {
        final Object model;
        final int dfd;
        final MemorySegment path;
        final MemorySegment how;
        final int fileSlot;
        int opened = Integer.MIN_VALUE;
        /** The direct install's result where the worker made it, or MIN_VALUE: the reissue on the task completes. */
        int installed = Integer.MIN_VALUE;

        Open(Object model, int dfd, MemorySegment path, MemorySegment how, int fileSlot) {
            this.model = model;
            this.dfd = dfd;
            this.path = path;
            this.how = how;
            this.fileSlot = fileSlot;
        }

        @Override
        public Object model() {
            return model;
        }

        long flags() {
            return how.get(JAVA_LONG, 0);
        }
    }

    /**
     * The model's prep, and getname's answer to an empty path, which the model leaves out of its world: through 6.x
     * getname (no LOOKUP_EMPTY) answers -ENOENT where __io_openat_prep copies the path in, after the open_how's and
     * the SQE's own checks; the model reaches that point and refuses to go on (its world has no empty path), so its
     * refusal there is -ENOENT. From 7.0 delayed_getname decides, and the model's refusal stands.
     */
    private static int prep(OpDef model, Req req, IssueContext ctx) {
        if (!emptyPath(req, ctx)) {
            return model.prep().prep(req, ctx);
        }
        try {
            return model.prep().prep(req, ctx);
        } catch (UnsupportedOperationException emptyPathRefused) {
            return -ENOENT;
        }
    }

    private static boolean emptyPath(Req req, IssueContext ctx) {
        if (Versions.atLeast(ctx.profile(), 7, 0)) {
            return false;
        }
        MemorySegment first = ctx.userMemory(req.addr(), 1);
        return first != null && first.get(JAVA_BYTE, 0) == 0;
    }

    /** After the model's prep: the path and the open_how again, for the real call. */
    private static int openState(Req req, IssueContext ctx) {
        MemorySegment how = Arena.ofAuto().allocate(OPEN_HOW_SIZE, 8);
        long flags;
        if (req.opcode() == IORING_OP_OPENAT) {
            // build_open_how: flags cut to VALID_OPEN_FLAGS (O_PATH keeps O_PATH_FLAGS); mode only when creating
            flags = req.opFlags() & VALID_OPEN_FLAGS;
            if ((flags & O_PATH) != 0) {
                flags &= O_PATH_FLAGS;
            }
            long mode = (flags & (O_CREAT | O_TMPFILE_BIT)) != 0 ? (req.len() & 0xffff) & S_IALLUGO : 0;
            how.set(JAVA_LONG, 8, mode);
        } else {
            how.copyFrom(ctx.userMemory(req.off(), OPEN_HOW_SIZE));
            flags = how.get(JAVA_LONG, 0);
        }
        if ((flags & O_PATH) == 0) {
            flags |= O_LARGEFILE;
        }
        how.set(JAVA_LONG, 0, flags);
        // the model's prep copied the path in and answered its errors (an empty one too); again for the real call
        int[] error = new int[1];
        MemorySegment path = UserPath.copy(ctx, req.addr(), true, error);
        if (path == null) {
            return error[0];
        }
        req.opState(new Open(req.opState(), req.fd(), path, how, req.fileIndex()));
        return 0;
    }

    /** {@code io_openat2} on the ring's task: a cached, non-blocking open, or io-wq; then the descriptor. */
    static int openat2(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Open o = (Open) req.opState();
        if (o.installed != Integer.MIN_VALUE) {
            return ReceiveFd.complete(req, ctx, o.installed);
        }
        if (o.opened != Integer.MIN_VALUE) {
            return opened(req, ctx, table, o, o.opened);
        }
        long resolve = o.how.get(JAVA_LONG, 16);
        int fd;
        try (Arena call = Arena.ofConfined(); PathAt at = PathAt.of(table, o.dfd, o.path)) {
            MemorySegment how = call.allocate(OPEN_HOW_SIZE, 8);
            how.copyFrom(o.how);
            // io_openat2 adds O_NONBLOCK after build_open_flags; openat2(2) checks it with the rest, and an O_PATH open
            // takes no other flag (-EINVAL) and never blocks on the file: it goes without
            how.set(JAVA_LONG, 0, (o.flags() & O_PATH) != 0 ? o.flags() : o.flags() | O_NONBLOCK);
            how.set(JAVA_LONG, 16, resolve | RESOLVE_CACHED);
            fd = (int) Linux.call(SYS_OPENAT2, at.dirfd(), at.path().address(), how.address(), OPEN_HOW_SIZE, 0, 0);
        }
        if (fd == -EAGAIN && (resolve & RESOLVE_CACHED) == 0) {
            return -EAGAIN;
        }
        if (fd >= 0 && (o.flags() & (O_NONBLOCK | O_PATH)) == 0) {
            long fl = Linux.call(SYS_FCNTL, fd, Linux.F_GETFL, 0);
            Linux.call(SYS_FCNTL, fd, Linux.F_SETFL, fl & ~O_NONBLOCK);
        }
        return opened(req, ctx, table, o, fd);
    }

    /**
     * The io-wq open: may block. The kernel's worker installs a direct descriptor itself (io_openat2 ->
     * io_fixed_fd_install under io_ring_submit_lock, which takes uring_lock for an IO_URING_F_UNLOCKED issue), so
     * the slot is filled when the worker finishes, before its completion's task work runs: on a DEFER_TASKRUN ring a
     * request submitted in between finds the file there although the OPENAT's CQE comes after its own (world
     * lockstep seed 2 at step 117: a NOP on the slot, 0 on the kernel, -EBADF here). Where the work runs on the
     * ring's task (the deterministic mode, {@link EmuOp#onTheRingsTask}) it installs at once; a worker thread
     * does not hold the ring's lock, so there the install is still left to the reissue on the task.
     */
    static int openBlocking(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        Open o = (Open) req.opState();
        int fd;
        try (PathAt at = PathAt.of(table, o.dfd, o.path)) {
            fd = (int) Linux.call(SYS_OPENAT2, at.dirfd(), at.path().address(), o.how.address(), OPEN_HOW_SIZE, 0, 0);
        }
        if (fd >= 0 && o.fileSlot != 0 && EmuOp.onTheRingsTask()) {
            o.installed = NetSockets.install(req, ctx, o.fileSlot, fd);
            return EmuOp.REISSUE_ON_TASK;
        }
        if (fd >= 0 && o.fileSlot != 0) {
            o.opened = fd;
            return EmuOp.REISSUE_ON_TASK;
        }
        return opened(req, ctx, table, o, fd);
    }

    /** A direct descriptor into the ring's table; a descriptor to the application ({@code fd_install}). */
    private static int opened(Req req, IssueContext ctx, ProcessDescriptorTable table, Open o, int fd) {
        if (fd >= 0 && o.fileSlot == 0) {
            return ReceiveFd.give(req, ctx, table, fd, (o.flags() & O_CLOEXEC) != 0, ReceiveFd::complete);
        }
        return ReceiveFd.complete(req, ctx, fd >= 0 ? NetSockets.install(req, ctx, o.fileSlot, fd) : fd);
    }

    // ---- CLOSE ----

    /** {@code io_close_prep}. */
    static int closePrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.addr() != 0 || req.len() != 0 || req.opFlags() != 0 || req.bufIndex() != 0) {
            return -EINVAL;
        }
        if ((req.flags() & IOSQE_FIXED_FILE) != 0) {
            return -EBADF;
        }
        return req.fileIndex() != 0 && req.fd() != 0 ? -EINVAL : 0;
    }

    /** {@code io_close}: a direct descriptor's slot, or a descriptor of the process that is no io_uring. */
    static int close(Req req, IssueContext ctx, EmulatorServices services) {
        int ret;
        if (req.fileIndex() != 0) {
            // io_fixed_fd_remove: the slot's node put; its file's fput waits for the call's return (TaskFput)
            TaskFput.holdSlots(req, ctx, req.fileIndex() - 1, 1);
            ret = ctx.fixedFdRemove(req.fileIndex() - 1);
        } else if (ProgramTransfers.program() != null) {
            services.refuse("CLOSE of a descriptor (not a direct one)");
            ret = -EOPNOTSUPP;
        } else if (!Linux.isOpen(req.fd()) || RealSockets.isIoUring(req.fd(), services)) {
            ret = -EBADF;
        } else {
            // filp_close: the flush now, the fput as the call returns (TaskFput)
            TaskFput.holdUntilTheCallReturns(req, ctx, req.fd());
            ret = Linux.close(req.fd());
        }
        if (ret < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    // ---- PIPE ----

    /** {@code io_pipe_prep}. */
    static int pipePrep(Req req, IssueContext ctx) {
        if (req.fd() != 0 || req.off() != 0 || req.addr3() != 0) {
            return -EINVAL;
        }
        long allowed = O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE;
        return (Integer.toUnsignedLong(req.opFlags()) & ~allowed) != 0 ? -EINVAL : 0;
    }

    /** {@code io_pipe}: both ends as descriptors (written to addr), or as direct descriptors. */
    static int pipe(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        int flags = req.opFlags();
        if (req.fileIndex() == 0 && ProgramTransfers.program() != null) {
            return pipeGiven(req, ctx, table, flags);
        }
        int ret;
        if (req.fileIndex() == 0) {
            ret = (int) Linux.call(SYS_PIPE2, req.addr(), flags);
        } else {
            ret = pipeFixed(req, ctx, flags);
        }
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /** Both ends made in this process: {@code [read, write]}, or {@code [-errno]}. */
    private static int[] pipeEnds(int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment fds = call.allocate(8, 4);
            int r = (int) Linux.call(SYS_PIPE2, fds.address(), flags);
            return r < 0 ? new int[] {r} : new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
        }
    }

    /**
     * {@code io_pipe_fd} for another process: both ends given to it, then their numbers written to addr. The kernel
     * reserves both numbers and copies them out before it installs either; here an end is the application's once
     * given, so an error after the first (a full table, an unwritable addr, checked before) leaves it open there.
     */
    private static int pipeGiven(Req req, IssueContext ctx, ProcessDescriptorTable table, int flags) {
        if (ctx.userMemory(req.addr(), 8) == null) {
            return -EFAULT;
        }
        int[] ends = pipeEnds(flags);
        if (ends.length == 1) {
            return ends[0];
        }
        boolean cloexec = (flags & O_CLOEXEC) != 0;
        return ReceiveFd.give(req, ctx, table, ends[0], cloexec, (r, c, read) -> {
            if (read < 0) {
                Linux.close(ends[1]);
                return read;
            }
            return ReceiveFd.give(r, c, table, ends[1], cloexec, (r2, c2, write) -> {
                MemorySegment user = c2.userMemory(r2.addr(), 8);
                if (write < 0 || user == null) {
                    return write < 0 ? write : -EFAULT;
                }
                user.set(JAVA_INT, 0, read);
                user.set(JAVA_INT, 4, write);
                c2.setRes(r2, 0, 0);
                return OpDef.COMPLETE;
            });
        });
    }

    /** {@code io_pipe_fixed}: the read end into the slot (or an allocated one), the write end into the next. */
    private static int pipeFixed(Req req, IssueContext ctx, int flags) {
        int[] ends = pipeEnds(flags);
        if (ends.length == 1) {
            return ends[0];
        }
        if ((flags & O_CLOEXEC) != 0) {
            Linux.close(ends[0]);
            Linux.close(ends[1]);
            return -EINVAL;
        }
        boolean alloc = req.fileIndex() == IORING_FILE_INDEX_ALLOC;
        int slot = req.fileIndex();
        int[] slots = {-1, -1};
        for (int i = 0; i < 2; i++) {
            int r = ctx.fixedFdInstall(req, slot, ends[i]);
            if (r < 0) {
                for (int j = i; j < 2; j++) {
                    Linux.close(ends[j]);
                }
                removeSlots(ctx, slots);
                return r;
            }
            slots[i] = alloc ? r : slot - 1;
            if (!alloc) {
                slot++;
            }
        }
        MemorySegment user = ctx.userMemory(req.addr(), 8);
        if (user == null) {
            removeSlots(ctx, slots);
            return -EFAULT;
        }
        user.set(JAVA_INT, 0, slots[0]);
        user.set(JAVA_INT, 4, slots[1]);
        return 0;
    }

    private static void removeSlots(IssueContext ctx, int[] slots) {
        for (int s : slots) {
            if (s != -1) {
                ctx.fixedFdRemove(s);
            }
        }
    }

    // ---- FIXED_FD_INSTALL ----

    /** {@code io_install_fixed_fd_prep}. */
    static int installPrep(Req req, IssueContext ctx) {
        if (req.off() != 0 || req.addr() != 0 || req.len() != 0 || req.bufIndex() != 0 || req.fileIndex() != 0
                || req.addr3() != 0) {
            return -EINVAL;
        }
        if ((req.flags() & IOSQE_FIXED_FILE) == 0) {
            return -EBADF;
        }
        if ((req.opFlags() & ~IORING_FIXED_FD_NO_CLOEXEC) != 0) {
            return -EINVAL;
        }
        // io_install_fixed_fd_prep: the task's own credentials install descriptors (a personality: REQ_F_CREDS)
        return req.personality() != 0 ? -EPERM : 0;
    }

    /** {@code io_install_fixed_fd}: {@code receive_fd} of the slot's file, O_CLOEXEC unless asked not to. */
    static int install(Req req, IssueContext ctx, ProcessDescriptorTable table) {
        boolean cloexec = (req.opFlags() & IORING_FIXED_FD_NO_CLOEXEC) == 0;
        int ret = (int) Linux.call(SYS_FCNTL, ctx.fileDescriptor(req), cloexec ? Linux.F_DUPFD_CLOEXEC : F_DUPFD, 0);
        if (ret < 0) {
            return ReceiveFd.complete(req, ctx, ret);
        }
        return ReceiveFd.give(req, ctx, table, ret, cloexec, ReceiveFd::complete);
    }
}
