package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.U32;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The CQ side of {@code struct io_ring_ctx}: {@code cached_cq_tail} and the CQE cache ({@code cqe_cached},
 * {@code cqe_sentinel}, here as slot indexes), with {@code io_get_cqe_overflow}, {@code io_cqe_cache_refill},
 * {@code io_fill_nop_cqe} (the skip CQE of a CQE_MIXED ring) and {@code io_commit_cqring} (io_uring/io_uring.c,
 * ring-semantics.md A2). Writes CQE bodies; whoever asks for a slot decides what goes in it.
 *
 * <p>Also remembers where Linux 6.18 departs from these semantics: after a failed refill that kernel keeps its
 * cached range instead of emptying it and writes later CQEs through it. The model empties its own range but keeps
 * the kernel's, and reports {@link Rules#STALE_CQE_CACHE_6_18} when 6.18 would put a CQE elsewhere (divergence
 * catalogue entry cqe-stale-cache-jumps-overflow-list).
 */
final class CqeCache {
    // CQEs sit at fixed offsets in page-aligned regions; the unaligned layout spares the JIT an alignment check on
    // every access of the hot path (the instructions are the same on x86-64 and arm64).
    private static final ValueLayout.OfLong LONG = JAVA_LONG_UNALIGNED;

    private final RuleSink rules;
    private final boolean mCqe32AdvancesTailByOne;
    private final boolean mNoSkipFiller;
    private final boolean mSkipFillerWrongFields;

    private MemorySegment rings;
    private int cqEntries;
    private int cqeSizeBytes;

    /** {@code ctx->cached_cq_tail}: never read back from the shared ring. */
    private int cachedCqTail;
    private int cqeCached;
    private int cqeSentinel;
    private boolean staleRange;
    private int staleCached;
    private int staleSentinel;
    /** Whether a CQE was posted where Linux 6.18 would have written it through its stale cached range. */
    private boolean kernelUsesStaleCqeCache;
    /** {@code ctx->check_cq & IO_CHECK_CQ_OVERFLOW_BIT}: the overflow list holds entries ({@link OverflowList}). */
    private boolean checkCqOverflow;
    private final boolean queuedSigned;
    /** {@code io_commit_cqring_flush}'s drain part on kernels that drain by sequence, or null. */
    private Runnable commitFlush;
    /** An injected fault: when it answers true, the CQE being posted finds no slot (see getCqe); null for none. */
    private BooleanSupplier overflowFault;
    /**
     * What opcodes asked to run after each commit ({@link IssueContext#onCommit}), in the kernel's order of their
     * parts ({@link IssueContext.CommitFlush}), not the order they were added in.
     */
    private Runnable[] commitHooks = new Runnable[0];
    private IssueContext.CommitFlush[] commitParts = new IssueContext.CommitFlush[0];
    private final RingLayout layout;

    CqeCache(KernelProfile profile, RuleSink rules, Set<Mutant> mutants) {
        this.rules = rules;
        this.queuedSigned = profile.cqQueuedSigned();
        this.layout = profile.ringLayout();
        this.mCqe32AdvancesTailByOne = mutants.contains(Mutant.CQE32_ADVANCES_TAIL_BY_ONE);
        this.mNoSkipFiller = mutants.contains(Mutant.NO_SKIP_FILLER);
        this.mSkipFillerWrongFields = mutants.contains(Mutant.SKIP_FILLER_WRONG_FIELDS);
    }

    /** What runs after each commit of the CQ tail ({@code io_commit_cqring_flush}), for a drain by sequence. */
    void onCommit(Runnable flush) {
        this.commitFlush = flush;
    }

    /** The regions changed (setup, resize): the cache is stale ({@code ctx->cqe_cached = ctx->cqe_sentinel = NULL}). */
    void remap(Regions regions) {
        this.rings = regions.rings();
        this.cqEntries = regions.cqEntries();
        this.cqeSizeBytes = regions.cqeSizeBytes();
        invalidate();
    }

    void invalidate() {
        cqeCached = 0;
        cqeSentinel = 0;
        staleRange = false;
    }

    int cqEntries() {
        return cqEntries;
    }

    int cqeSizeBytes() {
        return cqeSizeBytes;
    }

    int cachedCqTail() {
        return cachedCqTail;
    }

    /** {@code READ_ONCE(rings->cq_flags)}: the application owns the word. */
    int cqFlags() {
        return readOnce(rings, layout.cqFlags());
    }

    /** {@code IO_CHECK_CQ_OVERFLOW_BIT}, set and cleared by the {@link OverflowList} as it fills and empties. */
    boolean checkCqOverflow() {
        return checkCqOverflow;
    }

    void checkCqOverflow(boolean overflowPending) {
        this.checkCqOverflow = overflowPending;
    }

    boolean kernelUsesStaleCqeCache() {
        return kernelUsesStaleCqeCache;
    }

    /** The test hook of {@link ModelIoUring#startCountersAt}. */
    void startAt(int counter) {
        cachedCqTail = counter;
        invalidate();
    }

    /** {@code __io_cqring_events}: CQEs posted and not yet consumed, by the kernel's own tail. */
    int queued() {
        return cachedCqTail - readOnce(rings, layout.cqHead());
    }

    /**
     * {@code io_cqring_queued}: the CQEs the kernel counts as taking room, at most {@code cq_entries}. A head moved
     * past the kernel's tail makes the u32 difference huge, a full CQ; from 7.1 (io_uring.c, {@code
     * io_cqring_queued}: a signed difference below 0 counts 0) an empty one.
     */
    private int queuedClamped() {
        int queued = queued();
        if (queuedSigned && queued < 0) {
            return 0;
        }
        return U32.min(queued, cqEntries);
    }

    /** The CQEs that fit in the ring now ({@code io_cqe_cache_refill}'s {@code free}). */
    int room() {
        return cqEntries - queuedClamped();
    }

    /**
     * Whether {@code io_get_cqe} would find no slot for a 16-byte CQE now: the cached range is spent and the refill
     * refuses, behind the overflow list or on a full ring ({@link #cqeCacheRefill}); it changes nothing.
     */
    boolean fillRefused() {
        return cqeSentinel - cqeCached < 1 && (checkCqOverflow || room() < 1);
    }

    /** {@code __io_cqring_events_user}: what the application can see, {@code cq.tail - cq.head}. */
    int userEvents() {
        return readOnce(rings, layout.cqTail()) - readOnce(rings, layout.cqHead());
    }

    boolean userRingEmpty() {
        return readOnce(rings, layout.cqHead()) == readOnce(rings, layout.cqTail());
    }

    /**
     * {@code io_get_cqe_overflow}: the slot for the next CQE from the cached range, refilled when too short; -1 if
     * there is none. {@code fromOverflow}: the CQE comes from the overflow list (a flush), so the list being
     * non-empty does not stop the refill. A 32-byte CQE on a CQE_MIXED ring takes two slots and the tail moves by
     * two.
     */
    int getCqe(boolean fromOverflow, boolean mixedBig) {
        if (overflowFault != null && !fromOverflow && overflowFault.getAsBoolean()) {
            // an injected fault (ModelIoUring#withCqOverflowFault): this CQE finds no slot, as on a full ring, whose
            // cached range is empty too, so the CQEs after it need a refill, which the overflow list then refuses
            rules.fire(Rules.INJECTED_CQ_OVERFLOW, 0);
            cqeSentinel = cqeCached;
            return -1;
        }
        int need = mixedBig ? 2 : 1;
        if (staleRange && staleSentinel - staleCached >= need) {
            // Linux 6.18 takes this CQE's slot from its stale range, without a refill and whatever the overflow
            // list holds; if that is not where these semantics put the CQE, it departs from here on.
            int kernelSlot = staleCached;
            int slot = getCqeSlot(fromOverflow, mixedBig, need);
            if (slot != kernelSlot) {
                kernelUsesStaleCqeCache = true;
                rules.fire(Rules.STALE_CQE_CACHE_6_18, kernelSlot);
            }
            staleRange = false;
            return slot;
        }
        return getCqeSlot(fromOverflow, mixedBig, need);
    }

    private int getCqeSlot(boolean fromOverflow, boolean mixedBig, int need) {
        if (cqeSentinel - cqeCached < need && !cqeCacheRefill(fromOverflow, mixedBig)) {
            return -1;
        }
        int slot = cqeCached;
        cachedCqTail++;
        cqeCached++;
        if (mixedBig) {
            rules.fire(Rules.CQE32_TAKES_TWO_SLOTS, slot);
            cqeCached++;
            if (!mCqe32AdvancesTailByOne) {
                cachedCqTail++;
            }
        }
        return slot;
    }

    /** {@code io_cqe_cache_refill}. */
    private boolean cqeCacheRefill(boolean fromOverflow, boolean mixedBig) {
        int off = cachedCqTail & (cqEntries - 1);
        // io_cqe_cache_refill: while the overflow list is non-empty every new CQE goes to it
        if (!fromOverflow && checkCqOverflow) {
            rules.fire(Rules.CQE_REFILL_BEHIND_OVERFLOW, 0);
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
        int queued = queuedClamped();
        int free = cqEntries - queued;
        int len = Math.min(free, cqEntries - off);
        if (len < (mixedBig ? 2 : 1)) {
            // Intended semantics: a failed refill leaves no cached range, so the next CQE is not written through
            // a stale one (over the skip CQE just written, past a full ring) but queues behind the overflow list.
            // Linux 6.18 keeps the stale range: divergence catalogue entry cqe-stale-cache-jumps-overflow-list.
            rules.fire(Rules.CQE_REFILL_RING_FULL, 0);
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
        if (Integer.compareUnsigned(queuedClamped(), cqEntries) >= 0) {
            return false;
        }
        rules.fire(Rules.CQE_SKIP_FILLER, off);
        if (mSkipFillerWrongFields) {
            writeCqe(off, 0xdeadL, -1, 0, 0, 0, false);
        } else {
            writeCqe(off, 0, 0, IORING_CQE_F_SKIP, 0, 0, false);
        }
        cachedCqTail++;
        return true;
    }

    /** Writes a CQE into {@code slot}; {@code big} writes the 16 extra bytes of a 32-byte one. */
    void writeCqe(int slot, long userData, int res, int cqeFlags, long big0, long big1, boolean big) {
        long at = layout.cqes() + (long) slot * cqeSizeBytes;
        MemorySegment r = rings;
        r.set(LONG, at, userData);
        // res (bytes 8-11) and flags (bytes 12-15) in one little-endian word
        r.set(LONG, at + 8, Integer.toUnsignedLong(res) | (long) cqeFlags << 32);
        if (cqeSizeBytes == 32 || big) {
            r.set(LONG, at + 16, big ? big0 : 0);
            r.set(LONG, at + 24, big ? big1 : 0);
        }
    }

    /** {@code io_commit_cqring}: publish the tail. */
    void commitCqring() {
        storeRelease(rings, layout.cqTail(), cachedCqTail); // pairs with the application's loadAcquireTail
        if (commitFlush != null) {
            commitFlush.run();
        }
        for (Runnable hook : commitHooks) {
            hook.run();
        }
    }

    void overflowFault(BooleanSupplier fault) {
        this.overflowFault = fault;
    }

    /** Adds {@code hook} to what runs after each commit ({@code io_commit_cqring_flush}), after its part's others. */
    void addCommitHook(IssueContext.CommitFlush part, Runnable hook) {
        int at = commitHooks.length;
        while (at > 0 && commitParts[at - 1].compareTo(part) > 0) {
            at--;
        }
        Runnable[] hooks = new Runnable[commitHooks.length + 1];
        IssueContext.CommitFlush[] parts = new IssueContext.CommitFlush[hooks.length];
        System.arraycopy(commitHooks, 0, hooks, 0, at);
        System.arraycopy(commitParts, 0, parts, 0, at);
        hooks[at] = hook;
        parts[at] = part;
        System.arraycopy(commitHooks, at, hooks, at + 1, commitHooks.length - at);
        System.arraycopy(commitParts, at, parts, at + 1, commitParts.length - at);
        commitHooks = hooks;
        commitParts = parts;
    }

    /**
     * {@code __io_cqring_overflow_flush}, the {@code need_resched()} branch
     * ({@link Choice#OVERFLOW_FLUSH_RESCHEDULES}): empty the cached range (and so any stale one) and post what is
     * there.
     */
    void emptyAndPost() {
        cqeSentinel = cqeCached;
        staleRange = false;
        commitCqring();
    }
}
