package dev.ringspec.seam;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.seam.CqeReader.CqeRead;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringCqe;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything an application can see of one ring after a step, copied out of the ring so it stays as it was: the
 * step's result, whether a ring exists, its sizes and setup flags, the SQ counters, flags and array, the SQEs
 * between the SQ head and tail, the CQ counters and flags, and <em>every</em> CQE slot (not only those between head
 * and tail: the invariants judge the slots too). {@link #cqes()} reads the visible CQEs with {@link CqeReader}.
 *
 * <p>Counters are the raw u32 words; compare them with {@link U32}. On a {@code CQE32} ring each entry of
 * {@code cqSlots} is a 32-byte slot (big_cqe filled); otherwise each is one 16-byte slot with zero big_cqe words, and
 * a 32-byte CQE of a {@code CQE_MIXED} ring is read from two of them.
 *
 * @param result the step's syscall result (0 for a step that only wrote memory)
 * @param exists whether a ring exists; if not, every other field is zero or empty
 * @param setupFlags {@code params.flags} as setup or the last resize reported them
 * @param sqArray the whole SQ array ({@code sq_entries} words), empty on a {@code NO_SQARRAY} ring
 * @param pendingSqes the SQEs at SQ positions {@code [pendingFrom, sqTail)}, at most {@code sq_entries} of them; on
 *     an {@code IORING_SETUP_SQ_REWIND} ring, whose kernel ignores head and tail and takes every submission from
 *     SQE 0 (io_submit_sqes, 7.0+), all {@code sq_entries} SQEs from index 0
 * @param cqSlots all {@code cq_entries} CQE slots, by index
 */
public record RingObservation(int result, boolean exists, int sqEntries, int cqEntries, int setupFlags, int sqHead,
        int sqTail, int sqFlags, int sqDropped, List<Integer> sqArray, List<PendingSqe> pendingSqes, int cqHead,
        int cqTail, int cqOverflow, int cqFlags, List<Cqe> cqSlots) {

    public RingObservation {
        sqArray = List.copyOf(sqArray);
        pendingSqes = List.copyOf(pendingSqes);
        cqSlots = List.copyOf(cqSlots);
        if (exists) {
            if (cqSlots.size() != cqEntries) {
                throw new IllegalArgumentException(cqSlots.size() + " CQE slots for cq_entries " + cqEntries);
            }
            if (!sqArray.isEmpty() && sqArray.size() != sqEntries) {
                throw new IllegalArgumentException(sqArray.size() + " SQ array words for sq_entries " + sqEntries);
            }
        }
    }

    /**
     * One SQE between the SQ head and tail: its ring position ({@code counter}), the SQE index the SQ array gives
     * for it (the position's slot on a {@code NO_SQARRAY} ring), and the generic fields of {@code struct
     * io_uring_sqe}. An index at or beyond {@code sq_entries} is one the kernel drops; its fields are zero.
     */
    public record PendingSqe(int counter, int sqeIndex, int opcode, int flags, long userData, int ioprio, int fd,
            long off, long addr, int len, int opFlags, int bufIndex, int personality) {

        /** Whether the kernel drops this entry ({@code io_get_sqe}: SQ array index {@code >= sq_entries}). */
        public boolean droppedBy(int sqEntries) {
            return Integer.compareUnsigned(sqeIndex, sqEntries) >= 0;
        }

        @Override
        public String toString() {
            return "{pos " + U32.value(counter) + ", sqe " + U32.value(sqeIndex) + ", op " + opcode + ", flags "
                    + FlagNames.sqe(flags) + ", ud " + userData + (opFlags != 0 ? ", op_flags 0x"
                            + Integer.toHexString(opFlags) : "")
                    + (len != 0 ? ", len " + len : "") + "}";
        }
    }

    /** No ring: setup failed (or has not run), and {@code result} says how. */
    public static RingObservation none(int result) {
        return new RingObservation(result, false, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of(), 0, 0, 0, 0, List.of());
    }

    /** The ring as it is now, its pending SQEs read from the SQ head the ring shows; {@link #none} without a ring. */
    public static RingObservation capture(Ring ring, int result) {
        return ring == null ? none(result) : capture(ring, result, ring.sq().loadAcquireHead());
    }

    /**
     * The ring as it is now, its pending SQEs read from {@code pendingFrom}: the kernel's own SQ head when the
     * application has moved the ring's {@code sq.head} (the kernel never reads it back).
     */
    public static RingObservation capture(Ring ring, int result, int pendingFrom) {
        return new Capturer().capture(ring, result, pendingFrom);
    }

    /**
     * Captures one ring step after step, as {@link #capture(Ring, int, int)} does, at less cost: the SQEs and the
     * CQE slots are copied out of the ring in one block each into buffers kept from call to call, and where a block
     * (or one SQE or slot of it) holds the same bytes as at the last capture, the last observation's values are
     * shared instead of built again. Every byte is still read on every capture. One instance per ring side; not
     * thread-safe.
     */
    public static final class Capturer {
        private byte[] cqBuffer = new byte[0];
        private byte[] lastCqBuffer = new byte[0];
        private byte[] sqeBuffer = new byte[0];
        private byte[] lastSqeBuffer = new byte[0];
        private int lastCqBytes = -1;
        private int lastSqeBytes = -1;
        private RingObservation last;

        /** Forgets the last capture (a new run begins). */
        public void reset() {
            last = null;
            lastCqBytes = -1;
            lastSqeBytes = -1;
        }

        /** The ring as it is now (see {@link #capture(Ring, int, int)}), sharing what is unchanged. */
        public RingObservation capture(Ring ring, int result, int pendingFrom) {
            if (ring == null) {
                reset();
                return none(result);
            }
            RingParams params = ring.params();
            SqRingView sq = ring.sq();
            CqRingView cq = ring.cq();
            int sqEntries = params.sqEntries();
            int cqEntries = params.cqEntries();
            int sqHead = sq.loadAcquireHead();
            int sqTail = sq.readOnceTail();
            RingObservation previous = last;
            boolean reuse = previous != null && previous.exists && previous.sqEntries == sqEntries
                    && previous.cqEntries == cqEntries;
            List<Integer> array;
            if (!sq.hasArray()) {
                array = List.of();
            } else if (reuse && previous.sqArray.size() == sqEntries && sameArray(sq, previous.sqArray)) {
                array = previous.sqArray;
            } else {
                array = new ArrayList<>(sqEntries);
                for (int i = 0; i < sqEntries; i++) {
                    array.add(sq.readOnceArray(i));
                }
            }
            int sqeSize = sq.sqeSizeBytes();
            int sqeBytes = sqEntries * sqeSize;
            byte[] sqes = copy(sq.sqes(), sq.sqeOffset(0), sqeBytes, sqeBuffer);
            byte[] lastSqes = lastSqeBuffer;
            boolean sqesKnown = reuse && lastSqeBytes == sqeBytes;
            List<PendingSqe> before = reuse ? previous.pendingSqes : List.of();
            List<PendingSqe> pending = new ArrayList<>();
            boolean rewind = (params.flags() & IORING_SETUP_SQ_REWIND) != 0;
            int first = rewind ? 0 : pendingFrom;
            long count = rewind ? sqEntries : Math.min(U32.distance(sqTail, pendingFrom), sqEntries);
            for (int i = 0; i < count; i++) {
                int counter = first + i;
                int position = counter & (sqEntries - 1);
                int sqeIndex = sq.hasArray() ? array.get(position) : position;
                PendingSqe was = sqesKnown && !before.isEmpty() ? at(before, counter) : null;
                if (was != null && was.sqeIndex() == sqeIndex && (was.droppedBy(sqEntries)
                        || Arrays.equals(sqes, sqeIndex * sqeSize, (sqeIndex + 1) * sqeSize, lastSqes,
                                sqeIndex * sqeSize, (sqeIndex + 1) * sqeSize))) {
                    pending.add(was);
                } else {
                    pending.add(parseSqe(sqes, counter, sqeIndex, sqEntries, sqeSize));
                }
            }
            // The acquire of cq.tail orders the reads of the CQEs the kernel published before it.
            int cqTail = cq.loadAcquireTail();
            int cqHead = cq.readOnceHead();
            int cqeSize = cq.cqeSizeBytes();
            int cqBytes = cqEntries * cqeSize;
            byte[] slotBytes = copy(cq.memory(), cq.cqeOffset(0), cqBytes, cqBuffer);
            byte[] lastCq = lastCqBuffer;
            List<Cqe> slots;
            if (reuse && lastCqBytes == cqBytes && Arrays.equals(slotBytes, 0, cqBytes, lastCq, 0, cqBytes)) {
                slots = previous.cqSlots;
            } else {
                boolean known = reuse && lastCqBytes == cqBytes;
                Cqe[] copied = new Cqe[cqEntries];
                for (int i = 0; i < cqEntries; i++) {
                    int from = i * cqeSize;
                    copied[i] = known && Arrays.equals(slotBytes, from, from + cqeSize, lastCq, from, from + cqeSize)
                            ? previous.cqSlots.get(i) : parseCqe(slotBytes, from, cqeSize == 32);
                }
                slots = Arrays.asList(copied);
            }
            RingObservation now = new RingObservation(result, true, sqEntries, cqEntries, params.flags(), sqHead,
                    sqTail, sq.readOnceFlags(), sq.readOnceDropped(), array, pending, cqHead, cqTail,
                    cq.readOnceOverflow(), cq.readOnceFlags(), slots);
            cqBuffer = lastCq;
            lastCqBuffer = slotBytes;
            sqeBuffer = lastSqes;
            lastSqeBuffer = sqes;
            lastCqBytes = cqBytes;
            lastSqeBytes = sqeBytes;
            last = now;
            return now;
        }

        private static PendingSqe at(List<PendingSqe> list, int counter) {
            int i = counter - list.getFirst().counter();
            if (i < 0 || i >= list.size()) {
                return null;
            }
            PendingSqe p = list.get(i);
            return p.counter() == counter ? p : null;
        }

        private static byte[] copy(MemorySegment from, long offset, int bytes, byte[] into) {
            byte[] buffer = into.length >= bytes ? into : new byte[bytes];
            MemorySegment.copy(from, JAVA_BYTE, offset, buffer, 0, bytes);
            return buffer;
        }

        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
                ByteOrder.nativeOrder());
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class,
                ByteOrder.nativeOrder());
        private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class,
                ByteOrder.nativeOrder());

        private static Cqe parseCqe(byte[] b, int o, boolean cqe32) {
            return new Cqe((long) LONG.get(b, o + (int) IoUringCqe.USER_DATA_OFFSET),
                    (int) INT.get(b, o + (int) IoUringCqe.RES_OFFSET),
                    (int) INT.get(b, o + (int) IoUringCqe.FLAGS_OFFSET),
                    cqe32 ? (long) LONG.get(b, o + (int) IoUringCqe.BIG_CQE_OFFSET) : 0,
                    cqe32 ? (long) LONG.get(b, o + (int) IoUringCqe.BIG_CQE_OFFSET + Long.BYTES) : 0);
        }

        private static PendingSqe parseSqe(byte[] b, int counter, int sqeIndex, int sqEntries, int sqeSize) {
            if (Integer.compareUnsigned(sqeIndex, sqEntries) >= 0) {
                return new PendingSqe(counter, sqeIndex, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            }
            int o = sqeIndex * sqeSize;
            return new PendingSqe(counter, sqeIndex,
                    Byte.toUnsignedInt(b[o + (int) IoUringSqe.OPCODE_OFFSET]),
                    Byte.toUnsignedInt(b[o + (int) IoUringSqe.FLAGS_OFFSET]),
                    (long) LONG.get(b, o + (int) IoUringSqe.USER_DATA_OFFSET),
                    Short.toUnsignedInt((short) SHORT.get(b, o + (int) IoUringSqe.IOPRIO_OFFSET)),
                    (int) INT.get(b, o + (int) IoUringSqe.FD_OFFSET),
                    (long) LONG.get(b, o + (int) IoUringSqe.OFF_OFFSET),
                    (long) LONG.get(b, o + (int) IoUringSqe.ADDR_OFFSET),
                    (int) INT.get(b, o + (int) IoUringSqe.LEN_OFFSET),
                    (int) INT.get(b, o + (int) IoUringSqe.NOP_FLAGS_OFFSET),
                    Short.toUnsignedInt((short) SHORT.get(b, o + (int) IoUringSqe.BUF_INDEX_OFFSET)),
                    Short.toUnsignedInt((short) SHORT.get(b, o + (int) IoUringSqe.PERSONALITY_OFFSET)));
        }
    }

    private static boolean sameArray(SqRingView sq, List<Integer> array) {
        for (int i = 0; i < array.size(); i++) {
            if (sq.readOnceArray(i) != array.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the ring was set up with {@code setupFlag}. */
    public boolean has(int setupFlag) {
        return (setupFlags & setupFlag) != 0;
    }

    /** The CQ ring's shape, for {@link CqeReader}. */
    public CqeReader.Shape cqShape() {
        return CqeReader.Shape.of(setupFlags, cqEntries);
    }

    /** {@code cq.tail - cq.head} as a u32 distance (more than {@code cq_entries} on a malformed ring). */
    public long cqDistance() {
        return U32.distance(cqTail, cqHead);
    }

    /** {@code sq.tail - sq.head} as a u32 distance. */
    public long sqDistance() {
        return U32.distance(sqTail, sqHead);
    }

    /** The CQEs an application may read now: those between head and tail, read by {@link CqeReader}. */
    public CqeRead cqes() {
        if (!exists) {
            return new CqeRead.WellFormed(List.of(), 0);
        }
        return CqeReader.read(slots(), cqShape(), cqHead, cqTail);
    }

    /** The copied slots, for {@link CqeReader}. */
    public CqeSlots slots() {
        return new CqeSlots() {
            @Override
            public long userData(int index) {
                return cqSlots.get(index).userData();
            }

            @Override
            public int res(int index) {
                return cqSlots.get(index).res();
            }

            @Override
            public int flags(int index) {
                return cqSlots.get(index).flags();
            }

            @Override
            public long bigCqe(int index, int word) {
                Cqe own = cqSlots.get(index);
                if (cqSlots.size() == cqEntries && (setupFlags & IORING_SETUP_CQE32) != 0) {
                    return word == 0 ? own.big0() : own.big1();
                }
                // CQE_MIXED: big_cqe is the next 16-byte slot; word 1 is its res and flags as one 64-bit word
                Cqe next = cqSlots.get((index + 1) & (cqEntries - 1));
                if (word == 0) {
                    return next.userData();
                }
                long res = Integer.toUnsignedLong(next.res());
                long flags = Integer.toUnsignedLong(next.flags());
                return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? res | flags << 32 : res << 32 | flags;
            }
        };
    }

    /** A copy to change, for hand-built observations in tests. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** fdinfo-style lines: result, sizes and flags, SQ counters, pending SQEs, CQ counters, one visible CQE a line. */
    public List<String> lines() {
        return lines(false);
    }

    /** {@link #lines()}, and with {@code withSlots} every CQE slot and the SQ array as well. */
    public List<String> lines(boolean withSlots) {
        List<String> lines = new ArrayList<>();
        lines.add("Result:     " + Errno.describe(result));
        if (!exists) {
            lines.add("(no ring)");
            return lines;
        }
        lines.add("Entries:    sq " + sqEntries + ", cq " + cqEntries);
        lines.add("Flags:      " + FlagNames.setup(setupFlags));
        lines.add("SqHead:     " + U32.value(sqHead));
        lines.add("SqTail:     " + U32.value(sqTail));
        lines.add("SqDropped:  " + U32.value(sqDropped));
        lines.add("SqFlags:    " + FlagNames.sqFlags(sqFlags));
        if (withSlots && !sqArray.isEmpty()) {
            StringBuilder b = new StringBuilder("SqArray:   ");
            sqArray.forEach(v -> b.append(' ').append(U32.value(v)));
            lines.add(b.toString());
        }
        lines.add("SQEs:       " + pendingSqes.size());
        for (PendingSqe sqe : pendingSqes) {
            lines.add("  " + sqe);
        }
        lines.add("CqHead:     " + U32.value(cqHead));
        lines.add("CqTail:     " + U32.value(cqTail));
        lines.add("CqOverflow: " + U32.value(cqOverflow));
        lines.add("CqFlags:    0x" + Integer.toHexString(cqFlags));
        CqeRead read = cqes();
        lines.add("CQEs:       " + read.cqes().size());
        for (int i = 0; i < read.cqes().size(); i++) {
            lines.add("  " + i + ": " + describe(read.cqes().get(i).cqe()));
        }
        if (read instanceof CqeRead.Malformed m) {
            lines.add("Malformed:  " + m.malformation() + " at " + m.detail());
        }
        if (withSlots) {
            for (int i = 0; i < cqSlots.size(); i++) {
                lines.add("  slot " + i + ": " + describe(cqSlots.get(i)));
            }
        }
        return lines;
    }

    private static String describe(Cqe c) {
        return "ud " + c.userData() + " res " + Errno.describe(c.res()) + " flags " + FlagNames.cqeFlags(c.flags())
                + (c.big0() != 0 || c.big1() != 0
                        ? " big 0x" + Long.toHexString(c.big0()) + ",0x" + Long.toHexString(c.big1()) : "");
    }

    /** Two observations side by side, lines that differ marked with {@code <>}. */
    public static String sideBySide(String leftName, RingObservation left, String rightName,
            RingObservation right) {
        return sideBySide(leftName, left.lines(), rightName, right.lines());
    }

    /** Two listings side by side, lines that differ marked with {@code <>}. */
    public static String sideBySide(String leftName, List<String> l, String rightName, List<String> r) {
        int width = Math.max(leftName.length(), l.stream().mapToInt(String::length).max().orElse(0)) + 2;
        StringBuilder b = new StringBuilder();
        b.append("   ").append(pad(leftName, width)).append(rightName).append('\n');
        for (int i = 0; i < Math.max(l.size(), r.size()); i++) {
            String a = i < l.size() ? l.get(i) : "";
            String c = i < r.size() ? r.get(i) : "";
            b.append(a.equals(c) ? "   " : "<> ").append(pad(a, width)).append(c).append('\n');
        }
        return b.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(1, width - s.length()));
    }

    /** Builds an observation field by field; starts from an existing one or from an empty ring. */
    public static final class Builder {
        private int result;
        private boolean exists;
        private int sqEntries;
        private int cqEntries;
        private int setupFlags;
        private int sqHead;
        private int sqTail;
        private int sqFlags;
        private int sqDropped;
        private List<Integer> sqArray;
        private List<PendingSqe> pendingSqes;
        private int cqHead;
        private int cqTail;
        private int cqOverflow;
        private int cqFlags;
        private final List<Cqe> cqSlots;

        private Builder(RingObservation o) {
            result = o.result;
            exists = o.exists;
            sqEntries = o.sqEntries;
            cqEntries = o.cqEntries;
            setupFlags = o.setupFlags;
            sqHead = o.sqHead;
            sqTail = o.sqTail;
            sqFlags = o.sqFlags;
            sqDropped = o.sqDropped;
            sqArray = o.sqArray;
            pendingSqes = o.pendingSqes;
            cqHead = o.cqHead;
            cqTail = o.cqTail;
            cqOverflow = o.cqOverflow;
            cqFlags = o.cqFlags;
            cqSlots = new ArrayList<>(o.cqSlots);
        }

        /** An empty ring of the given sizes and setup flags: zero counters, zeroed slots, identity SQ array. */
        public static Builder emptyRing(int sqEntries, int cqEntries, int setupFlags) {
            List<Integer> array = new ArrayList<>();
            if ((setupFlags & IORING_SETUP_NO_SQARRAY) == 0) {
                for (int i = 0; i < sqEntries; i++) {
                    array.add(i);
                }
            }
            List<Cqe> slots = new ArrayList<>();
            for (int i = 0; i < cqEntries; i++) {
                slots.add(new Cqe(0, 0, 0, 0, 0));
            }
            return new Builder(new RingObservation(0, true, sqEntries, cqEntries, setupFlags, 0, 0, 0, 0, array,
                    List.of(), 0, 0, 0, 0, slots));
        }

        public Builder result(int value) {
            result = value;
            return this;
        }

        public Builder exists(boolean value) {
            exists = value;
            return this;
        }

        public Builder sq(int head, int tail) {
            sqHead = head;
            sqTail = tail;
            return this;
        }

        public Builder sqFlags(int value) {
            sqFlags = value;
            return this;
        }

        public Builder sqDropped(int value) {
            sqDropped = value;
            return this;
        }

        public Builder sqArray(List<Integer> value) {
            sqArray = value;
            return this;
        }

        public Builder pendingSqes(List<PendingSqe> value) {
            pendingSqes = value;
            return this;
        }

        public Builder cq(int head, int tail) {
            cqHead = head;
            cqTail = tail;
            return this;
        }

        public Builder cqOverflow(int value) {
            cqOverflow = value;
            return this;
        }

        public Builder cqFlags(int value) {
            cqFlags = value;
            return this;
        }

        /** Writes the 16-byte (or, on a CQE32 ring, 32-byte) slot {@code index}. */
        public Builder slot(int index, Cqe cqe) {
            cqSlots.set(index, cqe);
            return this;
        }

        /**
         * Writes {@code cqe} at the slot of {@code counter} the way the kernel posts it: on a {@code CQE_MIXED} ring
         * a CQE with {@code F_32} also fills the next slot with its big_cqe words.
         */
        public Builder post(int counter, Cqe cqe) {
            int index = counter & (cqEntries - 1);
            boolean mixed = (setupFlags & IORING_SETUP_CQE_MIXED) != 0;
            if (mixed && (cqe.flags() & IORING_CQE_F_32) != 0 && index + 1 < cqEntries) {
                cqSlots.set(index, new Cqe(cqe.userData(), cqe.res(), cqe.flags(), 0, 0));
                boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
                int res = (int) (little ? cqe.big1() : cqe.big1() >>> 32);
                int flags = (int) (little ? cqe.big1() >>> 32 : cqe.big1());
                cqSlots.set(index + 1, new Cqe(cqe.big0(), res, flags, 0, 0));
            } else {
                cqSlots.set(index, mixed ? new Cqe(cqe.userData(), cqe.res(), cqe.flags(), 0, 0) : cqe);
            }
            return this;
        }

        public RingObservation build() {
            return new RingObservation(result, exists, sqEntries, cqEntries, setupFlags, sqHead, sqTail, sqFlags,
                    sqDropped, sqArray, pendingSqes, cqHead, cqTail, cqOverflow, cqFlags, cqSlots);
        }
    }
}
