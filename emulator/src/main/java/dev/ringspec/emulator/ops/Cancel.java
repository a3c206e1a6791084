package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_GETPID;
import static dev.ringspec.emulator.sys.Linux.SYS_KCMP;
import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ALL;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_OP;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_USERDATA;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.RegisterOp;
import dev.ringspec.model.Req;
import dev.ringspec.model.Waiter;
import dev.ringspec.uapi.IoUringSyncCancelReg;
import dev.ringspec.uapi.KernelTimespec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * io_uring/cancel.c: {@code IORING_OP_ASYNC_CANCEL} and {@code IORING_REGISTER_SYNC_CANCEL}, by user_data, by file
 * (IORING_ASYNC_CANCEL_FD, with IORING_ASYNC_CANCEL_FD_FIXED a registered file), by opcode (IORING_ASYNC_CANCEL_OP),
 * any request
 * (IORING_ASYNC_CANCEL_ANY), every match (IORING_ASYNC_CANCEL_ALL: the result is how many were cancelled), and
 * user_data together with the others (IORING_ASYNC_CANCEL_USERDATA). It searches a ring's waiting requests
 * ({@link Inflight}) in {@code io_try_cancel}'s order: io-wq, then polls, then timeouts (never by file).
 *
 * <p>As the kernel's {@code cancel_seq}, one cancellation looks at each request at most once: a request it already
 * matched (cancelled, or found running) is not matched again, so IORING_ASYNC_CANCEL_ALL ends.
 */
public final class Cancel {
    /** {@code CANCEL_FLAGS}. */
    static final int CANCEL_FLAGS = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY
            | IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;
    /** {@code GOLDEN_RATIO_64} of include/linux/hash.h, which {@code hash_long} multiplies by on 64-bit. */
    private static final long GOLDEN_RATIO_64 = 0x61C8864680B583EBL;
    private static final int KCMP_FILE = 0;

    private Cancel() {
    }

    /** The opcodes of cancel.c. */
    public static List<EmuOp> ops(EmulatorServices services) {
        // opdef.c: ASYNC_CANCEL needs no file
        return List.of(EmuOp.of(new OpDef(IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", 0, Cancel::prep, Cancel::issue)));
    }

    /**
     * {@code struct io_cancel_data}: what a cancellation matches.
     *
     * @param file with IORING_ASYNC_CANCEL_FD, a descriptor of the file to match ({@code cd->file}), else -1
     */
    public record CancelData(long data, int flags, int opcode, int file) {
        boolean all() {
            return (flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY)) != 0;
        }

        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /** The register opcode of cancel.c. */
    public static Map<Integer, RegisterOp> registerOps(EmulatorServices services) {
        // __io_uring_register: IORING_REGISTER_SYNC_CANCEL takes one argument, not NULL -> -EINVAL
        return Map.of(IORING_REGISTER_SYNC_CANCEL, (ring, arg, nrArgs) -> arg.address() == 0 || nrArgs != 1
                ? -EINVAL : syncCancel(ring, arg.address()));
    }

    /**
     * {@code io_sync_cancel}: the argument checked in the kernel's order, a cancellation as ASYNC_CANCEL's (with
     * ALL or ANY the count), and where only running requests matched (-EALREADY), looks again after each completion
     * until none matches (0), the relative timeout passes (-ETIME; {-1, -1} is none) or a signal ends the wait
     * (-EINTR).
     */
    static int syncCancel(IssueContext ring, long arg) {
        // io_sync_cancel: copy_from_user -> -EFAULT; unknown flags, then a non-zero pad or pad2 -> -EINVAL
        MemorySegment sc = ring.userMemory(arg, IoUringSyncCancelReg.SIZE_BYTES);
        if (sc == null) {
            return -EFAULT;
        }
        int flags = sc.get(JAVA_INT_UNALIGNED, IoUringSyncCancelReg.FLAGS_OFFSET);
        if ((flags & ~CANCEL_FLAGS) != 0) {
            return -EINVAL;
        }
        for (long i = IoUringSyncCancelReg.PAD_OFFSET; i < IoUringSyncCancelReg.SIZE_BYTES; i++) {
            if (sc.get(JAVA_BYTE, i) != 0) {
                return -EINVAL;
            }
        }
        long data = sc.get(JAVA_LONG_UNALIGNED, IoUringSyncCancelReg.ADDR_OFFSET);
        int fd = sc.get(JAVA_INT_UNALIGNED, IoUringSyncCancelReg.FD_OFFSET);
        int opcode = Byte.toUnsignedInt(sc.get(JAVA_BYTE, IoUringSyncCancelReg.OPCODE_OFFSET));
        long sec = sc.get(JAVA_LONG_UNALIGNED, IoUringSyncCancelReg.TIMEOUT_OFFSET + KernelTimespec.TV_SEC_OFFSET);
        long nsec = sc.get(JAVA_LONG_UNALIGNED, IoUringSyncCancelReg.TIMEOUT_OFFSET + KernelTimespec.TV_NSEC_OFFSET);
        // io_sync_cancel: a plain descriptor is taken up front (fget -> -EBADF)
        boolean byFile = (flags & IORING_ASYNC_CANCEL_FD) != 0;
        boolean fixed = (flags & IORING_ASYNC_CANCEL_FD_FIXED) != 0;
        int file = -1;
        if (byFile && !fixed) {
            file = ProgramTransfers.duplicate(fd);
            if (file < 0) {
                return -EBADF;
            }
        }
        try {
            int ret = syncCancelOnce(ring, new CancelData(data, flags, opcode, file), byFile && fixed, fd);
            // io_sync_cancel: found something (or nothing at all), done
            if (ret != -EALREADY) {
                return ret;
            }
            long deadline = sec == -1 && nsec == -1 ? Waiter.NO_DEADLINE
                    : ring.clock().nanoTime() + Math.min(sec, Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L
                            + nsec;
            while (true) {
                ret = syncCancelOnce(ring, new CancelData(data, flags, opcode, file), byFile && fixed, fd);
                if (ret != -EALREADY) {
                    return ret == -ENOENT || ret > 0 ? 0 : ret;
                }
                // io_sync_cancel: io_run_task_work_sig (-EINTR), then the sleep until a completion (-ETIME)
                int slept = ring.syncCancelSleep(deadline);
                if (slept < 0) {
                    return slept;
                }
            }
        } finally {
            if (file >= 0) {
                Linux.close(file);
            }
        }
    }

    /**
     * {@code io_uring_cancel_generic} on one ring for {@code task} (the key of the task that submitted a request,
     * {@link Req#task}): of that task's requests that wait outside the ring (io-wq work, armed polls and timeouts)
     * those {@code match} accepts are cancelled once (a running io-wq item is signalled), then the ring's task work
     * runs and the call sleeps until none of them waits any more, a signal ends the sleep, or the ring's clock passes
     * {@code deadlineNanos}. {@code match} accepts all at an exec ({@code io_uring_task_cancel}: cancel_all) and at an
     * exit only a request whose link holds one with REQ_F_INFLIGHT ({@code io_uring_files_cancel}:
     * {@code io_match_task_safe} without cancel_all). Returns how many it found.
     */
    public static int cancelTask(IssueContext ring, Object task, Predicate<Inflight.Entry> match,
            long deadlineNanos) {
        Inflight inflight = ring.ringLocal(Inflight.class, Inflight::new);
        Set<Req> tried = Collections.newSetFromMap(new IdentityHashMap<>());
        while (true) {
            List<Inflight.Entry> left = new ArrayList<>();
            for (Inflight.Entry e : inflight.all()) {
                if (task.equals(e.req().task()) && match.test(e)) {
                    left.add(e);
                }
            }
            if (left.isEmpty()) {
                return tried.size();
            }
            for (Inflight.Entry e : left) {
                if (tried.add(e.req())) {
                    e.canceler().cancel();
                }
            }
            if (ring.syncCancelSleep(deadlineNanos) < 0) {
                return tried.size();
            }
        }
    }

    /** {@code __io_sync_cancel}: a registered file looked up at every try (-EBADF), then {@code __io_async_cancel}. */
    private static int syncCancelOnce(IssueContext ring, CancelData cd, boolean fixed, int fd) {
        if (!fixed) {
            return asyncCancel(ring, cd);
        }
        int file = ring.fixedFileDescriptor(fd);
        if (file < 0) {
            return -EBADF;
        }
        return asyncCancel(ring, new CancelData(cd.data(), cd.flags(), cd.opcode(), file));
    }

    /** {@code struct io_cancel}, as prep read it. */
    private record Prepped(long addr, int flags, int fd, int opcode) {
    }

    /** {@code io_async_cancel_prep}. */
    static int prep(Req req, IssueContext ctx) {
        // io_async_cancel_prep: REQ_F_BUFFER_SELECT -> -EINVAL
        if ((req.flags() & IOSQE_BUFFER_SELECT) != 0) {
            return -EINVAL;
        }
        // io_async_cancel_prep: off or splice_fd_in set -> -EINVAL
        if (req.off() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        int flags = req.opFlags();
        // io_async_cancel_prep: an unknown cancel flag -> -EINVAL
        if ((flags & ~CANCEL_FLAGS) != 0) {
            return -EINVAL;
        }
        // io_async_cancel_prep: FD or OP together with ANY -> -EINVAL
        if ((flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)) != 0
                && (flags & IORING_ASYNC_CANCEL_ANY) != 0) {
            return -EINVAL;
        }
        int opcode = 0;
        if ((flags & IORING_ASYNC_CANCEL_OP) != 0) {
            // io_async_cancel_prep: an opcode at or past IORING_OP_LAST -> -EINVAL (later kernels only)
            if (checksOpLast(ctx.profile()) && Integer.compareUnsigned(req.len(), ctx.profile().opLast()) >= 0) {
                return -EINVAL;
            }
            // cancel->opcode is a u8
            opcode = req.len() & 0xff;
        }
        req.opState(new Prepped(req.addr(), flags, req.fd(), opcode));
        return 0;
    }

    /**
     * Whether {@code io_async_cancel_prep} refuses an IORING_ASYNC_CANCEL_OP opcode at or past IORING_OP_LAST: the
     * 7.1.8, 7.2.13 and 7.3-rc7 sources do; 6.12.117's does not and 6.18.44 answers -ENOENT (measured: it keeps the
     * low byte and matches nothing). 6.19 and 7.0 are taken to be as 6.18 (not measured).
     */
    static boolean checksOpLast(KernelProfile profile) {
        String[] v = profile.version().split("\\.");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        return major > 7 || (major == 7 && minor >= 1);
    }

    /** {@code io_async_cancel}. */
    static int issue(Req req, IssueContext ctx) {
        Prepped c = (Prepped) req.opState();
        int file = -1;
        if ((c.flags() & IORING_ASYNC_CANCEL_FD) != 0) {
            // io_async_cancel: the file to match, registered with IOSQE_FIXED_FILE or FD_FIXED; none -> -EBADF
            if ((req.flags() & IOSQE_FIXED_FILE) != 0 || (c.flags() & IORING_ASYNC_CANCEL_FD_FIXED) != 0) {
                file = ctx.fixedFileDescriptor(c.fd());
            } else if (ctx.processFileOpen(c.fd())) {
                // this process's descriptor for the program's file (the same number unless hosted)
                file = ctx.fileDescriptor(req);
            }
            if (file < 0) {
                return -EBADF;
            }
        }
        int ret = asyncCancel(ctx, new CancelData(c.addr(), c.flags(), c.opcode(), file));
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    /**
     * {@code __io_async_cancel}: one request (0, -EALREADY or -ENOENT), or with ALL or ANY every match, answering
     * how many were cancelled.
     */
    public static int asyncCancel(IssueContext ctx, CancelData cd) {
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        Set<Req> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Req> running = Collections.newSetFromMap(new IdentityHashMap<>());
        int nr = 0;
        int ret;
        while (true) {
            ret = tryCancel(ctx, inflight, cd, seen, running);
            if (ret == -ENOENT) {
                break;
            }
            if (!cd.all()) {
                return ret;
            }
            nr++;
        }
        // __io_async_cancel: the slow path, every task's io-wq (here the emulator's one)
        ret = asyncCancelOne(ctx, inflight, cd, seen, running);
        if (ret != -ENOENT && cd.all()) {
            nr++;
        }
        return cd.all() ? nr : ret;
    }

    /** {@code io_try_cancel}: io-wq, then polls, then (not by file) timeouts. */
    private static int tryCancel(IssueContext ctx, Inflight inflight, CancelData cd, Set<Req> seen,
            Set<Req> running) {
        int ret = asyncCancelOne(ctx, inflight, cd, seen, running);
        // io_try_cancel: on to the polls even after -EALREADY
        if (ret == 0) {
            return 0;
        }
        ret = pollCancel(ctx, inflight, cd, seen);
        if (ret != -ENOENT) {
            return ret;
        }
        if (cd.has(IORING_ASYNC_CANCEL_FD)) {
            return ret;
        }
        Inflight.Entry t = firstUnseen(inflight.find(Inflight.Kind.TIMEOUT, e -> reqMatch(ctx, e, cd)), cd, seen);
        return t == null ? -ENOENT : t.canceler().cancel();
    }

    /**
     * {@code io_async_cancel_one}: io-wq's matches, the first pending one stopped (with ALL or ANY every pending
     * one, counted once); 0, -EALREADY when only running ones matched, or -ENOENT. A request this cancellation
     * found running (and signalled) is still running at its second look: the kernel's worker has not left it yet
     * (its {@code cur_work} is cleared only after the completion), where the emulator's may already have returned.
     */
    private static int asyncCancelOne(IssueContext ctx, Inflight inflight, CancelData cd, Set<Req> seen,
            Set<Req> found) {
        int pending = 0;
        int running = 0;
        for (Inflight.Entry e : inflight.find(Inflight.Kind.IO_WQ, e -> reqMatch(ctx, e, cd))) {
            if (cd.all() && !seen.add(e.req())) {
                continue;
            }
            int r = found.contains(e.req()) ? -EALREADY : e.canceler().cancel();
            if (r == -EALREADY) {
                found.add(e.req());
            }
            if (r == 0) {
                pending++;
                if (!cd.all()) {
                    return 0;
                }
            } else if (r == -EALREADY) {
                running++;
            }
        }
        return pending != 0 ? 0 : running != 0 ? -EALREADY : -ENOENT;
    }

    /**
     * {@code io_poll_cancel}: the first matching poll in the cancel hash table's order (by user_data alone
     * {@code io_poll_find} looks in that user_data's bucket; by file, opcode or any, {@code io_poll_file_find} walks
     * the buckets in order; each bucket holds its newest request first), cancelled; 0 or -ENOENT.
     */
    private static int pollCancel(IssueContext ctx, Inflight inflight, CancelData cd, Set<Req> seen) {
        List<Inflight.Entry> polls = new ArrayList<>(inflight.find(Inflight.Kind.POLL, e -> reqMatch(ctx, e, cd)));
        Collections.reverse(polls);
        int bits = hashBits(ctx.cqEntries());
        polls.sort(Comparator.comparingLong(e -> bucket(e.req().userData(), bits)));
        Inflight.Entry p = firstUnseen(polls, cd, seen);
        if (p == null) {
            return -ENOENT;
        }
        p.canceler().cancel();
        return 0;
    }

    /** The first entry this cancellation has not matched yet ({@code io_cancel_match_sequence}), now matched. */
    private static Inflight.Entry firstUnseen(List<Inflight.Entry> entries, CancelData cd, Set<Req> seen) {
        for (Inflight.Entry e : entries) {
            if (!cd.all() || seen.add(e.req())) {
                return e;
            }
        }
        return null;
    }

    /** {@code io_cancel_req_match} without the sequence check, which the callers make in their own order. */
    static boolean reqMatch(IssueContext ctx, Inflight.Entry e, CancelData cd) {
        if (cd.has(IORING_ASYNC_CANCEL_ANY)) {
            return true;
        }
        boolean matchUserData = cd.has(IORING_ASYNC_CANCEL_USERDATA)
                || !cd.has(IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP);
        if (cd.has(IORING_ASYNC_CANCEL_FD) && !sameFile(ctx, e, cd.file())) {
            return false;
        }
        if (cd.has(IORING_ASYNC_CANCEL_OP) && e.req().opcode() != cd.opcode()) {
            return false;
        }
        return !matchUserData || e.req().userData() == cd.data();
    }

    /** {@code req->file == cd->file}: the same open file, whichever descriptors name it ({@code kcmp}). */
    private static boolean sameFile(IssueContext ctx, Inflight.Entry e, int file) {
        int fd = e.fixed() ? ctx.fixedFileDescriptor(e.fd()) : e.fd();
        if (fd < 0) {
            return false;
        }
        return sameOpenFile(fd, file);
    }

    /** Whether descriptors {@code a} and {@code b} name the same open file ({@code kcmp}; where it fails, a == b). */
    static boolean sameOpenFile(int a, int b) {
        if (a < 0 || b < 0) {
            return false;
        }
        long pid = Linux.call(SYS_GETPID, 0);
        long r = Linux.call(SYS_KCMP, pid, pid, KCMP_FILE, a, b, 0);
        return r < 0 ? a == b : r == 0;
    }

    /** {@code io_ring_ctx_alloc}: the cancel table has {@code clamp(ilog2(cq_entries) - 5, 1, 8)} hash bits. */
    static int hashBits(int cqEntries) {
        int bits = 31 - Integer.numberOfLeadingZeros(Math.max(cqEntries, 1)) - 5;
        return Math.clamp(bits, 1, 8);
    }

    /** {@code hash_long(user_data, bits)} on 64-bit: {@code hash_64_generic}. */
    static long bucket(long userData, int bits) {
        return (userData * GOLDEN_RATIO_64) >>> (64 - bits);
    }
}
