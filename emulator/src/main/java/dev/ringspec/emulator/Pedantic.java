package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.SqRingView;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The emulator's pedantic mode: reports the application's mistakes in the ring protocol, which a kernel silently
 * tolerates or punishes later, by looking at the shared rings at each syscall and comparing with what it saw at
 * the one before. What it cannot see, it does not guess: a library that hands a skip CQE to its user does nothing
 * the rings show (that check belongs in the library's own tests), and an SQE changed between its publication and
 * the next syscall looks the same as one written late.
 */
public final class Pedantic {

    /** The application's mistakes this mode reports. */
    public enum Mistake {
        /** The application moved {@code cq.head} backwards. */
        CQ_HEAD_BACKWARDS,
        /** The application moved {@code cq.head} past the tail (consumed CQEs that were never posted). */
        CQ_HEAD_PAST_TAIL,
        /** On a CQE_MIXED ring, {@code cq.head} stops inside a 32-byte CQE: it was consumed as one slot. */
        CQE32_CONSUMED_AS_ONE_SLOT,
        /** The application moved {@code sq.tail} backwards. */
        SQ_TAIL_BACKWARDS,
        /** The application published more SQEs than the SQ ring holds. */
        SQ_OVERFILLED,
        /** An SQE published at an earlier syscall and not yet consumed was changed. */
        SQE_CHANGED_AFTER_PUBLISH,
        /** After a resize, an SQE was published through an SQ array entry nobody wrote since the resize. */
        SQ_ARRAY_STALE_AFTER_RESIZE
    }

    /** One mistake, at the application's {@code syscall}-th syscall on ring {@code ringFd}. */
    public record Finding(int ringFd, long syscall, Mistake mistake, String message) {
        @Override
        public String toString() {
            return "ring " + ringFd + ", syscall " + syscall + ": " + mistake + ": " + message;
        }
    }

    private static final class Seen {
        long syscalls;
        int cqHead;
        int cqTail;
        int sqTail;
        final Map<Integer, byte[]> publishedSqes = new HashMap<>();
        final Set<Integer> bigSecondHalves = new HashSet<>();
        int[] arrayAfterResize;
    }

    private final Map<Integer, Seen> rings = new HashMap<>();
    private final List<Finding> findings = new ArrayList<>();

    /** Every mistake reported so far, in order. */
    public synchronized List<Finding> findings() {
        return List.copyOf(findings);
    }

    /** A ring was set up: what it shows now is the start. */
    synchronized void setUp(Ring ring) {
        Seen s = new Seen();
        rings.put(ring.fd(), s);
        remember(ring, s);
    }

    /** Before a syscall on {@code ring}: checks what the application did since the last one. */
    synchronized void before(Ring ring) {
        Seen s = rings.get(ring.fd());
        if (s == null) {
            return;
        }
        s.syscalls++;
        RingParams p = ring.params();
        CqRingView cq = ring.cq();
        int head = cq.readOnceHead();
        if (head - s.cqHead < 0) {
            report(ring, s, Mistake.CQ_HEAD_BACKWARDS, "cq.head moved from " + u(s.cqHead) + " back to " + u(head));
        } else if (head - s.cqTail > 0) {
            report(ring, s, Mistake.CQ_HEAD_PAST_TAIL, "cq.head is " + u(head) + ", past the tail " + u(s.cqTail)
                    + ": " + (head - s.cqTail) + " CQEs consumed that were never posted");
        } else if (head != s.cqHead && s.bigSecondHalves.contains(head)) {
            report(ring, s, Mistake.CQE32_CONSUMED_AS_ONE_SLOT, "cq.head " + u(head)
                    + " is the second slot of a 32-byte CQE: advance by two for a CQE with IORING_CQE_F_32");
        }
        SqRingView sq = ring.sq();
        int tail = sq.readOnceTail();
        int kernelHead = sq.readOnceHead();
        if (tail - s.sqTail < 0) {
            report(ring, s, Mistake.SQ_TAIL_BACKWARDS, "sq.tail moved from " + u(s.sqTail) + " back to " + u(tail));
        } else if (tail - kernelHead > p.sqEntries()) {
            report(ring, s, Mistake.SQ_OVERFILLED, (tail - kernelHead) + " SQEs published past the kernel's head "
                    + u(kernelHead) + " on a ring of " + p.sqEntries());
        }
        for (Map.Entry<Integer, byte[]> e : s.publishedSqes.entrySet()) {
            int pos = e.getKey();
            if (pos - kernelHead >= 0 && !Arrays.equals(sqe(ring, pos), e.getValue())) {
                report(ring, s, Mistake.SQE_CHANGED_AFTER_PUBLISH, "the SQE at position " + u(pos)
                        + " changed after sq.tail published it");
            }
        }
        if (s.arrayAfterResize != null && p.hasSqArray()) {
            int mask = p.sqEntries() - 1;
            for (int pos = s.sqTail; pos - tail < 0; pos++) {
                int slot = pos & mask;
                int entry = arrayEntry(ring, slot);
                if (entry == s.arrayAfterResize[slot] && entry != slot) {
                    report(ring, s, Mistake.SQ_ARRAY_STALE_AFTER_RESIZE, "SQ array entry " + slot + " still holds "
                            + entry + " from the resize when position " + u(pos) + " was published");
                }
            }
            s.arrayAfterResize = null;
        }
    }

    /** After a syscall: remembers what the application may not change before the next. */
    synchronized void after(Ring ring, boolean resized) {
        Seen s = rings.get(ring.fd());
        if (s == null) {
            return;
        }
        remember(ring, s);
        if (resized && ring.params().hasSqArray()) {
            int n = ring.params().sqEntries();
            s.arrayAfterResize = new int[n];
            for (int i = 0; i < n; i++) {
                s.arrayAfterResize[i] = arrayEntry(ring, i);
            }
        }
    }

    synchronized void closed(int ringFd) {
        rings.remove(ringFd);
    }

    private static void remember(Ring ring, Seen s) {
        CqRingView cq = ring.cq();
        s.cqHead = cq.readOnceHead();
        s.cqTail = cq.loadAcquireTail();
        SqRingView sq = ring.sq();
        s.sqTail = sq.readOnceTail();
        s.publishedSqes.clear();
        int kernelHead = sq.readOnceHead();
        int pending = s.sqTail - kernelHead;
        if (pending > 0 && pending <= ring.params().sqEntries()) {
            for (int pos = kernelHead; pos != s.sqTail; pos++) {
                s.publishedSqes.put(pos, sqe(ring, pos));
            }
        }
        s.bigSecondHalves.clear();
        if (ring.params().has(IORING_SETUP_CQE_MIXED)) {
            int posted = s.cqTail - s.cqHead;
            if (posted > 0 && posted <= ring.params().cqEntries()) {
                int mask = ring.params().cqEntries() - 1;
                for (int pos = s.cqHead; pos - s.cqTail < 0; pos++) {
                    if ((cq.flags(pos & mask) & IORING_CQE_F_32) != 0) {
                        s.bigSecondHalves.add(pos + 1);
                        pos++;
                    }
                }
            }
        }
    }

    private static int arrayEntry(Ring ring, int slot) {
        return ring.sqRing().get(JAVA_INT_UNALIGNED, ring.params().sqOff().array() + 4L * slot);
    }

    /** The bytes of the SQE published at {@code pos} (through the SQ array when the ring has one). */
    private static byte[] sqe(Ring ring, int pos) {
        RingParams p = ring.params();
        int mask = p.sqEntries() - 1;
        int index = p.hasSqArray() ? arrayEntry(ring, pos & mask) : pos & mask;
        MemorySegment sqes = ring.sqes();
        long size = p.sqeSizeBytes();
        long at = Integer.toUnsignedLong(index) * size;
        if (at + size > sqes.byteSize()) {
            return new byte[0];
        }
        return sqes.asSlice(at, size).toArray(JAVA_BYTE);
    }

    private void report(Ring ring, Seen s, Mistake mistake, String message) {
        findings.add(new Finding(ring.fd(), s.syscalls, mistake, message));
    }

    private static String u(int counter) {
        return Integer.toUnsignedString(counter);
    }
}
