package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;

import java.util.ArrayList;
import java.util.List;

/**
 * The project's one reader of CQEs: it walks the CQEs an application may read, from the CQ head to the tail, and
 * says how many 16-byte slots each takes. Everything else that reads CQEs (an application reaping, the lockstep
 * engine's consume step and its observations, coverage, the invariants) goes through it.
 *
 * <p>The rules, from the uapi header's comments on {@code IORING_CQE_F_32} and {@code IORING_CQE_F_SKIP} and from
 * io_uring_setup(2) ({@code IORING_SETUP_CQE_MIXED}), ring-semantics.md A2 and liburing-notes 6.1:
 * <ul>
 * <li>the application may read only the slots between head and tail, and at most {@code ring_entries} of them:
 *     the kernel never has more than that many CQEs published (its refill computes the free space as
 *     {@code cq_entries - (tail - head)});</li>
 * <li>on a {@code CQE32} ring every slot is 32 bytes and every CQE takes one slot; {@code F_32} is never set;</li>
 * <li>on a {@code CQE_MIXED} ring slots are 16 bytes; a CQE with {@code F_32} takes two consecutive slots and never
 *     wraps, so it cannot start in the last slot; a skip CQE ({@code F_SKIP}) is a one-slot filler. The kernel
 *     posts one only in the last slot, before a 32-byte CQE that would otherwise wrap, but a resize copies it to
 *     whatever slot its counter has in the new ring, so an application consumes it as one slot wherever it
 *     stands (the invariants judge where a new one is posted);</li>
 * <li>on a ring without {@code CQE_MIXED} neither flag has a meaning, and neither may appear.</li>
 * </ul>
 * A ring that breaks one of them is <em>malformed</em>: the reader stops there and says why, with what it read
 * before. It never reads a malformed CQE as something else (for example an {@code F_32} CQE in the last slot as a
 * 16-byte one).
 */
public final class CqeReader {

    /** How a CQ ring can be malformed, as seen by an application reading it. */
    public enum Malformation {
        /** {@code tail - head} (a u32 distance) is more than {@code ring_entries}: a tail too far ahead, or behind. */
        TAIL_TOO_FAR_AHEAD,
        /** An {@code F_32} CQE in the last slot of a {@code CQE_MIXED} ring: it would wrap. */
        BIG_CQE_IN_LAST_SLOT,
        /** An {@code F_32} CQE whose second slot is not published: the tail is one past its first slot. */
        BIG_CQE_CUT_BY_TAIL,
        /** {@code F_32} on a ring that is not {@code CQE_MIXED}. */
        BIG_FLAG_ON_UNMIXED_RING,
        /** {@code F_SKIP} on a ring that is not {@code CQE_MIXED}. */
        SKIP_ON_UNMIXED_RING,
        /** A CQE with both {@code F_SKIP} and {@code F_32}: a filler is one 16-byte slot. */
        SKIP_WITH_BIG_FLAG;

        private int code() {
            return -1 - ordinal();
        }

        private static Malformation ofCode(int code) {
            return values()[-1 - code];
        }
    }

    /** The shape of a CQ ring, from its setup flags. */
    public record Shape(int cqEntries, boolean mixed, boolean cqe32) {
        public Shape {
            if (cqEntries <= 0 || Integer.bitCount(cqEntries) != 1) {
                throw new IllegalArgumentException("cq_entries is a power of two, not " + cqEntries);
            }
            if (mixed && cqe32) {
                throw new IllegalArgumentException("CQE32 and CQE_MIXED exclude each other (io_uring_sanitise_params)");
            }
        }

        public static Shape of(int setupFlags, int cqEntries) {
            return new Shape(cqEntries, (setupFlags & IORING_SETUP_CQE_MIXED) != 0,
                    (setupFlags & IORING_SETUP_CQE32) != 0);
        }

        public int mask() {
            return cqEntries - 1;
        }
    }

    /**
     * One CQE the application may read: the counter of its first slot, how many 16-byte slots it takes (1 or 2;
     * always 1 on a CQE32 ring) and its contents ({@code big0}/{@code big1} filled for a 32-byte CQE).
     */
    public record VisibleCqe(int counter, int slotCount, Cqe cqe) {

        /** The counter just past this CQE: where the next one starts, or the head after consuming it. */
        public int next() {
            return counter + slotCount;
        }

        public boolean isSkip() {
            return (cqe.flags() & IORING_CQE_F_SKIP) != 0;
        }
    }

    /** What the reader found between head and tail. */
    public sealed interface CqeRead {

        /** The CQEs read, in order (skip CQEs included: they are the application's to consume). */
        List<VisibleCqe> cqes();

        /** The counter after the last CQE read: the head an application reaches by consuming all of them. */
        int end();

        /** Every CQE between head and tail, well-formed. */
        record WellFormed(List<VisibleCqe> cqes, int end) implements CqeRead {
            public WellFormed {
                cqes = List.copyOf(cqes);
            }
        }

        /**
         * The ring is malformed at counter {@code at}: {@code cqes} are the well-formed CQEs before it, and
         * {@code end == at}.
         */
        record Malformed(List<VisibleCqe> cqes, int end, Malformation malformation, int at, String detail)
                implements CqeRead {
            public Malformed {
                cqes = List.copyOf(cqes);
            }
        }
    }

    private CqeReader() {
    }

    /**
     * Reads every CQE between {@code head} and {@code tail}, or up to {@code maxCqes} of them (a skip CQE counts as
     * one), stopping at the first malformation.
     */
    public static CqeRead read(CqeSlots slots, Shape shape, int head, int tail, int maxCqes) {
        List<VisibleCqe> cqes = new ArrayList<>();
        if (U32.distance(tail, head) > shape.cqEntries()) {
            return new CqeRead.Malformed(cqes, head, Malformation.TAIL_TOO_FAR_AHEAD, head,
                    "tail " + U32.value(tail) + " - head " + U32.value(head) + " = " + U32.distance(tail, head)
                            + " > ring_entries " + shape.cqEntries());
        }
        int counter = head;
        while (counter != tail && cqes.size() < maxCqes) {
            int width = slotCountAt(slots, shape, counter, tail);
            if (width < 0) {
                Malformation m = Malformation.ofCode(width);
                int index = counter & shape.mask();
                return new CqeRead.Malformed(cqes, counter, m, counter, "counter " + U32.value(counter) + " (slot "
                        + index + " of " + shape.cqEntries() + "), flags 0x" + Integer.toHexString(slots.flags(index)));
            }
            cqes.add(new VisibleCqe(counter, width, cqeAt(slots, shape, counter)));
            counter += width;
        }
        return new CqeRead.WellFormed(cqes, counter);
    }

    /** Reads every CQE between {@code head} and {@code tail}. */
    public static CqeRead read(CqeSlots slots, Shape shape, int head, int tail) {
        return read(slots, shape, head, tail, Integer.MAX_VALUE);
    }

    /**
     * How many 16-byte slots the CQE at {@code counter} takes (1 or 2), for a caller that steps through the ring
     * without allocating; or a negative code, which {@link #malformationOf} names. Does not check the distance
     * between head and tail: {@link #read} does.
     */
    public static int slotCountAt(CqeSlots slots, Shape shape, int counter, int tail) {
        int index = counter & shape.mask();
        int flags = slots.flags(index);
        boolean big = (flags & IORING_CQE_F_32) != 0;
        boolean skip = (flags & IORING_CQE_F_SKIP) != 0;
        if (!shape.mixed()) {
            // uapi io_uring.h: F_32 and F_SKIP exist only "with rings setup in a mixed CQE mode"
            if (big) {
                return Malformation.BIG_FLAG_ON_UNMIXED_RING.code();
            }
            if (skip) {
                return Malformation.SKIP_ON_UNMIXED_RING.code();
            }
            return 1;
        }
        if (skip) {
            if (big) {
                return Malformation.SKIP_WITH_BIG_FLAG.code();
            }
            return 1;
        }
        if (big) {
            // io_uring_setup(2) CQE_MIXED: a 32-byte CQE never wraps; the kernel posts a skip CQE first instead
            if (index == shape.mask()) {
                return Malformation.BIG_CQE_IN_LAST_SLOT.code();
            }
            return U32.distance(tail, counter) >= 2 ? 2 : Malformation.BIG_CQE_CUT_BY_TAIL.code();
        }
        return 1;
    }

    /** Names a negative code returned by {@link #slotCountAt}. */
    public static Malformation malformationOf(int code) {
        if (code >= 0) {
            throw new IllegalArgumentException("not a malformation code: " + code);
        }
        return Malformation.ofCode(code);
    }

    /** The CQE starting at {@code counter}; its big_cqe words are read only for a 32-byte CQE. */
    public static Cqe cqeAt(CqeSlots slots, Shape shape, int counter) {
        int index = counter & shape.mask();
        int flags = slots.flags(index);
        boolean big = shape.cqe32() || (shape.mixed() && (flags & IORING_CQE_F_32) != 0 && index != shape.mask());
        return new Cqe(slots.userData(index), slots.res(index), flags, big ? slots.bigCqe(index, 0) : 0,
                big ? slots.bigCqe(index, 1) : 0);
    }
}
