package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;

import dev.ringspec.seam.Cqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code ctx->cq_overflow_list} and {@code IO_CHECK_CQ_OVERFLOW_BIT}: CQEs that found no slot, in order, kept in
 * arrays that grow; {@code io_cqring_add_overflow} and {@code __io_cqring_overflow_flush} (io_uring/io_uring.c,
 * ring-semantics.md A2).
 */
final class OverflowList {
    private final int flags;
    private final RingLayout layout;
    private final int fd;
    private final RuleSink rules;
    private final CqeCache cq;
    private final boolean mOverflowFlagNeverSet;
    private final boolean mOverflowFlagNotCleared;
    private Chooser chooser = Chooser.DEFAULT;
    private MemorySegment rings;

    private long[] ovUserData = new long[16];
    private int[] ovRes = new int[16];
    private int[] ovFlags = new int[16];
    private long[] ovBig0 = new long[16];
    private long[] ovBig1 = new long[16];
    private int ovHead;
    private int ovCount;

    OverflowList(int flags, RingLayout layout, int fd, RuleSink rules, CqeCache cq, Set<Mutant> mutants) {
        this.layout = layout;
        this.flags = flags;
        this.fd = fd;
        this.rules = rules;
        this.cq = cq;
        this.mOverflowFlagNeverSet = mutants.contains(Mutant.OVERFLOW_FLAG_NEVER_SET);
        this.mOverflowFlagNotCleared = mutants.contains(Mutant.OVERFLOW_FLAG_NOT_CLEARED);
    }

    void remap(Regions regions) {
        this.rings = regions.rings();
    }

    void choose(Chooser newChooser) {
        this.chooser = newChooser;
    }

    /** {@code IO_CHECK_CQ_OVERFLOW_BIT}: the list holds entries. */
    boolean pending() {
        return ovCount != 0;
    }

    int size() {
        return ovCount;
    }

    /** The entries in order, oldest first: what {@link ModelIoUring#overflowList} shows a reader. */
    List<Cqe> entries() {
        List<Cqe> list = new ArrayList<>(ovCount);
        for (int k = 0; k < ovCount; k++) {
            int i = (ovHead + k) & (ovUserData.length - 1);
            list.add(new Cqe(ovUserData[i], ovRes[i], ovFlags[i], ovBig0[i], ovBig1[i]));
        }
        return list;
    }

    /** {@code io_cqring_add_overflow}: append; the first entry raises IORING_SQ_CQ_OVERFLOW. */
    void add(long userData, int res, int cqeFlags, long big0, long big1) {
        rules.fire(Rules.CQ_ADD_OVERFLOW, userData);
        if (ovCount == ovUserData.length) {
            grow();
        }
        if (ovCount == 0) {
            cq.checkCqOverflow(true);
            if (!mOverflowFlagNeverSet) {
                Regions.orSqFlags(layout, rings, IORING_SQ_CQ_OVERFLOW);
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
    void flush() {
        if (ovCount == 0) {
            return;
        }
        // __io_cqring_overflow_flush: a full CQ ring -> nothing moves
        if (cq.queued() == cq.cqEntries()) {
            return;
        }
        rules.fire(Rules.CQ_OVERFLOW_FLUSH, ovCount);
        boolean wholeBig = cq.cqeSizeBytes() == 32;
        while (ovCount != 0) {
            int i = ovHead;
            boolean mixedBig = (ovFlags[i] & IORING_CQE_F_32) != 0 && (flags & IORING_SETUP_CQE_MIXED) != 0;
            int slot = cq.getCqe(true, mixedBig);
            if (slot < 0) {
                break;
            }
            cq.writeCqe(slot, ovUserData[i], ovRes[i], ovFlags[i], ovBig0[i], ovBig1[i], mixedBig || wholeBig);
            ovHead = (ovHead + 1) & (ovUserData.length - 1);
            ovCount--;
            // __io_cqring_overflow_flush: need_resched() empties the cached range and posts (a choice point)
            if (chooser != Chooser.DEFAULT
                    && chooser.choose(Choice.OVERFLOW_FLUSH_RESCHEDULES, fd) == Choice.RESCHEDULE) {
                cq.emptyAndPost();
            }
        }
        if (ovCount == 0) {
            cq.checkCqOverflow(false);
            // __io_cqring_overflow_flush: the list is empty -> IORING_SQ_CQ_OVERFLOW cleared
            if (!mOverflowFlagNotCleared) {
                Regions.andNotSqFlags(layout, rings, IORING_SQ_CQ_OVERFLOW);
            }
        }
        cq.commitCqring();
    }

    private void grow() {
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
}
