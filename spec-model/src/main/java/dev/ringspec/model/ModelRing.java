package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_URING_CMD128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * One ring of the model: the kernel-private state of {@code struct io_ring_ctx} (cached SQ head, cached CQ tail
 * and CQE cache, overflow list, link assembly, task work, drain, restrictions, resource tables) beside the shared
 * regions in native memory, laid out like the kernel's. The submission and completion rules live here, each
 * method named after the kernel function it mirrors; {@link ModelIoUring} holds setup and the register opcodes.
 *
 * <p>Nothing on the submit/complete path allocates once the request pool, the completion batch and the queues
 * have grown to the workload's size.
 */
final class ModelRing implements Ring {
    // REQ_F_* bits above the SQE flags (the low 7 bits are the IOSQE_* flags, as in the kernel).
    static final int REQ_F_FAIL = 1 << 8;
    static final int REQ_F_SKIP_LINK_CQES = 1 << 9;
    static final int REQ_F_LINK_FLAGS = IOSQE_IO_LINK | IOSQE_IO_HARDLINK;
    static final int REQ_F_FORCE_ASYNC = IOSQE_ASYNC;

    /** {@code IOSQE_FIXED_FILE | IO_LINK | IO_HARDLINK | ASYNC}: flags that need no check in io_init_req. */
    private static final int SQE_COMMON_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC;

    static final int NOP_INJECT_RESULT = 1;
    static final int NOP_FILE = 1 << 1;
    static final int NOP_FIXED_FILE = 1 << 2;
    static final int NOP_FIXED_BUFFER = 1 << 3;
    static final int NOP_TW = 1 << 4;
    static final int NOP_CQE32 = 1 << 5;
    static final int NOP_FLAGS = NOP_INJECT_RESULT | NOP_FILE | NOP_FIXED_FILE | NOP_FIXED_BUFFER | NOP_TW
            | NOP_CQE32;

    // What task work does with a request when it runs.
    private static final int TW_ISSUE = 1; // io_req_task_submit
    private static final int TW_COMPLETE = 2; // io_req_task_complete
    private static final int TW_FAIL_LINKS = 3; // io_req_tw_fail_links

    static {
        // SQE and CQE fields are read and written as whole native words and split by shifts that assume the
        // little-endian layout of x86_64 and arm64, the machines ringspec runs on.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("the model assumes a little-endian host");
        }
    }

    private static final int SQ_HEAD = RingGeometry.SQ_HEAD;
    private static final int SQ_TAIL = RingGeometry.SQ_TAIL;
    private static final int CQ_HEAD = RingGeometry.CQ_HEAD;
    private static final int CQ_TAIL = RingGeometry.CQ_TAIL;

    /** A request ({@code struct io_kiocb}), pooled: the hot path reuses them. */
    // SQEs and CQEs sit at fixed offsets in page-aligned regions; the unaligned layouts spare the JIT an alignment
    // check on every access of the hot path (the instructions are the same on x86-64 and arm64).
    private static final ValueLayout.OfLong LONG = JAVA_LONG_UNALIGNED;
    /** The 8-byte words of an SQE's first 64 bytes, and where its fields sit among them (little-endian). */
    private static final int SQE_WORDS = 8;
    private static final int OFF_WORD = (int) (IoUringSqe.OFF_OFFSET / Long.BYTES);
    private static final int ADDR_WORD = (int) (IoUringSqe.ADDR_OFFSET / Long.BYTES);
    private static final int LEN_WORD = (int) (IoUringSqe.LEN_OFFSET / Long.BYTES);
    private static final int USER_DATA_WORD = (int) (IoUringSqe.USER_DATA_OFFSET / Long.BYTES);
    /** buf_index in bits 0-15, personality in bits 16-31. */
    private static final int BUF_INDEX_WORD = (int) (IoUringSqe.BUF_INDEX_OFFSET / Long.BYTES);

    private final long[] sqeWords = new long[SQE_WORDS];

    /** {@code IO_LOCAL_TW_DEFAULT_MAX}: the local task work items one run takes, unless the caller waits for more. */
    static final int LOCAL_TW_DEFAULT_MAX = 20;
    /** The outcome of {@link Choice#OVERFLOW_FLUSH_RESCHEDULES} that reschedules. */
    private static final int RESCHEDULE = 1;

    static final class Req {
        long userData;
        int opcode;
        int flags;
        int res;
        int cqeFlags;
        boolean big;
        long big0;
        long big1;
        int nopFlags;
        int nopResult;
        int nopFd;
        int bufIndex;
        long extra1;
        long extra2;
        Req link;
        int twAction;

        void reset() {
            link = null;
            flags = 0;
            res = 0;
            cqeFlags = 0;
            big = false;
            big0 = 0;
            big1 = 0;
            nopFlags = 0;
            twAction = 0;
        }
    }

    final ModelIoUring kernel;
    private final KernelProfile profile;
    // The mutants, one flag each, read at the site of the rule they break.
    private final boolean mDroppedSqeCounted;
    private final boolean mSqArrayIgnored;
    private final boolean mWrongErrnoInvalidOpcode;
    private final boolean mDrainNotRefusedAfterSkip;
    private final boolean mSkipSuccessIgnoredOnFailure;
    private final boolean mChainNotCancelledOnPrepFailure;
    private final boolean mCancelWithWrongErrno;
    private final boolean mCqe32AdvancesTailByOne;
    private final boolean mNoSkipFiller;
    private final boolean mSkipFillerWrongFields;
    private final boolean mOverflowFlagNeverSet;
    private final boolean mOverflowFlagNotCleared;
    private final boolean mLocalTaskWorkUncapped;
    final int fd;
    int flags;
    boolean closed;
    Thread submitter;

    // The current mapping generation.
    Arena arena;
    RingParams params;
    MemorySegment rings;
    MemorySegment sqes;
    int sqEntries;
    int cqEntries;
    long sqArray;
    private int cqeSizeBytes;
    private int sqeShift;

    // Kernel-private counters: never read back from the shared ring.
    int cachedSqHead;
    int cachedCqTail;
    /** {@code ctx->cqe_cached} and {@code ctx->cqe_sentinel}, as CQE slot indexes. */
    int cqeCached;
    int cqeSentinel;
    /**
     * Where Linux 6.18 departs from these semantics: after a failed refill it keeps its cached range
     * ({@code staleCached} to {@code staleSentinel}) instead of emptying it, and writes later CQEs through it.
     * The model empties its own range but remembers the kernel's, so it can say when the kernel would use it
     * ({@link #kernelUsesStaleCqeCache}); divergence catalogue entry cqe-stale-cache-jumps-overflow-list.
     */
    private boolean staleRange;
    private int staleCached;
    private int staleSentinel;
    /** Set when a CQE was posted where Linux 6.18 would have written it through its stale cached range. */
    boolean kernelUsesStaleCqeCache;
    private int submitLeft;

    // The overflow list (io_overflow_cqe), kept in arrays in order.
    boolean checkOverflow;
    private long[] ovUserData = new long[16];
    private int[] ovRes = new int[16];
    private int[] ovFlags = new int[16];
    private long[] ovBig0 = new long[16];
    private long[] ovBig1 = new long[16];
    private int ovHead;
    int ovCount;

    // submit_state: link assembly and the batch's inline completions.
    private Req linkHead;
    private Req linkLast;
    private Req[] compl = new Req[64];
    private int complCount;

    // Task work, FIFO (the kernel reverses its llist before running it).
    private Req[] tw = new Req[64];
    private int twHead;
    private int twCount;
    /** How many items at the front of {@link #tw} an earlier local run left over (the kernel's retry list). */
    private int twRetry;

    // Drain.
    boolean drainDisabled;
    boolean drainActive;
    private boolean drainNext;
    private Req[] deferred = new Req[16];
    private int deferredHead;
    private int deferredCount;
    private int nrDrained;
    /** {@code ctx->nr_req_allocated} once the request caches are freed: requests not yet freed. */
    private int nrReqAllocated;

    private Req[] pool = new Req[64];
    private int poolCount;

    // Restrictions.
    boolean restrictionsRegistered;
    boolean opRegistered;
    boolean regRegistered;
    boolean restricted;
    final long[] sqeOpAllowed = new long[2];
    long registerOpAllowed;
    int sqeFlagsAllowed;
    int sqeFlagsRequired;

    // Registered files and buffers; null when no table is registered.
    int[] files;
    boolean[] buffers;

    /** Whether the last GETEVENTS wait could not be satisfied (the kernel would have slept). */
    boolean lastWaitWouldBlock;

    private RuleListener listener = RuleListener.NONE;
    /** Whether {@link #listener} is someone: the one check every reporting site makes. */
    private boolean listening;
    private Chooser chooser = Chooser.DEFAULT;

    ModelRing(ModelIoUring kernel, int fd, int flags, Thread submitter) {
        this.kernel = kernel;
        this.profile = kernel.profile();
        Set<Mutant> mutants = kernel.mutants();
        this.mDroppedSqeCounted = mutants.contains(Mutant.DROPPED_SQE_COUNTED);
        this.mSqArrayIgnored = mutants.contains(Mutant.SQ_ARRAY_IGNORED);
        this.mWrongErrnoInvalidOpcode = mutants.contains(Mutant.WRONG_ERRNO_INVALID_OPCODE);
        this.mDrainNotRefusedAfterSkip = mutants.contains(Mutant.DRAIN_NOT_REFUSED_AFTER_SKIP);
        this.mSkipSuccessIgnoredOnFailure = mutants.contains(Mutant.SKIP_SUCCESS_IGNORED_ON_FAILURE);
        this.mChainNotCancelledOnPrepFailure = mutants.contains(Mutant.CHAIN_NOT_CANCELLED_ON_PREP_FAILURE);
        this.mCancelWithWrongErrno = mutants.contains(Mutant.CANCEL_WITH_WRONG_ERRNO);
        this.mCqe32AdvancesTailByOne = mutants.contains(Mutant.CQE32_ADVANCES_TAIL_BY_ONE);
        this.mNoSkipFiller = mutants.contains(Mutant.NO_SKIP_FILLER);
        this.mSkipFillerWrongFields = mutants.contains(Mutant.SKIP_FILLER_WRONG_FIELDS);
        this.mOverflowFlagNeverSet = mutants.contains(Mutant.OVERFLOW_FLAG_NEVER_SET);
        this.mOverflowFlagNotCleared = mutants.contains(Mutant.OVERFLOW_FLAG_NOT_CLEARED);
        this.mLocalTaskWorkUncapped = mutants.contains(Mutant.LOCAL_TASK_WORK_UNCAPPED);
        this.fd = fd;
        this.flags = flags;
        this.submitter = submitter;
        listen(kernel.ruleListener());
        choose(kernel.chooser());
    }

    void listen(RuleListener newListener) {
        this.listener = newListener;
        this.listening = newListener != RuleListener.NONE;
    }

    void choose(Chooser newChooser) {
        this.chooser = newChooser;
    }

    /** Reports {@code rule} if anyone listens. */
    private void fire(Rule rule, long detail) {
        if (listening) {
            listener.fired(rule, fd, detail);
        }
    }

    /** Installs a mapping generation: regions, sizes and the answer setup or a resize gave. */
    void map(Arena newArena, RingParams newParams, MemorySegment newRings, MemorySegment newSqes) {
        this.arena = newArena;
        this.params = newParams;
        this.rings = newRings;
        this.sqes = newSqes;
        this.sqEntries = newParams.sqEntries();
        this.cqEntries = newParams.cqEntries();
        this.sqArray = newParams.sqOff().array();
        this.cqeSizeBytes = (flags & IORING_SETUP_CQE32) != 0 ? 32 : 16;
        this.sqeShift = (flags & IORING_SETUP_SQE128) != 0 ? 7 : 6;
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public RingParams params() {
        return params;
    }

    @Override
    public MemorySegment sqRing() {
        return rings;
    }

    @Override
    public MemorySegment cqRing() {
        return rings;
    }

    @Override
    public MemorySegment sqes() {
        return sqes;
    }

    @Override
    public String toString() {
        return "model ring fd " + fd + " (profile " + profile.version() + ")";
    }

    boolean has(int setupFlag) {
        return (flags & setupFlag) != 0;
    }

    boolean isOwner() {
        return submitter == null || submitter == Thread.currentThread();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Submission

    /** {@code io_submit_sqes}: consumes up to {@code nr} SQEs; returns how many count. */
    int submitSqes(int nr) {
        int entries;
        if (has(IORING_SETUP_SQ_REWIND)) {
            // io_submit_sqes (7.0+): SQ_REWIND ignores the tail, to_submit alone decides
            entries = sqEntries;
        } else {
            // __io_sqring_entries: min(smp_load_acquire(sq.tail) - cached_sq_head, sq_entries)
            int tail = loadAcquire(rings, SQ_TAIL); // pairs with the application's release store of sq.tail
            entries = U32.min(tail - cachedSqHead, sqEntries);
        }
        // io_submit_sqes: nothing queued -> 0
        if (entries == 0) {
            return 0;
        }
        int ret = U32.min(nr, entries);
        submitLeft = ret;
        boolean submitAll = has(IORING_SETUP_SUBMIT_ALL);
        do {
            int sqeIndex = getSqe();
            // io_get_sqe: an invalid SQ array index stops the batch, even with SUBMIT_ALL
            if (sqeIndex < 0) {
                if (mDroppedSqeCounted) {
                    submitLeft--;
                }
                break;
            }
            Req req = allocReq();
            // io_submit_sqes: a failed standalone SQE stops the batch and is counted, unless SUBMIT_ALL
            if (submitSqe(req, sqeIndex) != 0 && !submitAll) {
                submitLeft--;
                break;
            }
        } while (--submitLeft != 0);
        if (submitLeft != 0) {
            ret -= submitLeft;
        }
        submitStateEnd();
        commitSqring();
        return ret;
    }

    /** {@code io_get_sqe}: the SQE index of the next ring position, or -1 for a dropped (invalid) array entry. */
    private int getSqe() {
        int position = cachedSqHead++ & (sqEntries - 1);
        int index = position;
        if ((flags & IORING_SETUP_NO_SQARRAY) == 0 && !mSqArrayIgnored) {
            index = readOnce(rings, sqArray + (long) position * Integer.BYTES);
            // io_get_sqe: array entry >= sq_entries -> sq_dropped++, the entry is consumed
            if (Integer.compareUnsigned(index, sqEntries) >= 0) {
                writeOnce(rings, RingGeometry.SQ_DROPPED, readOnce(rings, RingGeometry.SQ_DROPPED) + 1);
                return -1;
            }
        }
        return index;
    }

    /** {@code io_commit_sqring}: publishes the new head once, after the batch's CQEs. */
    private void commitSqring() {
        if (has(IORING_SETUP_SQ_REWIND)) {
            // io_commit_sqring (7.0+): SQ_REWIND restarts at SQE 0 and never writes sq.head
            cachedSqHead = 0;
            return;
        }
        storeRelease(rings, SQ_HEAD, cachedSqHead); // pairs with the application's loadAcquireHead
    }

    /** {@code io_submit_sqe}: init, then link assembly or queueing. Returns non-zero to stop the batch. */
    private int submitSqe(Req req, int sqeIndex) {
        int ret = initReq(req, sqeIndex);
        if (ret != 0) {
            return submitFailInit(req, ret);
        }
        if (linkHead != null) {
            linkLast.link = req;
            linkLast = req;
            if ((req.flags & REQ_F_LINK_FLAGS) != 0) {
                return 0;
            }
            // io_submit_sqe: the last request of the chain queues its head
            Req head = linkHead;
            linkHead = null;
            linkLast = null;
            if ((head.flags & (REQ_F_FORCE_ASYNC | REQ_F_FAIL)) != 0) {
                queueSqeFallback(head);
            } else {
                queueSqe(head);
            }
            return 0;
        }
        if ((req.flags & (REQ_F_LINK_FLAGS | REQ_F_FORCE_ASYNC | REQ_F_FAIL)) != 0) {
            if ((req.flags & REQ_F_LINK_FLAGS) != 0) {
                linkHead = req;
                linkLast = req;
            } else {
                queueSqeFallback(req);
            }
            return 0;
        }
        queueSqe(req);
        return 0;
    }

    /** {@code io_init_req}: the checks in the kernel's order; 0 or the request's {@code -errno}. */
    private int initReq(Req req, int sqeIndex) {
        // The SQE's first 64 bytes in one copy (one bounds and liveness check instead of one per field); each field
        // is still read once, as the kernel's READ_ONCEs do.
        long[] w = sqeWords;
        MemorySegment.copy(sqes, LONG, (long) sqeIndex << sqeShift, w, 0, SQE_WORDS);
        // The first word: opcode (byte 0), flags (byte 1), ioprio (bytes 2-3), fd (bytes 4-7).
        long word0 = w[0];
        int opcode = (int) word0 & 0xff;
        int sqeFlags = (int) (word0 >>> 8) & 0xff;
        req.opcode = opcode;
        req.flags = sqeFlags;
        req.userData = w[USER_DATA_WORD];
        // io_init_req: opcode >= IORING_OP_LAST -> -EINVAL (req->opcode reset to 0)
        if (opcode >= profile.opLast()) {
            req.opcode = 0;
            return mWrongErrnoInvalidOpcode ? -EOPNOTSUPP : -EINVAL;
        }
        // io_init_req (6.19+): a 128-byte opcode on a ring without SQE128 needs SQE_MIXED, both halves within
        // to_submit and not the last physical slot; it then takes two ring positions
        if (profile.sqeMixed() && is128(opcode) && !has(IORING_SETUP_SQE128) && !takeSecondHalf(sqeIndex)) {
            return -EINVAL;
        }
        boolean nop = opcode == IORING_OP_NOP || (profile.sqeMixed() && opcode == IORING_OP_NOP128);
        if ((sqeFlags & ~SQE_COMMON_FLAGS) != 0) {
            int ret = initUncommonFlags(req, opcode, sqeFlags, nop);
            if (ret != 0) {
                return ret;
            }
        }
        if (restricted || opRegistered || drainActive || drainNext) {
            int ret = initRestrictedOrDraining(req, opcode, sqeFlags);
            if (ret != 0) {
                return ret;
            }
        }
        if (!nop) {
            fire(Rules.OPCODE_NOT_MODELLED, opcode);
            throw notModelled(opcode);
        }
        // io_init_req: ioprio on an opcode without ioprio support (NOP) -> -EINVAL
        if ((short) (word0 >>> 16) != 0) {
            return -EINVAL;
        }
        // io_init_req: an unknown personality (bytes 42-43) -> -EINVAL (the model registers none)
        if ((short) (w[BUF_INDEX_WORD] >>> 16) != 0) {
            return -EINVAL;
        }
        return nopPrep(req, w);
    }

    /**
     * {@code io_init_req} (6.19+), a 128-byte opcode on a ring without SQE128: with SQE_MIXED, both halves within
     * to_submit and not the last physical slot, it takes the next ring position too; false otherwise.
     */
    private boolean takeSecondHalf(int sqeIndex) {
        if (!has(IORING_SETUP_SQE_MIXED) || Integer.compareUnsigned(submitLeft, 2) < 0 || sqeIndex >= sqEntries - 1) {
            return false;
        }
        cachedSqHead++;
        submitLeft--;
        return true;
    }

    /** {@code io_init_req}, the checks for SQE flags beyond the common ones (kept apart: the hot path has none). */
    private int initUncommonFlags(Req req, int opcode, int sqeFlags, boolean nop) {
        // io_init_req: unknown SQE flags -> -EINVAL
        if ((sqeFlags & ~profile.sqeFlags()) != 0) {
            return -EINVAL;
        }
        // io_init_req: IOSQE_BUFFER_SELECT on an opcode without buffer_select -> -EOPNOTSUPP
        if ((sqeFlags & IOSQE_BUFFER_SELECT) != 0) {
            if (!nop) {
                fire(Rules.OPCODE_NOT_MODELLED, opcode);
                throw notModelled(opcode);
            }
            return -EOPNOTSUPP;
        }
        // io_init_req: CQE_SKIP_SUCCESS disables drain for good, before the drain check
        if ((sqeFlags & IOSQE_CQE_SKIP_SUCCESS) != 0) {
            drainDisabled = true;
        }
        if ((sqeFlags & IOSQE_IO_DRAIN) != 0) {
            // io_init_req: IOSQE_IO_DRAIN after any CQE_SKIP_SUCCESS -> -EOPNOTSUPP
            if (drainDisabled && !mDrainNotRefusedAfterSkip) {
                return -EOPNOTSUPP;
            }
            initDrain(req);
        }
        return 0;
    }

    /** {@code io_init_req}, the slow block for restricted rings and while draining. */
    private int initRestrictedOrDraining(Req req, int opcode, int sqeFlags) {
        // io_init_req: io_check_restriction -> -EACCES
        if ((restricted || opRegistered) && !checkRestriction(opcode, sqeFlags)) {
            return -EACCES;
        }
        // io_init_req: while draining every request takes the slow (deferred) path
        if (drainActive) {
            req.flags |= REQ_F_FORCE_ASYNC;
        }
        // io_init_req: the request after a chain with a drain member drains itself
        if (drainNext && linkHead == null) {
            drainNext = false;
            drainActive = true;
            req.flags |= IOSQE_IO_DRAIN | REQ_F_FORCE_ASYNC;
        }
        return 0;
    }

    private boolean is128(int opcode) {
        return opcode == IORING_OP_NOP128 || opcode == IORING_OP_URING_CMD128;
    }

    private static UnsupportedOperationException notModelled(int opcode) {
        return new UnsupportedOperationException("opcode " + opcode + " is valid but not modelled: the model "
                + "executes NOP (and NOP128) only; generators must not send other opcodes past io_init_req's "
                + "generic checks");
    }

    /** {@code io_init_drain}. */
    private void initDrain(Req req) {
        fire(Rules.INIT_DRAIN, req.userData);
        drainActive = true;
        if (linkHead != null) {
            linkHead.flags |= IOSQE_IO_DRAIN | REQ_F_FORCE_ASYNC;
            drainNext = true;
        }
    }

    /** {@code io_check_restriction}. */
    private boolean checkRestriction(int opcode, int sqeFlags) {
        if ((sqeOpAllowed[opcode >>> 6] & (1L << (opcode & 63))) == 0) {
            return false;
        }
        if ((sqeFlags & sqeFlagsRequired) != sqeFlagsRequired) {
            return false;
        }
        return (sqeFlags & ~(sqeFlagsAllowed | sqeFlagsRequired)) == 0;
    }

    /** {@code io_nop_prep}, on the SQE words {@link #initReq} copied. */
    private int nopPrep(Req req, long[] w) {
        // The word at 24: len (bytes 24-27) and nop_flags (bytes 28-31).
        long word24 = w[LEN_WORD];
        int nopFlags = (int) (word24 >>> 32);
        // io_nop_prep: unknown nop_flags bits -> -EINVAL
        if ((nopFlags & ~NOP_FLAGS) != 0) {
            return -EINVAL;
        }
        req.nopFlags = nopFlags;
        // io_nop_prep: len is the result only with INJECT_RESULT
        req.nopResult = (nopFlags & NOP_INJECT_RESULT) != 0 ? (int) word24 : 0;
        req.nopFd = (nopFlags & NOP_FILE) != 0 ? (int) (w[0] >>> 32) : -1;
        if ((nopFlags & NOP_FIXED_BUFFER) != 0) {
            req.bufIndex = (int) w[BUF_INDEX_WORD] & 0xffff;
        }
        if ((nopFlags & NOP_CQE32) != 0) {
            // io_nop_prep: NOP_CQE32 needs a CQE32 or CQE_MIXED ring -> -EINVAL
            if ((flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) == 0) {
                return -EINVAL;
            }
            req.extra1 = w[OFF_WORD];
            req.extra2 = w[ADDR_WORD];
        }
        return 0;
    }

    /** {@code req_set_fail}: a failing CQE_SKIP_SUCCESS request posts its CQE and silences its chain. */
    private void reqSetFail(Req req) {
        req.flags |= REQ_F_FAIL;
        if ((req.flags & IOSQE_CQE_SKIP_SUCCESS) != 0 && !mSkipSuccessIgnoredOnFailure) {
            req.flags &= ~IOSQE_CQE_SKIP_SUCCESS;
            req.flags |= REQ_F_SKIP_LINK_CQES;
        }
    }

    /** {@code req_fail_link_node}. */
    private void reqFailLinkNode(Req req, int res) {
        reqSetFail(req);
        req.res = res;
        req.cqeFlags = 0;
        req.big = false;
    }

    /** {@code io_submit_fail_init}: the CQE of an init failure and the link logic around it. */
    private int submitFailInit(Req req, int ret) {
        Req head = linkHead;
        reqFailLinkNode(req, ret);
        // io_submit_fail_init: the chain's head fails with -ECANCELED, so no member runs
        if (head != null && (head.flags & REQ_F_FAIL) == 0
                && !mChainNotCancelledOnPrepFailure) {
            reqFailLinkNode(head, -ECANCELED);
        }
        if ((req.flags & REQ_F_LINK_FLAGS) == 0) {
            Req queued = req;
            if (head != null) {
                linkLast.link = req;
                linkHead = null;
                linkLast = null;
                queued = head;
            }
            queueSqeFallback(queued);
            return ret;
        }
        if (head != null) {
            linkLast.link = req;
        } else {
            linkHead = req;
        }
        linkLast = req;
        return 0;
    }

    /** {@code io_queue_sqe}: issue inline. */
    private void queueSqe(Req req) {
        issue(req);
    }

    /** {@code io_queue_sqe_fallback}: failed chains, drain, and forced-async requests. */
    private void queueSqeFallback(Req req) {
        if ((req.flags & REQ_F_FAIL) != 0) {
            // io_queue_sqe_fallback: a failed head completes as a plain link so io_fail_links cancels the rest
            req.flags &= ~IOSQE_IO_HARDLINK;
            req.flags |= IOSQE_IO_LINK;
            reqDeferFailed(req, req.res);
        } else if (drainActive) {
            drainReq(req);
        } else {
            // io_queue_iowq: io-wq runs it; the model completes it through task work (see ModelIoUring)
            fire(Rules.IO_QUEUE_IOWQ, req.userData);
            addTaskWork(req, TW_ISSUE);
        }
    }

    /** {@code io_req_defer_failed}. */
    private void reqDeferFailed(Req req, int res) {
        reqSetFail(req);
        req.res = res;
        req.cqeFlags = 0;
        req.big = false;
        completeDefer(req);
    }

    /** {@code io_drain_req}. */
    private void drainReq(Req req) {
        boolean drain = (req.flags & IOSQE_IO_DRAIN) != 0;
        int linked = 0;
        for (Req r = req; r != null; r = r.link) {
            linked++;
        }
        nrDrained += linked;
        if (deferredCount == deferred.length) {
            deferred = grow(deferred, deferredHead, deferredCount);
            deferredHead = 0;
        }
        deferred[(deferredHead + deferredCount++) & (deferred.length - 1)] = req;
        queueDeferred();
        if (!drain && deferredCount == 0) {
            drainActive = false;
        }
    }

    /** {@code io_queue_deferred}: dispatch deferred requests once everything before a drain has been freed. */
    private void queueDeferred() {
        boolean drainSeen = false;
        boolean first = true;
        while (deferredCount != 0) {
            Req req = deferred[deferredHead];
            drainSeen |= (req.flags & IOSQE_IO_DRAIN) != 0;
            if ((drainSeen || first) && nrReqAllocated != nrDrained) {
                return;
            }
            deferred[deferredHead] = null;
            deferredHead = (deferredHead + 1) & (deferred.length - 1);
            deferredCount--;
            for (Req r = req; r != null; r = r.link) {
                nrDrained--;
            }
            addTaskWork(req, TW_ISSUE);
            first = false;
        }
    }

    /** {@code io_issue_sqe} of a NOP ({@code io_nop}). */
    private void issue(Req req) {
        int nopFlags = req.nopFlags;
        int ret = req.nopResult;
        boolean fileFailed = false;
        if ((nopFlags & NOP_FILE) != 0) {
            boolean found;
            if ((nopFlags & NOP_FIXED_FILE) == 0 && (req.flags & IOSQE_FIXED_FILE) != 0) {
                fire(Rules.NOP_FILE_FIXED_FLAG_MISMATCH, req.userData);
            }
            if ((nopFlags & NOP_FIXED_FILE) != 0) {
                // io_file_get_fixed: out of range or empty slot -> no file
                found = files != null && Integer.compareUnsigned(req.nopFd, files.length) < 0
                        && files[req.nopFd] >= 0;
            } else {
                // io_file_get_normal: the process's descriptor table (FdTable)
                found = kernel.fdTable().isOpen(req.nopFd);
            }
            // io_nop: no file -> -EBADF, which overrides an injected result (6.18+)
            if (!found) {
                ret = -EBADF;
                fileFailed = true;
            }
        }
        // io_nop: NOP_FIXED_BUFFER and io_find_buf_node finds nothing -> -EFAULT
        if (!fileFailed && (nopFlags & NOP_FIXED_BUFFER) != 0
                && (buffers == null || req.bufIndex >= buffers.length || !buffers[req.bufIndex])) {
            ret = -EFAULT;
        }
        if (ret < 0) {
            reqSetFail(req);
        }
        req.res = ret;
        req.cqeFlags = 0;
        if ((nopFlags & NOP_CQE32) != 0) {
            // io_req_set_res32: big_cqe = {off, addr}; F_32 only on a CQE_MIXED ring
            req.big = true;
            req.big0 = req.extra1;
            req.big1 = req.extra2;
            if (has(IORING_SETUP_CQE_MIXED)) {
                req.cqeFlags = IORING_CQE_F_32;
            }
        }
        if ((nopFlags & NOP_TW) != 0) {
            // io_nop: NOP_TW completes through task work
            addTaskWork(req, TW_COMPLETE);
            return;
        }
        completeDefer(req);
    }

    /** {@code io_req_complete_defer}: into the batch's completions, posted at the next flush. */
    private void completeDefer(Req req) {
        if (complCount == compl.length) {
            Req[] bigger = new Req[compl.length * 2];
            System.arraycopy(compl, 0, bigger, 0, complCount);
            compl = bigger;
        }
        compl[complCount++] = req;
    }

    /** {@code io_submit_state_end}: queue a dangling chain, then flush the batch's completions. */
    private void submitStateEnd() {
        if (linkHead != null) {
            // io_submit_state_end: a dangling link runs (async), neither cancelled nor joined to the next batch
            Req head = linkHead;
            linkHead = null;
            linkLast = null;
            if ((head.flags & REQ_F_FAIL) == 0) {
                fire(Rules.SUBMIT_STATE_END_DANGLING_LINK, head.userData);
            }
            queueSqeFallback(head);
        }
        submitFlushCompletions();
    }

    /**
     * {@code __io_submit_flush_completions}: post the CQEs of the batch in order, commit the tail, free the
     * requests (queueing successors) and dispatch deferred requests.
     */
    void submitFlushCompletions() {
        if (complCount == 0) {
            return;
        }
        for (int i = 0; i < complCount; i++) {
            Req req = compl[i];
            if ((req.flags & IOSQE_CQE_SKIP_SUCCESS) == 0) {
                fillCqeReq(req);
            }
        }
        commitCqring();
        int n = complCount;
        complCount = 0;
        for (int i = 0; i < n; i++) {
            Req req = compl[i];
            compl[i] = null;
            // io_free_batch_list: a linked request queues its successor (or fails the chain)
            if ((req.flags & REQ_F_LINK_FLAGS) != 0) {
                queueNext(req);
            }
            freeReq(req);
        }
        if (drainActive) {
            queueDeferred();
        }
    }

    /** {@code io_queue_next} with {@code io_req_find_next} and {@code io_disarm_next}. */
    private void queueNext(Req req) {
        // io_disarm_next: a failed request that is not a hardlink cancels the rest of its chain
        if ((req.flags & REQ_F_FAIL) != 0 && (req.flags & IOSQE_IO_HARDLINK) == 0) {
            failLinks(req);
        }
        Req next = req.link;
        req.link = null;
        if (next != null) {
            addTaskWork(next, TW_ISSUE);
        }
    }

    /** {@code io_fail_links}: the two skip rules, then the cancellation runs as task work. */
    private void failLinks(Req req) {
        Req link = req.link;
        if (link == null) {
            return;
        }
        boolean ignoreCqes = (req.flags & REQ_F_SKIP_LINK_CQES) != 0;
        for (Req r = link; r != null; r = r.link) {
            if (ignoreCqes) {
                r.flags |= IOSQE_CQE_SKIP_SUCCESS;
            } else {
                r.flags &= ~IOSQE_CQE_SKIP_SUCCESS;
            }
        }
        req.link = null;
        addTaskWork(link, TW_FAIL_LINKS);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Task work

    /** {@code io_req_task_work_add}: queue, and raise IORING_SQ_TASKRUN on a TASKRUN_FLAG ring. */
    private void addTaskWork(Req req, int action) {
        req.twAction = action;
        if (twCount == tw.length) {
            tw = grow(tw, twHead, twCount);
            twHead = 0;
        }
        tw[(twHead + twCount++) & (tw.length - 1)] = req;
        if (has(IORING_SETUP_TASKRUN_FLAG)) {
            orSqFlags(IORING_SQ_TASKRUN);
        }
    }

    boolean taskWorkPending() {
        return twCount != 0;
    }

    /** Runs the task work queued right now (one pass); returns how many items ran. */
    private int runTaskWorkPass() {
        int n = twCount;
        for (int i = 0; i < n; i++) {
            runTaskWorkItem();
        }
        return n;
    }

    /**
     * {@code __io_run_local_work_loop}: runs items from the front of the queue, at most {@code available} of them,
     * stopping once {@code events} have run; like the kernel's loop it runs one before it first compares, so an
     * {@code events} of 0 or less still runs one. Returns how many ran.
     */
    private int runTaskWorkItems(int available, int events) {
        int ran = 0;
        while (available-- > 0) {
            runTaskWorkItem();
            if (++ran >= events) {
                break;
            }
        }
        return ran;
    }

    /** Runs the item at the front of the task work queue. */
    private void runTaskWorkItem() {
        Req req = tw[twHead];
        tw[twHead] = null;
        twHead = (twHead + 1) & (tw.length - 1);
        twCount--;
        int action = req.twAction;
        req.twAction = 0;
        switch (action) {
            case TW_ISSUE -> {
                // io_req_task_submit
                if ((req.flags & REQ_F_FAIL) != 0) {
                    reqDeferFailed(req, req.res);
                } else {
                    if ((req.flags & REQ_F_FORCE_ASYNC) != 0) {
                        // io_req_task_submit: a forced-async request goes to io-wq; the model's io-wq runs it now
                        fire(Rules.IO_QUEUE_IOWQ, req.userData);
                    }
                    issue(req);
                }
            }
            case TW_COMPLETE -> completeDefer(req);
            case TW_FAIL_LINKS -> {
                // io_req_tw_fail_links: each member gets -ECANCELED, or its own error if it had failed
                Req link = req;
                while (link != null) {
                    Req next = link.link;
                    int res = mCancelWithWrongErrno ? -EINTR : -ECANCELED;
                    if ((link.flags & REQ_F_FAIL) != 0) {
                        res = link.res;
                    }
                    link.link = null;
                    link.res = res;
                    link.cqeFlags = 0;
                    link.big = false;
                    completeDefer(link);
                    link = next;
                }
            }
            default -> throw new IllegalStateException("request queued as task work without an action");
        }
    }

    /**
     * The task's task work on a ring without DEFER_TASKRUN ({@code tctx_task_work_run}): everything, pass after
     * pass, before the syscall returns to user space; {@code ctx_flush_and_put} clears IORING_SQ_TASKRUN.
     */
    void runNormalTaskWork() {
        while (twCount != 0) {
            runTaskWorkPass();
            if (has(IORING_SETUP_TASKRUN_FLAG)) {
                andNotSqFlags(IORING_SQ_TASKRUN);
            }
            submitFlushCompletions();
        }
    }

    /**
     * {@code io_run_local_work(ctx, min_events, max(IO_LOCAL_TW_DEFAULT_MAX, min_events))}, as the enter path and
     * the start of a wait call it.
     */
    void runLocalWork(int minEvents) {
        runLocalWork(minEvents, Math.max(LOCAL_TW_DEFAULT_MAX, minEvents));
    }

    /**
     * {@code __io_run_local_work} on a DEFER_TASKRUN ring: clears IORING_SQ_TASKRUN; each pass runs first what an
     * earlier run left over (the retry list), then the work queued since, at most {@code maxEvents} items a pass,
     * leaving the rest for later; it flushes, and makes another pass only while the pass ran fewer than
     * {@code minEvents} ({@code io_run_local_work_continue}); work left over raises IORING_SQ_TASKRUN again.
     */
    void runLocalWork(int minEvents, int maxEvents) {
        if (twCount == 0) {
            return; // the callers check io_local_work_pending first
        }
        if (mLocalTaskWorkUncapped) {
            maxEvents = Integer.MAX_VALUE;
        }
        if (has(IORING_SETUP_TASKRUN_FLAG)) {
            andNotSqFlags(IORING_SQ_TASKRUN);
        }
        int ret = 0;
        while (true) {
            minEvents -= ret;
            // the retry list: what earlier runs left, at the front of the queue
            ret = runTaskWorkItems(twRetry, maxEvents);
            twRetry -= ret;
            if (twRetry == 0) {
                // the work list, all of it taken at once (it includes what the retry items just queued); what
                // this pass does not run becomes the retry list
                int work = twCount;
                int ran = runTaskWorkItems(work, maxEvents - ret);
                ret += ran;
                twRetry = work - ran;
                if (localWorkContinues(ret, minEvents)) {
                    continue;
                }
            }
            submitFlushCompletions();
            if (localWorkContinues(ret, minEvents)) {
                continue;
            }
            return;
        }
    }

    /** {@code io_run_local_work_continue}: another pass while work is left and too few ran; else mark it. */
    private boolean localWorkContinues(int events, int minEvents) {
        if (twCount == 0) {
            return false;
        }
        if (events < minEvents) {
            return true;
        }
        if (has(IORING_SETUP_TASKRUN_FLAG)) {
            orSqFlags(IORING_SQ_TASKRUN);
        }
        return false;
    }

    /** Task work of the calling task, the way the syscall return path runs it. */
    void runTaskWorkOnReturn() {
        if (!has(IORING_SETUP_DEFER_TASKRUN)) {
            runNormalTaskWork();
        }
    }

    private void orSqFlags(int bits) {
        writeOnce(rings, RingGeometry.SQ_FLAGS, readOnce(rings, RingGeometry.SQ_FLAGS) | bits);
    }

    private void andNotSqFlags(int bits) {
        writeOnce(rings, RingGeometry.SQ_FLAGS, readOnce(rings, RingGeometry.SQ_FLAGS) & ~bits);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Completion

    /** {@code io_fill_cqe_req}, or {@code io_req_cqe_overflow} when there is no slot. */
    private void fillCqeReq(Req req) {
        boolean mixedBig = req.big && (req.cqeFlags & IORING_CQE_F_32) != 0;
        int slot = getCqe(false, mixedBig);
        if (slot < 0) {
            addOverflow(req.userData, req.res, req.cqeFlags, req.big ? req.big0 : 0, req.big ? req.big1 : 0);
            return;
        }
        writeCqe(slot, req.userData, req.res, req.cqeFlags, req.big0, req.big1, req.big);
    }

    private void writeCqe(int slot, long userData, int res, int cqeFlags, long big0, long big1, boolean big) {
        long at = RingGeometry.CQES + (long) slot * cqeSizeBytes;
        MemorySegment r = rings;
        r.set(LONG, at, userData);
        // res (bytes 8-11) and flags (bytes 12-15) in one little-endian word
        r.set(LONG, at + 8, Integer.toUnsignedLong(res) | (long) cqeFlags << 32);
        if (cqeSizeBytes == 32 || big) {
            r.set(LONG, at + 16, big ? big0 : 0);
            r.set(LONG, at + 24, big ? big1 : 0);
        }
    }

    /**
     * {@code io_get_cqe_overflow}: the slot for the next CQE from the cached range, refilled when too short;
     * -1 if there is none. A 32-byte CQE on a CQE_MIXED ring takes two slots and the tail moves by two.
     */
    private int getCqe(boolean overflow, boolean mixedBig) {
        int need = mixedBig ? 2 : 1;
        if (staleRange && staleSentinel - staleCached >= need) {
            // Linux 6.18 takes this CQE's slot from its stale range, without a refill and whatever the overflow
            // list holds; if that is not where these semantics put the CQE, it departs from here on.
            int kernelSlot = staleCached;
            int slot = getCqeSlot(overflow, mixedBig, need);
            if (slot != kernelSlot) {
                kernelUsesStaleCqeCache = true;
                fire(Rules.STALE_CQE_CACHE_6_18, kernelSlot);
            }
            staleRange = false;
            return slot;
        }
        return getCqeSlot(overflow, mixedBig, need);
    }

    private int getCqeSlot(boolean overflow, boolean mixedBig, int need) {
        if (cqeSentinel - cqeCached < need && !cqeCacheRefill(overflow, mixedBig)) {
            return -1;
        }
        int slot = cqeCached;
        cachedCqTail++;
        cqeCached++;
        if (mixedBig) {
            cqeCached++;
            if (!mCqe32AdvancesTailByOne) {
                cachedCqTail++;
            }
        }
        return slot;
    }

    /** {@code io_cqe_cache_refill}. */
    private boolean cqeCacheRefill(boolean overflow, boolean mixedBig) {
        int off = cachedCqTail & (cqEntries - 1);
        // io_cqe_cache_refill: while the overflow list is non-empty every new CQE goes to it
        if (!overflow && checkOverflow) {
            return false;
        }
        // io_cqe_cache_refill: a 32-byte CQE never starts in the last slot; a skip CQE fills it
        if (mixedBig && off + 1 == cqEntries && !mNoSkipFiller) {
            if (!fillNopCqe(off)) {
                return false;
            }
            off = 0;
        }
        // io_cqe_cache_refill: queued = min(cached_cq_tail - cq.head, cq_entries); a contiguous range
        int queued = U32.min(cachedCqTail - readOnce(rings, CQ_HEAD), cqEntries);
        int free = cqEntries - queued;
        int len = Math.min(free, cqEntries - off);
        if (len < (mixedBig ? 2 : 1)) {
            // Intended semantics: a failed refill leaves no cached range, so the next CQE is not written through
            // a stale one (over the skip CQE just written, past a full ring) but queues behind the overflow list.
            // Linux 6.18 keeps the stale range: divergence catalogue entry cqe-stale-cache-jumps-overflow-list.
            if (!staleRange && cqeSentinel != cqeCached) {
                staleRange = true;
                staleCached = cqeCached;
                staleSentinel = cqeSentinel;
            }
            cqeCached = cqeSentinel;
            return false;
        }
        cqeCached = off;
        cqeSentinel = off + len;
        staleRange = false; // the kernel refilled too: its range is this one again
        return true;
    }

    /** {@code io_fill_nop_cqe}: the skip CQE, if the ring is not completely full. */
    private boolean fillNopCqe(int off) {
        if (Integer.compareUnsigned(cachedCqTail - readOnce(rings, CQ_HEAD), cqEntries) >= 0) {
            return false;
        }
        if (mSkipFillerWrongFields) {
            writeCqe(off, 0xdeadL, -1, 0, 0, 0, false);
        } else {
            writeCqe(off, 0, 0, IORING_CQE_F_SKIP, 0, 0, false);
        }
        cachedCqTail++;
        return true;
    }

    /** {@code io_commit_cqring}: publish the tail. */
    void commitCqring() {
        storeRelease(rings, CQ_TAIL, cachedCqTail); // pairs with the application's loadAcquireTail
    }

    /** {@code io_cqring_add_overflow}: append; the first entry raises IORING_SQ_CQ_OVERFLOW. */
    private void addOverflow(long userData, int res, int cqeFlags, long big0, long big1) {
        if (ovCount == ovUserData.length) {
            growOverflow();
        }
        if (ovCount == 0) {
            checkOverflow = true;
            if (!mOverflowFlagNeverSet) {
                orSqFlags(IORING_SQ_CQ_OVERFLOW);
            }
        }
        int i = (ovHead + ovCount++) & (ovUserData.length - 1);
        ovUserData[i] = userData;
        ovRes[i] = res;
        ovFlags[i] = cqeFlags;
        ovBig0[i] = big0;
        ovBig1[i] = big1;
    }

    /**
     * {@code __io_cqring_overflow_flush}: nothing if the CQ is full; otherwise move entries in order while they
     * fit (inserting skip CQEs at the wrap), clear the flag when the list is empty, and commit.
     */
    void overflowFlush() {
        if (!checkOverflow) {
            return;
        }
        if (cachedCqTail - readOnce(rings, CQ_HEAD) == cqEntries) {
            return;
        }
        boolean wholeBig = cqeSizeBytes == 32;
        while (ovCount != 0) {
            int i = ovHead;
            boolean mixedBig = (ovFlags[i] & IORING_CQE_F_32) != 0 && has(IORING_SETUP_CQE_MIXED);
            int slot = getCqe(true, mixedBig);
            if (slot < 0) {
                break;
            }
            writeCqe(slot, ovUserData[i], ovRes[i], ovFlags[i], ovBig0[i], ovBig1[i], mixedBig || wholeBig);
            ovHead = (ovHead + 1) & (ovUserData.length - 1);
            ovCount--;
            if (chooser != Chooser.DEFAULT
                    && chooser.choose(Choice.OVERFLOW_FLUSH_RESCHEDULES, fd) == RESCHEDULE) {
                // __io_cqring_overflow_flush: need_resched(): empty the cached range, post what is there
                cqeSentinel = cqeCached;
                staleRange = false;
                commitCqring();
            }
        }
        if (ovCount == 0) {
            checkOverflow = false;
            if (!mOverflowFlagNotCleared) {
                andNotSqFlags(IORING_SQ_CQ_OVERFLOW);
            }
        }
        commitCqring();
    }

    private void growOverflow() {
        int n = ovUserData.length;
        long[] ud = new long[n * 2];
        int[] res = new int[n * 2];
        int[] fl = new int[n * 2];
        long[] b0 = new long[n * 2];
        long[] b1 = new long[n * 2];
        for (int k = 0; k < ovCount; k++) {
            int i = (ovHead + k) & (n - 1);
            ud[k] = ovUserData[i];
            res[k] = ovRes[i];
            fl[k] = ovFlags[i];
            b0[k] = ovBig0[i];
            b1[k] = ovBig1[i];
        }
        ovUserData = ud;
        ovRes = res;
        ovFlags = fl;
        ovBig0 = b0;
        ovBig1 = b1;
        ovHead = 0;
    }

    /** {@code __io_cqring_events_user}: what the application can see, {@code cq.tail - cq.head}. */
    int userEvents() {
        return readOnce(rings, CQ_TAIL) - readOnce(rings, CQ_HEAD);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Waiting

    /**
     * {@code io_cqring_wait} after its argument checks. Returns 0 when {@code minEvents} CQEs are visible; when they
     * never can be (see {@link ModelIoUring#enter}), -ETIME or 0 with a timeout, -EINTR without.
     */
    int cqringWait(int minEvents, boolean timeoutGiven) {
        lastWaitWouldBlock = false;
        // io_cqring_wait: io_run_local_work, io_run_task_work, overflow flush, then the check
        if (has(IORING_SETUP_DEFER_TASKRUN)) {
            runLocalWork(minEvents);
        } else {
            runNormalTaskWork();
        }
        overflowFlush();
        if (Integer.compareUnsigned(userEvents(), minEvents) >= 0) {
            return 0;
        }
        // The wait loop: each wake-up runs task work and flushes the overflow list; the model repeats it for as
        // long as that makes progress.
        while (true) {
            int before = userEvents();
            boolean hadWork = twCount != 0;
            int missing = minEvents - before;
            if (has(IORING_SETUP_DEFER_TASKRUN)) {
                // io_cqring_wait's loop: io_run_local_work(ctx, nr_wait, nr_wait)
                runLocalWork(missing, missing);
            } else {
                runNormalTaskWork();
            }
            overflowFlush();
            if (Integer.compareUnsigned(userEvents(), minEvents) >= 0) {
                return 0;
            }
            if (!hadWork && userEvents() == before) {
                break;
            }
        }
        lastWaitWouldBlock = true;
        fire(Rules.CQRING_WAIT_WOULD_BLOCK, Integer.toUnsignedLong(minEvents - userEvents()));
        if (timeoutGiven) {
            // io_cqring_wait: a timeout gives -ETIME only if the CQ is empty at the end
            return readOnce(rings, CQ_HEAD) == readOnce(rings, CQ_TAIL) ? -ETIME : 0;
        }
        return -EINTR;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Requests

    private Req allocReq() {
        nrReqAllocated++;
        if (poolCount == 0) {
            return new Req();
        }
        Req req = pool[--poolCount];
        pool[poolCount] = null;
        return req;
    }

    private void freeReq(Req req) {
        nrReqAllocated--;
        req.reset();
        if (poolCount == pool.length) {
            Req[] bigger = new Req[pool.length * 2];
            System.arraycopy(pool, 0, bigger, 0, poolCount);
            pool = bigger;
        }
        pool[poolCount++] = req;
    }

    private static Req[] grow(Req[] ring, int head, int count) {
        Req[] bigger = new Req[ring.length * 2];
        for (int k = 0; k < count; k++) {
            bigger[k] = ring[(head + k) & (ring.length - 1)];
        }
        return bigger;
    }

    /** The CQE cache is stale after the regions change ({@code ctx->cqe_cached = ctx->cqe_sentinel = NULL}). */
    void invalidateCqeCache() {
        cqeCached = 0;
        cqeSentinel = 0;
        staleRange = false;
    }

    boolean singleIssuer() {
        return has(IORING_SETUP_SINGLE_ISSUER);
    }
}
