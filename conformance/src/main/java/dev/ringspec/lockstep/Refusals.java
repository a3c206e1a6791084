package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.U32;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;

/**
 * Which steps the engine refuses, on both sides alike, because their outcome would not be deterministic on the
 * running kernel: setups of polling or user-placed rings, and enters that would hand a NOP to io-wq (IOSQE_ASYNC,
 * an accepted IOSQE_IO_DRAIN, a link chain left dangling at the end of the batch) or wait for completions that can
 * never come. Decided on the reference's ring before the step, which equals the subject's so far.
 */
final class Refusals {
    /** Setup flags the engine refuses: polling threads, iopoll and user-placed rings are not NOP-deterministic. */
    static final int UNSAFE_SETUP = IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF
            | IORING_SETUP_ATTACH_WQ | IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY
            | IORING_SETUP_HYBRID_IOPOLL;
    /**
     * Enter flags that change nothing an enter of NOPs does, without an argument, on the rings the engine uses:
     * SQ_WAKEUP and SQ_WAIT matter only with SQPOLL, EXT_ARG and ABS_TIMER only with GETEVENTS (where a missing
     * argument is -EINVAL), NO_IOWAIT only in how a wait is accounted. REGISTERED_RING would read the ring
     * descriptor as an index, which differs between the backends, and EXT_ARG_REG needs a registered wait region.
     */
    static final int HARMLESS_ENTER_FLAGS = 0x2 | 0x4 | 0x8 | 0x20 | 0x80;
    /** Enter flags the kernel knows on 7.1; any other bit is answered -EINVAL before anything happens. */
    private static final int KNOWN_ENTER_FLAGS = 0xff;
    /** Opcodes at or above this are unknown to every kernel we target: io_init_req answers -EINVAL. */
    static final int SURELY_INVALID_OPCODE = 100;

    private boolean drainDisabled;
    private int submitHeadBefore;

    /** A new run: io_ring_ctx starts with drain_disabled clear. */
    void reset() {
        drainDisabled = false;
    }

    /** Why {@code step} must not run, or null. */
    String refusal(Step step, Side s, Side other) {
        Step effective = step.effective();
        if (effective instanceof Step.Setup setup) {
            return (setup.flags() & UNSAFE_SETUP) != 0 ? "setup flags outside the deterministic set" : null;
        }
        if (!s.hasRing() || !other.hasRing()) {
            return "no ring";
        }
        submitHeadBefore = s.submitHead;
        if (effective instanceof Step.Enter enter) {
            return enterRefusal(s, enter);
        }
        return null;
    }

    /** After a step ran on both sides and agreed. */
    void ran(Step step, Side s) {
        Step effective = step.effective();
        if (effective instanceof Step.Setup) {
            drainDisabled = false; // a new ring: io_ring_ctx starts with drain_disabled clear
        }
        if (effective instanceof Step.Enter && s.hasRing()) {
            noteDrainDisabled(s);
        }
    }

    /** io_init_req fails this SQE for certain (so it never reaches io-wq and fails its chain). */
    static boolean surelyFailsInit(int opcode, int sqeFlags, int ioprio, int nopFlags) {
        return opcode >= SURELY_INVALID_OPCODE || (sqeFlags & 0x80) != 0
                || (opcode == IORING_OP_NOP && ((sqeFlags & IOSQE_BUFFER_SELECT) != 0 || ioprio != 0
                        || (nopFlags & ~0x3f) != 0));
    }

    /** io_init_req fails this SQE before it looks at IOSQE_IO_DRAIN: unknown opcode, unknown flag, BUFFER_SELECT. */
    static boolean failsBeforeDrain(int opcode, int sqeFlags) {
        return opcode >= SURELY_INVALID_OPCODE || (sqeFlags & 0x80) != 0
                || (opcode == IORING_OP_NOP && (sqeFlags & IOSQE_BUFFER_SELECT) != 0);
    }

    /** io_init_req sets drain_disabled for this SQE: it passed the opcode and flag checks and asked for skip. */
    static boolean disablesDrain(int opcode, int sqeFlags) {
        return opcode == IORING_OP_NOP && (sqeFlags & IOSQE_CQE_SKIP_SUCCESS) != 0 && (sqeFlags & 0x80) == 0
                && (sqeFlags & IOSQE_BUFFER_SELECT) == 0;
    }

    private String enterRefusal(Side s, Step.Enter e) {
        if ((e.flags() & ~KNOWN_ENTER_FLAGS) != 0) {
            return null; // io_uring_enter: unknown flags -> -EINVAL before anything else
        }
        if ((e.flags() & ~(IORING_ENTER_GETEVENTS | HARMLESS_ENTER_FLAGS)) != 0) {
            return "enter flags REGISTERED_RING or EXT_ARG_REG";
        }
        int head = s.submitHead; // not the ring's sq.head, which a MoveSqHead step may have moved
        int tail = s.sq.readOnceTail();
        long n = Math.min(Math.min(U32.value(e.toSubmit()), U32.distance(tail, head)), s.sqEntries);
        boolean drainOff = drainDisabled;
        boolean prevLinked = false;
        boolean chainFailed = false;
        for (int i = 0; i < n; i++) {
            int position = head + i;
            int sqeIndex = s.sq.hasArray() ? s.sq.readOnceArray(position & s.sqMask) : position & s.sqMask;
            if (Integer.compareUnsigned(sqeIndex, s.sqEntries) >= 0) {
                // io_get_sqe: a dropped entry ends the batch; a chain before it would be left dangling.
                if (prevLinked && !chainFailed) {
                    return "a link chain would dangle before a dropped SQ entry (io-wq)";
                }
                prevLinked = false;
                break;
            }
            MemorySegment sqes = s.sq.sqes();
            long off = s.sq.sqeOffset(sqeIndex);
            int opcode = Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET));
            int flags = Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            int ioprio = sqes.get(JAVA_SHORT, off + IoUringSqe.IOPRIO_OFFSET);
            int nopFlags = sqes.get(JAVA_INT, off + IoUringSqe.NOP_FLAGS_OFFSET);
            boolean fails = surelyFailsInit(opcode, flags, ioprio, nopFlags);
            boolean linked = (flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
            // io_init_req: the drain checks come before ioprio, personality and prep; io_init_drain makes
            // drain_active sticky even if a later check fails the request.
            if (disablesDrain(opcode, flags)) {
                drainOff = true;
            }
            if ((flags & IOSQE_IO_DRAIN) != 0 && !drainOff && !failsBeforeDrain(opcode, flags)) {
                return "an accepted IOSQE_IO_DRAIN makes every later request async";
            }
            if (!fails) {
                if (opcode != IORING_OP_NOP) {
                    return "opcode " + opcode + " is not a NOP";
                }
                if ((flags & IOSQE_ASYNC) != 0) {
                    return "IOSQE_ASYNC goes to io-wq";
                }
                if ((flags & IOSQE_FIXED_FILE) != 0 && (nopFlags & IORING_NOP_FILE) != 0
                        && (nopFlags & IORING_NOP_FIXED_FILE) == 0) {
                    return "NOP_FILE with IOSQE_FIXED_FILE leaks a file reference before 7.2 (2564ca2e31bd)";
                }
            }
            if (fails && (linked || prevLinked)) {
                chainFailed = true;
            }
            if (!linked) {
                chainFailed = false;
            }
            prevLinked = linked;
        }
        if (prevLinked && !chainFailed) {
            return "a link chain would dangle at the end of the batch (io-wq)";
        }
        if ((e.flags() & IORING_ENTER_GETEVENTS) != 0 && e.minComplete() != 0
                && U32.value(e.toSubmit()) <= n
                && (long) (s.cq.loadAcquireTail() - s.cq.readOnceHead()) < U32.value(e.minComplete())) {
            // io_cqring_wait sleeps until cq.tail - (cq.head + min_complete) >= 0 as a signed distance: with the
            // head moved beyond the tail nothing wakes it.
            return "GETEVENTS could wait for completions that never come";
        }
        return null;
    }

    /** After an enter: any consumed SKIP_SUCCESS SQE that passed the flag checks disables drain for good. */
    private void noteDrainDisabled(Side s) {
        int from = submitHeadBefore; // the kernel's heads: the ring's may have been moved by the application
        int to = s.submitHead;
        long n = Math.min(U32.distance(to, from), s.sqEntries);
        for (int i = 0; i < n && !drainDisabled; i++) {
            int sqeIndex = s.sq.hasArray() ? s.sq.readOnceArray((from + i) & s.sqMask) : (from + i) & s.sqMask;
            if (Integer.compareUnsigned(sqeIndex, s.sqEntries) >= 0) {
                continue;
            }
            long off = s.sq.sqeOffset(sqeIndex);
            int opcode = Byte.toUnsignedInt(s.sq.sqes().get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET));
            int flags = Byte.toUnsignedInt(s.sq.sqes().get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            if (disablesDrain(opcode, flags)) {
                drainDisabled = true;
            }
        }
    }
}
