package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_CQE_BUFFER_SHIFT;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_BUF_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_REMOVE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_STATUS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_PBUF_RING;
import static dev.ringspec.uapi.IoUring.IOU_PBUF_RING_INC;
import static dev.ringspec.uapi.IoUring.IOU_PBUF_RING_MMAP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.RegisterOp;
import dev.ringspec.model.Req;
import dev.ringspec.uapi.IoUringBuf;
import dev.ringspec.uapi.IoUringBufReg;
import dev.ringspec.uapi.IoUringBufStatus;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Provided buffers (io_uring/kbuf.c): a ring's buffer lists by group id, each either a legacy list filled by
 * IORING_OP_PROVIDE_BUFFERS or a ring in the application's memory registered with IORING_REGISTER_PBUF_RING; and
 * buffer selection for the opcodes that take IOSQE_BUFFER_SELECT.
 *
 * <p>How an opcode uses a provided buffer ({@code io_buffer_select}, {@code io_kbuf_recycle}, {@code io_put_kbuf}):
 * <pre>{@code
 * Kbuf.Selection sel = Kbuf.select(req, ctx, len);        // null: the group is empty or missing -> -ENOBUFS
 * long n = read into sel.address(), sel.length() bytes
 * if (n == -EAGAIN) { Kbuf.recycle(ctx, sel); wait }      // the buffer goes back (a ring's head stays)
 * else ctx.setRes(req, n, Kbuf.cqeFlags(ctx, sel, n));    // IORING_CQE_F_BUFFER | bid << 16 [| F_BUF_MORE]
 * }</pre>
 * A ring's head moves when the buffer is put ({@link #cqeFlags}), except where {@code io_should_commit} commits at
 * selection: a file that cannot be polled, or an io-wq worker (the ring unlocked): {@link #select(Req,
 * IssueContext, int, boolean)} with {@code commitNow}. Such a buffer cannot be recycled.
 *
 * <p>The state is per ring ({@code ctx.ringLocal}); every method may be called from the ring's task or an io-wq
 * worker ({@code uring_lock} is this object's monitor).
 *
 * <p>{@code IOU_PBUF_RING_MMAP} (a ring the kernel allocates and the application maps at
 * {@code IORING_OFF_PBUF_RING}) is not emulated: the seam has no mmap of a ring descriptor, so registration answers
 * -EINVAL for that flag, as a kernel that does not know it.
 */
public final class Kbuf {
    /** {@code MAX_BIDS_PER_BGID}: buffer ids are 16 bits of a CQE's flags. */
    private static final long MAX_BIDS_PER_BGID = 1 << 16;
    private static final int USHRT_MAX = 0xffff;
    /** {@code MAX_RW_COUNT}: {@code INT_MAX & PAGE_MASK}. */
    private static final int MAX_RW_COUNT = 0x7ffff000;
    private static final long PAGE_SIZE = 4096;
    /**
     * {@code TASK_SIZE_MAX}, what {@code access_ok} compares a range's end with: this machine's, as the emulator's
     * buffers live in this process (x86_64: 47 address bits, 56 with 5-level paging, {@code la57}).
     */
    private static final long TASK_SIZE_MAX = taskSizeMax();
    /**
     * A selected buffer ({@code struct io_br_sel} with the request's {@code buf_index} and
     * {@code REQ_F_BUFFER_SELECTED}/{@code REQ_F_BUFFER_RING}): where to put the data, and how many bytes at most.
     */
    public static final class Selection {
        private final long address;
        private final int length;
        private final int bid;
        private final BufferList list;
        private final BufferList.LegacyBuf legacy;
        private boolean committed;
        private boolean bufMore;
        private boolean done;

        private Selection(long address, int length, int bid, BufferList list, BufferList.LegacyBuf legacy) {
            this.address = address;
            this.length = length;
            this.bid = bid;
            this.list = list;
            this.legacy = legacy;
        }

        public long address() {
            return address;
        }

        /** The bytes the transfer may use: the buffer's length, or less if the request asked for less. */
        public int length() {
            return length;
        }

        /** The buffer id that the CQE carries. */
        public int bid() {
            return bid;
        }

        /** Whether the buffer came from a legacy list ({@code REQ_F_BUFFER_SELECTED}), not a ring. */
        public boolean legacy() {
            return legacy != null;
        }
    }

    /** 6.1's {@code BGID_ARRAY}: groups below it are slots of an array, allocated on first use. */
    private static final int BGID_ARRAY = 64;

    private final Map<Integer, BufferList> lists = new HashMap<>();
    /** 6.1: whether {@code io_init_bl_list} made the array, whose every slot is an (empty) list from then on. */
    private boolean bglArray;

    /** The buffer lists of {@code ctx}'s ring. */
    public static Kbuf of(IssueContext ctx) {
        return ctx.ringLocal(Kbuf.class, Kbuf::new);
    }

    /** PROVIDE_BUFFERS and REMOVE_BUFFERS. */
    public static List<EmuOp> ops(EmulatorServices services) {
        return List.of(
                EmuOp.of(new OpDef(IORING_OP_PROVIDE_BUFFERS, "PROVIDE_BUFFERS", OpDef.IOPOLL,
                        Kbuf::provideBuffersPrep, Kbuf::manageBuffersLegacy)),
                EmuOp.of(new OpDef(IORING_OP_REMOVE_BUFFERS, "REMOVE_BUFFERS", OpDef.IOPOLL,
                        Kbuf::removeBuffersPrep, Kbuf::manageBuffersLegacy)));
    }

    /** IORING_REGISTER_PBUF_RING, IORING_UNREGISTER_PBUF_RING, IORING_REGISTER_PBUF_STATUS. */
    public static Map<Integer, RegisterOp> registerOps(EmulatorServices services) {
        return Map.of(
                IORING_REGISTER_PBUF_RING, oneArg((ctx, arg) -> of(ctx).registerPbufRing(ctx, arg)),
                IORING_UNREGISTER_PBUF_RING, oneArg((ctx, arg) -> of(ctx).unregisterPbufRing(ctx, arg)),
                IORING_REGISTER_PBUF_STATUS, oneArg((ctx, arg) -> of(ctx).registerPbufStatus(ctx, arg)));
    }

    private interface OneArg {
        int register(IssueContext ctx, long arg);
    }

    /** {@code __io_uring_register}: these three take one argument: {@code !arg || nr_args != 1} -> -EINVAL. */
    private static RegisterOp oneArg(OneArg op) {
        return (ctx, arg, nrArgs) -> arg == null || arg.address() == 0 || nrArgs != 1 ? -EINVAL
                : op.register(ctx, arg.address());
    }

    // ---- PROVIDE_BUFFERS, REMOVE_BUFFERS ----

    /** {@code struct io_provide_buf}: what prep read. */
    private record ProvideBuf(long addr, int len, int bgid, int nbufs, int bid) {
    }

    /** {@code io_provide_buffers_prep}. */
    static int provideBuffersPrep(Req req, IssueContext ctx) {
        // rw_flags or splice_fd_in set -> -EINVAL
        if (req.opFlags() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        // nbufs is sqe->fd read as a u64: 0, negative or above MAX_BIDS_PER_BGID -> -E2BIG
        long nbufs = req.fd();
        if (nbufs <= 0 || nbufs > MAX_BIDS_PER_BGID) {
            return -E2BIG;
        }
        long addr = req.addr();
        int len = req.len();
        // len 0 -> -EINVAL
        if (len == 0) {
            return -EINVAL;
        }
        // len * nbufs cannot overflow 64 bits (32 by 17 bits); addr + size may -> -EOVERFLOW
        long size = Integer.toUnsignedLong(len) * nbufs;
        long end = addr + size;
        if (Long.compareUnsigned(end, addr) < 0) {
            return -EOVERFLOW;
        }
        // access_ok: the range must end in user space -> -EFAULT (nothing else is checked: not even a mapping)
        if (Long.compareUnsigned(end, TASK_SIZE_MAX) > 0) {
            return -EFAULT;
        }
        // off is the first bid: above USHRT_MAX -> -E2BIG; bid + nbufs past MAX_BIDS_PER_BGID -> -EINVAL
        long bid = req.off();
        if (Long.compareUnsigned(bid, USHRT_MAX) > 0) {
            return -E2BIG;
        }
        if (bid + nbufs > MAX_BIDS_PER_BGID) {
            return -EINVAL;
        }
        req.opState(new ProvideBuf(addr, len, req.bufIndex(), (int) nbufs, (int) bid));
        return 0;
    }

    /** {@code io_remove_buffers_prep}. */
    static int removeBuffersPrep(Req req, IssueContext ctx) {
        // rw_flags, addr, len, off or splice_fd_in set -> -EINVAL
        if (req.opFlags() != 0 || req.addr() != 0 || req.len() != 0 || req.off() != 0 || req.fileIndex() != 0) {
            return -EINVAL;
        }
        // nbufs (sqe->fd as a u64): 0 or above MAX_BIDS_PER_BGID -> -EINVAL
        long nbufs = req.fd();
        if (nbufs <= 0 || nbufs > MAX_BIDS_PER_BGID) {
            return -EINVAL;
        }
        req.opState(new ProvideBuf(0, 0, req.bufIndex(), (int) nbufs, 0));
        return 0;
    }

    /** {@code io_manage_buffers_legacy}: the result is the count removed, or 0 for provided, or -errno. */
    static int manageBuffersLegacy(Req req, IssueContext ctx) {
        ProvideBuf p = (ProvideBuf) req.opState();
        int ret = of(ctx).manageLegacy(req.opcode() == IORING_OP_PROVIDE_BUFFERS, p, ctx.profile());
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, ret, 0);
        return OpDef.COMPLETE;
    }

    private synchronized int manageLegacy(boolean provide, ProvideBuf p, KernelProfile profile) {
        // 6.1 io_provide_buffers: a low group first makes the array (io_init_bl_list)
        initBlList(profile, p.bgid());
        BufferList bl = bufferGetList(p.bgid());
        if (bl == null) {
            // REMOVE_BUFFERS on a group that does not exist -> -ENOENT; PROVIDE_BUFFERS creates it
            if (!provide) {
                return -ENOENT;
            }
            bl = new BufferList(p.bgid());
            lists.put(p.bgid(), bl);
        }
        // can't use provide/remove buffers command on mapped buffers -> -EINVAL
        if (bl.isRing()) {
            return -EINVAL;
        }
        return provide ? addBuffers(p, bl, profile) : bl.removeLegacy(p.nbufs());
    }

    /**
     * {@code io_add_buffers}: {@code nbufs} buffers of {@code len} bytes each (at most MAX_RW_COUNT used), bids
     * counting up from {@code bid}, until the list is full.
     */
    private static int addBuffers(ProvideBuf p, BufferList bl, KernelProfile profile) {
        // a list of more buffers than bids could not tell duplicate bids apart -> -EOVERFLOW (if none was added)
        long room = legacyListLimit(profile) - bl.nbufs();
        int n = (int) Math.min(p.nbufs(), room);
        if (n <= 0) {
            return -EOVERFLOW;
        }
        int len = Integer.compareUnsigned(p.len(), MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : p.len();
        bl.addLegacy(p.addr(), Integer.toUnsignedLong(p.len()), len, p.bid(), n);
        return 0;
    }

    /** {@code io_buffer_get_list}: the group's list, or null (6.1: every slot of the array is a list). */
    private BufferList bufferGetList(int bgid) {
        BufferList bl = lists.get(bgid);
        if (bl == null && bglArray && bgid < BGID_ARRAY) {
            bl = new BufferList(bgid);
            lists.put(bgid, bl);
        }
        return bl;
    }

    /** {@code io_init_bl_list} (6.1): the first use of a group below BGID_ARRAY makes the array. */
    private void initBlList(KernelProfile profile, int bgid) {
        if (bgid < BGID_ARRAY && !atLeast(profile, 6, 12)) {
            bglArray = true;
        }
    }

    // ---- selection ----

    /**
     * {@code io_buffer_select} for a request on a file that can be polled, on the ring's task: a ring's head moves
     * only when the buffer is put ({@link #cqeFlags}), so {@link #recycle} gives it back. The group is
     * {@code sqe->buf_group} ({@code buf_index} for reads). Null when the group is missing or empty: the opcode
     * answers -ENOBUFS.
     *
     * @param len the bytes the request asks for; 0 for the whole buffer
     */
    public static Selection select(Req req, IssueContext ctx, int len) {
        return select(req, ctx, len, false);
    }

    /**
     * The same; {@code commitNow} ({@code io_should_commit}: an io-wq worker, or a file that cannot be polled) moves
     * a ring's head at once (an incremental ring's entry is consumed by {@code len}).
     */
    public static Selection select(Req req, IssueContext ctx, int len, boolean commitNow) {
        return of(ctx).bufferSelect(req.bufIndex(), len, commitNow);
    }

    private synchronized Selection bufferSelect(int bgid, int len, boolean commitNow) {
        BufferList bl = bufferGetList(bgid);
        if (bl == null) {
            return null;
        }
        if (!bl.isRing()) {
            // io_provided_buffer_select: the oldest buffer; len 0 or above its length -> its length
            BufferList.LegacyBuf b = bl.takeLegacy();
            if (b == null) {
                return null;
            }
            int n = len == 0 || Integer.compareUnsigned(len, b.len()) > 0 ? b.len() : len;
            return new Selection(b.addr(), n, b.bid(), bl, b);
        }
        // the kernel pinned the ring's pages; memory the application has since freed gives the emulator nothing to
        // read: the ring counts as empty
        if (!bl.readable()) {
            return null;
        }
        // io_ring_buffer_select: tail == head -> empty
        int tail = bl.loadAcquireTail();
        if (tail == bl.head) {
            return null;
        }
        long e = bl.entry(bl.head);
        int bufLen = bl.readOnceLen(e);
        int n = len == 0 || Integer.compareUnsigned(len, bufLen) > 0 ? bufLen : len;
        int bid = bl.readOnceBid(e);
        long addr = bl.readOnceAddr(e);
        Selection sel = new Selection(addr, n, bid, bl, null);
        if (commitNow) {
            // io_should_commit: consumed now; a partly consumed incremental buffer gives F_BUF_MORE later
            sel.bufMore = !bl.commit(n, 1);
            sel.committed = true;
        }
        return sel;
    }

    /**
     * {@code io_kbuf_recycle}: gives an unused buffer back (a legacy one to the front of its list, if the list is
     * still a legacy one; a ring's head simply stays). False when it cannot go back (a ring buffer committed at
     * selection).
     */
    public static boolean recycle(IssueContext ctx, Selection sel) {
        return of(ctx).recycle(sel);
    }

    private synchronized boolean recycle(Selection sel) {
        if (sel.done) {
            return false;
        }
        if (sel.legacy != null) {
            sel.done = true;
            BufferList bl = bufferGetList(sel.legacy.bgid());
            if (bl != null && !bl.isRing()) {
                bl.putBackLegacy(sel.legacy);
            }
            return true;
        }
        if (sel.committed) {
            return false;
        }
        sel.done = true;
        return true;
    }

    /**
     * {@code io_put_kbuf}: the buffer is used with {@code len} bytes (a ring's head moves, an incremental ring's
     * entry shrinks); the CQE flags that say so: {@code IORING_CQE_F_BUFFER | bid << 16}, with
     * {@code IORING_CQE_F_BUF_MORE} when an incremental buffer has room left.
     */
    public static int cqeFlags(IssueContext ctx, Selection sel, int len) {
        return of(ctx).putKbuf(sel, len);
    }

    private synchronized int putKbuf(Selection sel, int len) {
        int ret = IORING_CQE_F_BUFFER | (sel.bid << IORING_CQE_BUFFER_SHIFT);
        if (sel.legacy != null || sel.done) {
            sel.done = true;
            return ret;
        }
        sel.done = true;
        // __io_put_kbuf_ring: commit unless done at selection (len < 0 consumes nothing)
        boolean full = true;
        if (!sel.committed) {
            sel.committed = true;
            full = len < 0 || sel.list.commit(len, 1);
        }
        if (!full || sel.bufMore) {
            ret |= IORING_CQE_F_BUF_MORE;
        }
        return ret;
    }

    /**
     * {@code io_req_defer_failed}'s {@code io_put_kbuf} with no buffer list: a request failed while it holds its
     * selected buffer consumes it (a legacy one is dropped, a ring's head is not moved) and its CQE names it; 0 when
     * it holds none ({@code sel} null or already put).
     */
    public static int failCqeFlags(Selection sel) {
        if (sel == null || sel.done) {
            return 0;
        }
        sel.done = true;
        return IORING_CQE_F_BUFFER | (sel.bid << IORING_CQE_BUFFER_SHIFT);
    }

    // ---- register opcodes ----

    /** {@code io_register_pbuf_ring}. */
    private synchronized int registerPbufRing(IssueContext ctx, long arg) {
        KernelProfile profile = ctx.profile();
        // copy_from_user of struct io_uring_buf_reg -> -EFAULT
        MemorySegment reg = ctx.userMemory(arg, IoUringBufReg.SIZE_BYTES);
        if (reg == null) {
            return -EFAULT;
        }
        long ringAddr = reg.get(JAVA_LONG, IoUringBufReg.RING_ADDR_OFFSET);
        int entries = reg.get(JAVA_INT, IoUringBufReg.RING_ENTRIES_OFFSET);
        int bgid = Short.toUnsignedInt(reg.get(JAVA_SHORT, IoUringBufReg.BGID_OFFSET));
        int flags = Short.toUnsignedInt(reg.get(JAVA_SHORT, IoUringBufReg.FLAGS_OFFSET));
        int minLeft = reg.get(JAVA_INT, IoUringBufReg.MIN_LEFT_OFFSET);
        boolean era61 = !hasRingFlags(profile);
        // resv not zero -> -EINVAL (6.1: flags and min_left are still pad and resv)
        if (!isZero(reg, IoUringBufReg.RESV_OFFSET, IoUringBufReg.SIZE_BYTES)
                || era61 && (flags != 0 || minLeft != 0)) {
            return -EINVAL;
        }
        // unknown flags -> -EINVAL; IOU_PBUF_RING_MMAP is unknown here: the emulator cannot map a ring it allocates
        if ((flags & ~IOU_PBUF_RING_INC) != 0 || (flags & IOU_PBUF_RING_MMAP) != 0) {
            return -EINVAL;
        }
        if (!usesRegionApi(profile)) {
            // 6.1 and 6.12 check the user address first: none -> -EFAULT, not page aligned -> -EINVAL
            if (ringAddr == 0) {
                return -EFAULT;
            }
            if ((ringAddr & (PAGE_SIZE - 1)) != 0) {
                return -EINVAL;
            }
        }
        // ring_entries not a power of two, or 65536 or more (full and empty would look alike) -> -EINVAL
        if (entries == 0 || (entries & (entries - 1)) != 0 || Integer.compareUnsigned(entries, 65536) >= 0) {
            return -EINVAL;
        }
        // min_left is a property of incremental rings -> -EINVAL without IOU_PBUF_RING_INC
        if ((flags & IOU_PBUF_RING_INC) == 0 && minLeft != 0) {
            return -EINVAL;
        }
        // 6.1: a low group makes the array first (io_init_bl_list)
        initBlList(profile, bgid);
        // a group that is a ring, or a legacy list with buffers -> -EEXIST; an empty legacy list is replaced
        BufferList old = bufferGetList(bgid);
        if (old != null && (old.isRing() || old.nbufs() != 0)) {
            return -EEXIST;
        }
        long ringSize = (long) entries * IoUringBuf.SIZE_BYTES;
        if (usesRegionApi(profile)) {
            // io_create_region of the user's memory: no address -> -EFAULT, not page aligned -> -EINVAL
            if (ringAddr == 0) {
                return -EFAULT;
            }
            if ((ringAddr & (PAGE_SIZE - 1)) != 0) {
                return -EINVAL;
            }
            long alignedSize = (ringSize + PAGE_SIZE - 1) & -PAGE_SIZE;
            if (Long.compareUnsigned(ringAddr + alignedSize, ringAddr) < 0) {
                return -EOVERFLOW;
            }
        }
        // io_pin_pages: memory that is not the application's -> -EFAULT
        MemorySegment ring = ctx.userMemory(ringAddr, ringSize);
        if (ring == null) {
            return -EFAULT;
        }
        lists.remove(bgid);
        // a served program's ring: userMemory gave a window, a copy of this moment; the list reads through instead
        ProgramMemory served = ProgramTransfers.program();
        lists.put(bgid, new BufferList(bgid, ring, entries, (flags & IOU_PBUF_RING_INC) != 0, minLeft, served,
                ringAddr));
        return 0;
    }

    /** {@code io_unregister_pbuf_ring}. */
    private synchronized int unregisterPbufRing(IssueContext ctx, long arg) {
        MemorySegment reg = ctx.userMemory(arg, IoUringBufReg.SIZE_BYTES);
        if (reg == null) {
            return -EFAULT;
        }
        int bgid = Short.toUnsignedInt(reg.get(JAVA_SHORT, IoUringBufReg.BGID_OFFSET));
        // resv or flags (6.1: pad, and min_left's bytes of resv) -> -EINVAL
        long checkedFrom = hasRingFlags(ctx.profile()) ? IoUringBufReg.RESV_OFFSET : IoUringBufReg.FLAGS_OFFSET;
        if (!isZero(reg, checkedFrom, IoUringBufReg.SIZE_BYTES)
                || reg.get(JAVA_SHORT, IoUringBufReg.FLAGS_OFFSET) != 0) {
            return -EINVAL;
        }
        BufferList bl = bufferGetList(bgid);
        if (bl == null) {
            return -ENOENT;
        }
        if (!bl.isRing()) {
            return -EINVAL;
        }
        lists.remove(bgid);
        if (bglArray && bgid < BGID_ARRAY) {
            // 6.1: the array's slot stays, an empty list again
            lists.put(bgid, new BufferList(bgid));
        }
        return 0;
    }

    /** {@code io_register_pbuf_status}: the kernel's head of a ring, written back into the argument. */
    private synchronized int registerPbufStatus(IssueContext ctx, long arg) {
        MemorySegment st = ctx.userMemory(arg, IoUringBufStatus.SIZE_BYTES);
        if (st == null) {
            return -EFAULT;
        }
        if (!isZero(st, IoUringBufStatus.RESV_OFFSET, IoUringBufStatus.SIZE_BYTES)) {
            return -EINVAL;
        }
        // buf_group is a u32; groups are 16-bit, so a larger one names none -> -ENOENT
        long group = Integer.toUnsignedLong(st.get(JAVA_INT, IoUringBufStatus.BUF_GROUP_OFFSET));
        BufferList bl = group > USHRT_MAX ? null : lists.get((int) group);
        if (bl == null) {
            return -ENOENT;
        }
        if (!bl.isRing()) {
            return -EINVAL;
        }
        st.set(JAVA_INT, IoUringBufStatus.HEAD_OFFSET, bl.head);
        return 0;
    }

    private static boolean isZero(MemorySegment s, long from, long to) {
        for (long i = from; i < to; i++) {
            if (s.get(JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    // ---- where kernels differ ----

    /** Whether {@code profile} is kernel {@code major.minor} or later. */
    static boolean atLeast(KernelProfile profile, int major, int minor) {
        return Versions.atLeast(profile, major, minor);
    }

    private static long taskSizeMax() {
        boolean la57;
        try {
            la57 = Files.readString(Path.of("/proc/cpuinfo")).contains(" la57");
        } catch (IOException | RuntimeException e) {
            la57 = false;
        }
        return (1L << (la57 ? 56 : 47)) - PAGE_SIZE;
    }

    /** 6.1's {@code io_uring_buf_reg} has {@code pad} and {@code resv[3]} where later ones have flags and min_left. */
    private static boolean hasRingFlags(KernelProfile profile) {
        return atLeast(profile, 6, 2);
    }

    /** Rings registered as memory regions ({@code io_create_region}, 6.14+): the address checks come later. */
    private static boolean usesRegionApi(KernelProfile profile) {
        return atLeast(profile, 6, 14);
    }

    /**
     * How many buffers a legacy list holds ({@code io_add_buffers}): 6.12 does not count them; 6.18 and 7.1 stop
     * at USHRT_MAX (6.18 is the first profile that counts); 7.2 at MAX_BIDS_PER_BGID (a guest of 7.2.13 adds the
     * 65536th).
     */
    private static int legacyListLimit(KernelProfile profile) {
        if (!atLeast(profile, 6, 18)) {
            return Integer.MAX_VALUE;
        }
        return atLeast(profile, 7, 2) ? (int) MAX_BIDS_PER_BGID : USHRT_MAX;
    }
}
