package dev.ringspec.model;

import static dev.ringspec.seam.RingGeometry.RESIZE_COPY_FLAGS;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoUringCqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code io_register_resize_rings} (io_uring/register.c, ring-semantics.md A5), per profile: new regions sized
 * like setup's ({@link IoUringSetup}), the pending SQEs and CQEs copied to their new positions, the counters and
 * flags carried over, the CQE cache emptied.
 */
final class ResizeRings {
    private final KernelProfile profile;
    private final IoUringSetup setup;
    private final UserArgs args;

    ResizeRings(KernelProfile profile, IoUringSetup setup, UserArgs args) {
        this.profile = profile;
        this.setup = setup;
        this.args = args;
    }

    /** {@code io_register_resize_rings}. */
    int resizeRings(ModelRing r, MemorySegment arg) {
        RuleSink rules = r.rules();
        // io_register_resize_rings: only DEFER_TASKRUN rings -> -EINVAL
        if (!r.has(IORING_SETUP_DEFER_TASKRUN)) {
            rules.fire(Rules.RESIZE_NEEDS_DEFER_TASKRUN, 0);
            return -EINVAL;
        }
        // io_register_resize_rings: copy_from_user -> -EFAULT
        MemorySegment p = args.at(arg, 0, IoUringParams.SIZE_BYTES);
        if (p == null) {
            return -EFAULT;
        }
        int requested = p.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        // io_register_resize_rings: flags other than CQSIZE and CLAMP -> -EINVAL
        if ((requested & ~(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP)) != 0) {
            return -EINVAL;
        }
        // io_register_resize_rings: the ring's layout flags carry over to the new rings
        int flags = requested | (r.flags() & RESIZE_COPY_FLAGS);
        if (profile.resizeSanitises()) {
            // io_prepare_config (6.19+): the merged flags are sanitised like setup's
            int result = setup.sanitiseParams(flags);
            if (result != 0) {
                return result;
            }
        }
        // io_uring_fill_params
        RingSizing sizing = RingSizing.of(p.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET), flags,
                p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            return sizing.result();
        }
        int result = setup.ringsSizeCheck(flags, sizing);
        if (result != 0) {
            return result;
        }
        int newSq = sizing.sqEntries();
        int newCq = sizing.cqEntries();
        Arena arena = Arena.ofShared();
        MemorySegment[] regions = new MemorySegment[2];
        result = setup.allocateScqUrings(arena, p, flags, newSq, newCq, regions, -1);
        if (result != 0) {
            arena.close();
            return result;
        }
        // io_register_resize_rings: the answer is copied out before the copy and overflow checks
        p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        IoUringSetup.writeParams(profile.ringLayout(), p, flags, newSq, newCq, profile.resizeWritesSqArray());
        Regions before = r.regions();
        MemorySegment old = before.rings();
        int sqTail = readOnce(old, profile.ringLayout().sqTail());
        // io_register_resize_rings, by intent: the pending SQEs are those between the kernel's own head
        // (ctx->cached_sq_head, which io_commit_sqring publishes as sq.head) and the tail. The kernel reads sq.head
        // back from the shared ring instead, which an application may have written; the two agree for every
        // application that leaves sq.head alone (io_uring_setup(2): the kernel owns the SQ head).
        int sqHead = r.cachedSqHead();
        int cqTail = readOnce(old, profile.ringLayout().cqTail());
        int cqHead = readOnce(old, profile.ringLayout().cqHead());
        // io_register_resize_rings: pending SQEs or CQEs that do not fit -> -EOVERFLOW, ring untouched
        if (Integer.compareUnsigned(sqTail - sqHead, newSq) > 0
                || Integer.compareUnsigned(cqTail - cqHead, newCq) > 0) {
            rules.fire(Rules.RESIZE_PENDING_DO_NOT_FIT, 0);
            arena.close();
            return -EOVERFLOW;
        }
        // io_register_resize_rings, by intent: a 32-byte CQE never wraps the ring (uapi io_uring.h: the skip CQE
        // exists so that it need not), so a pending one that would start in the new ring's last slot cannot be
        // kept at its position: the pending CQEs do not fit -> -EOVERFLOW, ring untouched. Linux 6.18 to 7.3-rc7
        // copy it slot by slot across the end of the new ring: catalogue entry resize-wraps-a-32-byte-cqe.
        if (r.has(IORING_SETUP_CQE_MIXED) && bigCqeWouldWrap(before, cqHead, cqTail, newCq)) {
            rules.fire(Rules.RESIZE_PENDING_DO_NOT_FIT, 0);
            arena.close();
            return -EOVERFLOW;
        }
        MemorySegment rings = regions[0];
        MemorySegment sqes = regions[1];
        IoUringSetup.initHeader(profile.ringLayout(), rings, newSq, newCq);
        copyPendingSqes(profile.ringLayout(), r, before, rings, sqes, sqHead, sqTail, newSq, newCq);
        writeOnce(rings, profile.ringLayout().sqHead(), sqHead);
        writeOnce(rings, profile.ringLayout().sqTail(), sqTail);
        int cqeBytes = r.has(IORING_SETUP_CQE32) ? 32 : 16;
        int oldCqMask = before.cqEntries() - 1;
        for (int i = cqHead; i != cqTail; i++) {
            MemorySegment.copy(old, profile.ringLayout().cqes() + (long) (i & oldCqMask) * cqeBytes, rings,
                    profile.ringLayout().cqes() + (long) (i & (newCq - 1)) * cqeBytes, cqeBytes);
        }
        writeOnce(rings, profile.ringLayout().cqHead(), cqHead);
        writeOnce(rings, profile.ringLayout().cqTail(), cqTail);
        writeOnce(rings, profile.ringLayout().sqDropped(), readOnce(old, profile.ringLayout().sqDropped()));
        // io_register_resize_rings: the new rings also get IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP, whatever
        // the setup flags, so an application acts on any flag set during the swap (upstream 96189080265e, 7.0,
        // backported to the 6.19 and 6.18 stable trees; measured on 6.18.44). Earlier stable releases copy the
        // old flags unchanged.
        rules.fire(Rules.RESIZE_SETS_TASKRUN_AND_WAKEUP, 0);
        writeOnce(rings, profile.ringLayout().sqFlags(),
                readOnce(old, profile.ringLayout().sqFlags()) | IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP);
        writeOnce(rings, profile.ringLayout().cqFlags(), readOnce(old, profile.ringLayout().cqFlags()));
        writeOnce(rings, profile.ringLayout().cqOverflow(), readOnce(old, profile.ringLayout().cqOverflow()));
        RingParams previous = before.params();
        RingParams written = RingParams.read(p);
        int ringFlags = r.flags();
        RingParams answer = new RingParams(newSq, newCq, ringFlags, previous.features(), written.sqOff(),
                written.cqOff()).withSqArray((int) profile.ringLayout().sqArrayOffset(ringFlags, newCq));
        // io_register_resize_rings: the CQE cache points into the old rings -> emptied with the swap
        r.remap(new Regions(arena, answer, rings, sqes, before.flags()));
        before.arena().close();
        rules.fire(Rules.RESIZE_RINGS, newCq);
        return 0;
    }

    /** Whether a pending 32-byte CQE of a CQE_MIXED ring would start in the last slot of a ring of {@code newCq}. */
    private boolean bigCqeWouldWrap(Regions before, int cqHead, int cqTail, int newCq) {
        int oldMask = before.cqEntries() - 1;
        for (int i = cqHead; i != cqTail; i++) {
            int flags = readOnce(before.rings(), profile.ringLayout().cqes() + (long) (i & oldMask) * 16
                    + IoUringCqe.FLAGS_OFFSET);
            // a 32-byte CQE never starts in the old ring's last slot; one that claims to is read as 16 bytes
            if ((flags & IORING_CQE_F_32) != 0 && (i & oldMask) != oldMask && i + 1 != cqTail) {
                if ((i & (newCq - 1)) == newCq - 1) {
                    return true;
                }
                i++;
            }
        }
        return false;
    }

    /**
     * The pending SQEs, by intent (io_uring_resize_rings(3): pending SQ entries are copied along the way; upstream
     * 1fe703cc708f, 'io_uring/register: preserve SQ array entries on resize', 7.2-rc1): the SQE each pending
     * position names, through the old SQ array, is copied to the position's own slot {@code i & new_mask}, and the
     * new array names that slot; an entry that names no SQE stays one that names none (UINT_MAX), so submission
     * still drops it. Counters are compared with {@code !=}, so a range across 2^32 is copied too (RS A5).
     * Linux 6.13 to 7.1 copy slot {@code i & old_mask} and leave the new array zero: catalogue entry
     * resize-drops-sq-array-mapping.
     */
    private static void copyPendingSqes(RingLayout layout, ModelRing r, Regions before, MemorySegment rings,
            MemorySegment sqes, int sqHead, int sqTail, int newSq, int newCq) {
        int sqeBytes = r.has(IORING_SETUP_SQE128) ? 128 : 64;
        int oldSqMask = before.sqEntries() - 1;
        boolean array = !r.has(IORING_SETUP_NO_SQARRAY);
        long oldArray = layout.sqArrayOffset(r.flags(), before.cqEntries());
        long newArray = layout.sqArrayOffset(r.flags(), newCq);
        MemorySegment old = before.rings();
        for (int i = sqHead; i != sqTail; i++) {
            int dst = i & (newSq - 1);
            int src = i & oldSqMask;
            if (array) {
                src = readOnce(old, oldArray + (long) src * Integer.BYTES);
                if (Integer.compareUnsigned(src, before.sqEntries()) >= 0) {
                    writeOnce(rings, newArray + (long) dst * Integer.BYTES, -1);
                    continue;
                }
                writeOnce(rings, newArray + (long) dst * Integer.BYTES, dst);
            }
            MemorySegment.copy(before.sqes(), (long) src * sqeBytes, sqes, (long) dst * sqeBytes, sqeBytes);
        }
    }
}
