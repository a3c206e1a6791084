package dev.ringspec.teach;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;

import dev.ringspec.seam.CqeReader.VisibleCqe;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.FlagNames;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.RingObservation.PendingSqe;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.UapiNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The pictures of one ring, as slots: what each SQ and CQ slot holds after a step, read from the ring memory an
 * application sees. {@link #sqSlots} and {@link #cqSlots} are shared by the terminal ({@link #lines}) and the HTML page.
 * A head or tail is a free-running counter; its slot is {@code counter & mask}, and the wrap point is the last slot,
 * after which the next counter lands on slot 0 again.
 */
public final class RingPicture {
    private RingPicture() {
    }

    /** What one SQ slot shows: its SQ array word, the SQE pending there (or null), and the counters on it. */
    public record SqSlot(int index, Integer arrayWord, PendingSqe pending, boolean head, boolean tail) {
    }

    /** What a CQ slot holds: a CQE the application can see, the second half of a 32-byte one, a skip, or old. */
    public enum CqState {
        VISIBLE, SECOND_HALF, SKIP, OLD, EMPTY
    }

    /** One CQ slot, with the CQE in it and the counters that point at it. */
    public record CqSlot(int index, CqState state, Cqe cqe, boolean head, boolean tail) {
    }

    /** The SQ's slots in index order. */
    public static List<SqSlot> sqSlots(RingObservation o) {
        List<SqSlot> slots = new ArrayList<>();
        int mask = o.sqEntries() - 1;
        for (int i = 0; i < o.sqEntries(); i++) {
            PendingSqe at = null;
            for (PendingSqe p : o.pendingSqes()) {
                if ((p.counter() & mask) == i) {
                    at = p;
                }
            }
            slots.add(new SqSlot(i, o.sqArray().isEmpty() ? null : o.sqArray().get(i), at,
                    (o.sqHead() & mask) == i, (o.sqTail() & mask) == i));
        }
        return slots;
    }

    /** The CQ's slots in index order: the visible range read from the head as an application reads it. */
    public static List<CqSlot> cqSlots(RingObservation o) {
        int mask = o.cqEntries() - 1;
        CqState[] states = new CqState[o.cqEntries()];
        for (int i = 0; i < states.length; i++) {
            Cqe c = o.cqSlots().get(i);
            states[i] = c.userData() == 0 && c.res() == 0 && c.flags() == 0 ? CqState.EMPTY : CqState.OLD;
        }
        for (VisibleCqe v : o.cqes().cqes()) {
            int slot = v.counter() & mask;
            states[slot] = v.isSkip() ? CqState.SKIP : CqState.VISIBLE;
            for (int k = 1; k < v.slotCount(); k++) {
                states[(v.counter() + k) & mask] = v.isSkip() ? CqState.SKIP : CqState.SECOND_HALF;
            }
        }
        List<CqSlot> slots = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            slots.add(new CqSlot(i, states[i], o.cqSlots().get(i), (o.cqHead() & mask) == i,
                    (o.cqTail() & mask) == i));
        }
        return slots;
    }

    /** A counter with its slot: {@code 9 (slot 1, lap 1)}. */
    public static String counter(int counter, int entries) {
        long value = U32.value(counter);
        return value + " (slot " + (counter & (entries - 1)) + ", lap " + value / entries + ")";
    }

    /** An SQE in a few words: {@code NOP ud 5 IO_LINK}. */
    public static String sqe(PendingSqe p, int sqEntries) {
        if (p.droppedBy(sqEntries)) {
            return "index " + Integer.toUnsignedString(p.sqeIndex()) + " (dropped)";
        }
        String name = UapiNames.OPCODES.getOrDefault(p.opcode(), "op " + p.opcode());
        return UapiNames.shortName(name) + " ud " + Long.toUnsignedString(p.userData())
                + (p.flags() != 0 ? " " + FlagNames.sqe(p.flags()) : "");
    }

    /** A CQE in a few words: {@code ud 7 res 0 F_MORE big 0x1111,0x2222}. */
    public static String cqe(Cqe c, boolean big) {
        return "ud " + Long.toUnsignedString(c.userData()) + " res " + res(c.res())
                + (c.flags() != 0 ? " " + FlagNames.cqeFlags(c.flags()) : "")
                + (big ? " big 0x" + Long.toHexString(c.big0()) + ",0x" + Long.toHexString(c.big1()) : "");
    }

    /** The overflow list in one line, oldest first. */
    public static String overflow(List<Cqe> overflowList) {
        return "overflow list (kernel-internal): " + (overflowList.isEmpty() ? "empty" : String.join("; ",
                overflowList.stream().map(c -> cqe(c, false)).toList()));
    }

    /** A CQE's res: the number, or the errno's name when negative. */
    public static String res(int res) {
        return res >= 0 ? Integer.toString(res) : Errno.name(res);
    }

    /** The picture of both rings for the terminal, and the overflow list if given (the model's). */
    public static List<String> lines(RingObservation o, List<Cqe> overflowList) {
        List<String> out = new ArrayList<>();
        if (!o.exists()) {
            out.add("no ring (" + Errno.describe(o.result()) + ")");
            return out;
        }
        out.add("ring flags: " + FlagNames.setup(o.setupFlags()));
        out.add("SQ " + o.sqEntries() + " slots  head " + counter(o.sqHead(), o.sqEntries()) + "  tail "
                + counter(o.sqTail(), o.sqEntries()));
        out.add("   dropped " + U32.value(o.sqDropped()) + "  flags " + FlagNames.sqFlags(o.sqFlags())
                + (o.has(IORING_SETUP_NO_SQARRAY) ? "  (no SQ array: slot = SQE)" : ""));
        for (SqSlot s : sqSlots(o)) {
            String marks = (s.head() ? "H" : " ") + (s.tail() ? "T" : " ");
            out.add(String.format(" %s [%2d]%s %s%s", marks, s.index(),
                    s.arrayWord() == null ? "" : " array->" + Integer.toUnsignedString(s.arrayWord()),
                    s.pending() == null ? "." : "pending " + sqe(s.pending(), o.sqEntries()),
                    s.index() == o.sqEntries() - 1 ? "   -- wrap: slot 0 is next" : ""));
        }
        boolean cqe32 = o.has(IORING_SETUP_CQE32);
        out.add("CQ " + o.cqEntries() + " slots" + (cqe32 ? " of 32 bytes" : "") + "  head "
                + counter(o.cqHead(), o.cqEntries()) + "  tail " + counter(o.cqTail(), o.cqEntries()));
        out.add("   overflow " + U32.value(o.cqOverflow()) + "  flags 0x" + Integer.toHexString(o.cqFlags()));
        for (CqSlot s : cqSlots(o)) {
            String marks = (s.head() ? "H" : " ") + (s.tail() ? "T" : " ");
            String what = switch (s.state()) {
                case VISIBLE -> cqe(s.cqe(), cqe32 || (s.cqe().flags() & 0x8000) != 0);
                case SECOND_HALF -> "(second half of the 32-byte CQE before)";
                case SKIP -> "skip CQE: filler up to the wrap";
                case OLD -> "old: " + cqe(s.cqe(), false);
                case EMPTY -> ".";
            };
            out.add(String.format(" %s [%2d] %s%s", marks, s.index(), what,
                    s.index() == o.cqEntries() - 1 ? "   -- wrap: slot 0 is next" : ""));
        }
        if (overflowList != null) {
            out.add(overflow(overflowList));
        }
        return out;
    }
}
