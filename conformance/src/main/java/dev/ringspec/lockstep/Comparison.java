package dev.ringspec.lockstep;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringSqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares what an application can observe of the two sides after one step, in a fixed order, and names the first
 * difference: the syscall's result, whether a ring exists, what setup, resize, probe and register calls wrote back
 * into their arguments, the ring's counters and flags ({@link Counters.Word}), the SQEs a resize carried over,
 * the CQ's size, and the bytes of every visible CQE slot.
 */
final class Comparison {
    private Comparison() {
    }

    /** What differs after {@code step}, as a divergence's field and the two values; null if nothing does. */
    record Difference(String field, String referenceValue, String subjectValue) {
    }

    /**
     * The first difference between the sides after {@code step}; {@code reference} and {@code subject} are the
     * observations of their counters just taken.
     */
    static Difference compare(Step step, Side ref, Counters reference, Side sub, Counters subject) {
        if (ref.result != sub.result) {
            return new Difference("Result", Errno.describe(ref.result), Errno.describe(sub.result));
        }
        if (ref.hasRing() != sub.hasRing()) {
            return new Difference("RingExists", String.valueOf(ref.hasRing()), String.valueOf(sub.hasRing()));
        }
        Difference writeBack = writeBack(step.effective(), ref, sub);
        if (writeBack != null || !ref.hasRing()) {
            return writeBack;
        }
        for (Counters.Word w : Counters.Word.values()) {
            int r = w.of(reference);
            int s = w.of(subject);
            if (r != s) {
                return new Difference(w.field(), w.describe(r), w.describe(s));
            }
        }
        if (step.effective() instanceof Step.Resize && ref.result == 0) {
            // What a resize carried over: the SQEs between the SQ head and tail, at their new positions, and the
            // SQ array entries that name them.
            long at = pendingSqeMismatch(ref, reference, sub);
            if (at != -1) {
                // the SQE summary leaves most fields out: name the first bytes that differ, as each side has them
                return new Difference("PendingSqes", TraceFormat.pendingSqesValue(ref, at),
                        TraceFormat.pendingSqesValue(sub, at));
            }
            List<Integer> refArray = pendingArray(ref.observe());
            List<Integer> subArray = pendingArray(sub.observe());
            if (!refArray.equals(subArray)) {
                return new Difference("PendingSqes", TraceFormat.pendingSqesValue(ref) + " sq array " + refArray,
                        TraceFormat.pendingSqesValue(sub) + " sq array " + subArray);
            }
        }
        if (ref.cqEntries != sub.cqEntries || ref.cqeBytes != sub.cqeBytes) {
            return new Difference("CqEntries", String.valueOf(ref.cqEntries), String.valueOf(sub.cqEntries));
        }
        if (cqeSlotsDiffer(ref, reference, sub)) {
            return new Difference("CQEs", Divergence.visibleCqes(ref.observe()).toString(),
                    Divergence.visibleCqes(sub.observe()).toString());
        }
        return worldBytes(ref, sub);
    }

    /**
     * How many of the things {@link #compare} compares differ after {@code step}: the result, whether a ring exists,
     * the write-back, each counter and each flag of the two flags words, the SQEs a resize carried over, the CQ's
     * size, each CQE that one side shows outside the longest common subsequence of the two sides' CQEs (1 where only
     * bytes {@link Cqe#toString} leaves out differ), and each kind of world buffer whose bytes differ. 0 exactly where
     * {@code compare} finds nothing. It orders near misses for the choice search ({@link ChoiceRebuild}); it is not a
     * verdict.
     */
    static int differences(Step step, Side ref, Counters reference, Side sub, Counters subject) {
        int n = ref.result != sub.result ? 1 : 0;
        if (ref.hasRing() != sub.hasRing()) {
            return n + 1;
        }
        n += writeBack(step.effective(), ref, sub) != null ? 1 : 0;
        if (!ref.hasRing()) {
            return n;
        }
        for (Counters.Word w : Counters.Word.values()) {
            int bits = w.of(reference) ^ w.of(subject);
            boolean flags = w == Counters.Word.SQ_FLAGS || w == Counters.Word.CQ_FLAGS;
            n += flags ? Integer.bitCount(bits) : bits != 0 ? 1 : 0;
        }
        if (step.effective() instanceof Step.Resize && ref.result == 0 && (pendingSqesDiffer(ref, reference, sub)
                || !pendingArray(ref.observe()).equals(pendingArray(sub.observe())))) {
            n++;
        }
        boolean sameCq = ref.cqEntries == sub.cqEntries && ref.cqeBytes == sub.cqeBytes;
        n += sameCq ? 0 : 1;
        int cqes = cqeDistance(ref, sub);
        n += cqes == 0 && sameCq && cqeSlotsDiffer(ref, reference, sub) ? 1 : cqes;
        for (MemorySegment[] pair : worldBuffers(ref, sub)) {
            n += pair[0].mismatch(pair[1]) >= 0 ? 1 : 0;
        }
        return n;
    }

    /**
     * What {@link #compare} compares of one side after an enter, as a value: the result, the counters and flags, the
     * CQEs between the CQ head and tail, and a digest of the world's buffers (plain, provided and registered ones).
     * Two sides whose values are equal look alike to the comparison; the choice search keeps one of them in its beam
     * ({@link ChoiceRebuild}).
     */
    record Shown(Counters counters, List<Cqe> cqes, String worldDigest) {
    }

    /** {@link Shown} of {@code side} now. */
    static Shown shown(Side side) {
        String digest = "";
        if (side.hasWorld()) {
            try {
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                for (MemorySegment m : side.worldBuffers()) {
                    sha.update(m.asByteBuffer());
                }
                digest = java.util.HexFormat.of().formatHex(sha.digest());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
        return new Shown(side.observeCounters(), Divergence.visibleCqes(side.observe()), digest);
    }

    /** The CQEs either side shows that are not in the longest common subsequence of the two sides' CQEs. */
    private static int cqeDistance(Side ref, Side sub) {
        List<String> x = Divergence.visibleCqes(ref.observe()).stream().map(Object::toString).toList();
        List<String> y = Divergence.visibleCqes(sub.observe()).stream().map(Object::toString).toList();
        int[][] lcs = new int[x.size() + 1][y.size() + 1];
        for (int i = 1; i <= x.size(); i++) {
            for (int j = 1; j <= y.size(); j++) {
                lcs[i][j] = x.get(i - 1).equals(y.get(j - 1)) ? lcs[i - 1][j - 1] + 1
                        : Math.max(lcs[i - 1][j], lcs[i][j - 1]);
            }
        }
        return x.size() + y.size() - 2 * lcs[x.size()][y.size()];
    }

    /** How many of the CQEs both sides show agree in turn from the first: where the first difference among them is. */
    static int agreedCqes(Side ref, Side sub) {
        List<Cqe> x = Divergence.visibleCqes(ref.observe());
        List<Cqe> y = Divergence.visibleCqes(sub.observe());
        int n = 0;
        while (n < x.size() && n < y.size() && x.get(n).equals(y.get(n))) {
            n++;
        }
        return n;
    }

    /** The sides' world buffers, pair by pair: plain, provided and registered ones; none unless both have a world. */
    private static MemorySegment[][] worldBuffers(Side ref, Side sub) {
        List<MemorySegment> r = ref.worldBuffers();
        List<MemorySegment> s = sub.worldBuffers();
        if (r.isEmpty() || s.isEmpty()) {
            return new MemorySegment[0][];
        }
        return new MemorySegment[][] {{r.get(0), s.get(0)}, {r.get(1), s.get(1)}, {r.get(2), s.get(2)}};
    }

    /**
     * The bytes the sides' requests read into their worlds' buffers (plain, provided and registered ones), where
     * both have a world: the first 16 bytes from the first that differs.
     */
    static Difference worldBytes(Side ref, Side sub) {
        for (MemorySegment[] pair : worldBuffers(ref, sub)) {
            long at = pair[0].mismatch(pair[1]);
            if (at >= 0) {
                long from = at & ~3L;
                long bytes = Math.min(16, pair[0].byteSize() - from);
                return new Difference("BufferBytes", "at " + at + ": " + hex(pair[0].asSlice(from, bytes)),
                        "at " + at + ": " + hex(pair[1].asSlice(from, bytes)));
            }
        }
        return null;
    }

    /** What the syscall wrote back into its argument, where it has one the engine compares. */
    private static Difference writeBack(Step step, Side ref, Side sub) {
        return switch (step) {
            case Step.Setup s when differ(ref.params, sub.params) ->
                new Difference("ParamsWriteBack", hex(ref.params), hex(sub.params));
            case Step.Resize r when differ(ref.resizeParams, sub.resizeParams) ->
                new Difference("ResizeParamsWriteBack", hex(ref.resizeParams), hex(sub.resizeParams));
            case Step.Probe p when differ(ref.probeArg(p), sub.probeArg(p)) ->
                new Difference("ProbeArgWriteBack", hex(ref.probeArg(p)), hex(sub.probeArg(p)));
            case Step.RegisterFiles r when registerArgsDiffer(ref, sub) ->
                new Difference("RegisterArgWriteBack", hex(ref.files), hex(sub.files));
            case Step.UpdateFiles u when registerArgsDiffer(ref, sub) ->
                new Difference("RegisterArgWriteBack", hex(ref.files), hex(sub.files));
            case Step.BpfFilterArg f when differ(bpfWithoutPointer(ref), bpfWithoutPointer(sub)) ->
                new Difference("BpfFilterArgWriteBack", hex(bpfWithoutPointer(ref)), hex(bpfWithoutPointer(sub)));
            default -> null;
        };
    }

    /**
     * The {@code struct io_uring_bpf} as a filter registration left it (the kernel writes {@code filter} back, with
     * its pdu_size), less {@code filter_ptr}: an address, which differs between the sides.
     */
    private static MemorySegment bpfWithoutPointer(Side side) {
        MemorySegment bpf = side.filterArgs.bpf();
        long ptr = IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.FILTER_PTR_OFFSET;
        MemorySegment out = MemorySegment.ofArray(new long[(int) (bpf.byteSize() - 8) / 8]); // 8-byte aligned
        MemorySegment.copy(bpf, 0, out, 0, ptr);
        MemorySegment.copy(bpf, ptr + 8, out, ptr, bpf.byteSize() - ptr - 8);
        return out;
    }

    private static boolean registerArgsDiffer(Side ref, Side sub) {
        return differ(ref.files, sub.files)
                || differ(ref.update.asSlice(0, IoUringRsrcUpdate.DATA_OFFSET),
                        sub.update.asSlice(0, IoUringRsrcUpdate.DATA_OFFSET))
                || differ(ref.rsrcRegister.asSlice(0, IoUringRsrcRegister.DATA_OFFSET),
                        sub.rsrcRegister.asSlice(0, IoUringRsrcRegister.DATA_OFFSET));
    }

    private static boolean pendingSqesDiffer(Side ref, Counters reference, Side sub) {
        return pendingSqeMismatch(ref, reference, sub) != -1;
    }

    /**
     * Where the SQEs between the SQ head and tail first differ, as a byte offset into the SQE array (the sides'
     * own addresses left out, {@link #pointers}); -1 where they do not, {@link Long#MAX_VALUE} where the SQ's size or
     * SQE size differs.
     */
    static long pendingSqeMismatch(Side ref, Counters reference, Side sub) {
        if (ref.sqEntries != sub.sqEntries || ref.sq.sqeSizeBytes() != sub.sq.sqeSizeBytes()) {
            return Long.MAX_VALUE;
        }
        long n = Math.min(U32.distance(reference.sqTail(), reference.sqHead()), ref.sqEntries);
        long bytes = ref.sq.sqeSizeBytes();
        for (int i = 0; i < n; i++) {
            long off = ref.sq.sqeOffset((reference.sqHead() + i) & ref.sqMask);
            List<long[]> skipped = pointers(ref.sq.sqes().get(JAVA_BYTE, off), sub.sq.sqes().get(JAVA_BYTE, off));
            long from = off;
            while (true) {
                long m = MemorySegment.mismatch(ref.sq.sqes(), from, off + bytes, sub.sq.sqes(), from, off + bytes);
                if (m == -1) {
                    break;
                }
                long at = from + m;
                long[] field = fieldAt(skipped, at - off);
                if (field == null) {
                    field = fieldAt(worldOperands(ref, sub, off), at - off);
                    if (field == null || sideNeutral(ref, off, field) != sideNeutral(sub, off, field)) {
                        return at;
                    }
                }
                from = off + field[1];
            }
        }
        return -1;
    }

    /** The range of {@code ranges} that holds byte {@code at} of an SQE, or null. */
    private static long[] fieldAt(List<long[]> ranges, long at) {
        return ranges.stream().filter(r -> at >= r[0] && at < r[1]).findFirst().orElse(null);
    }

    /**
     * The fields of the SQE at byte {@code off} of both sides' SQE arrays that {@link OutsideWorld#writeSqe} resolves
     * in each side's own world (a descriptor, an address of the side's memory), where both sides have a world and the
     * SQEs have one opcode and flags: {@code fd} (unless IOSQE_FIXED_FILE), {@code off}, {@code addr}, and a SPLICE's
     * or TEE's {@code splice_fd_in}. They are compared by what they name ({@link #sideNeutral}), not their bytes.
     */
    private static List<long[]> worldOperands(Side ref, Side sub, long off) {
        if (!ref.hasWorld() || !sub.hasWorld()
                || ref.sq.sqes().get(JAVA_SHORT, off) != sub.sq.sqes().get(JAVA_SHORT, off)) {
            return List.of();
        }
        List<long[]> out = new ArrayList<>();
        if ((ref.sq.sqes().get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET) & IoUring.IOSQE_FIXED_FILE) == 0) {
            out.add(new long[] {IoUringSqe.FD_OFFSET, IoUringSqe.FD_OFFSET + 4});
        }
        out.add(new long[] {IoUringSqe.OFF_OFFSET, IoUringSqe.OFF_OFFSET + 8});
        out.add(new long[] {IoUringSqe.ADDR_OFFSET, IoUringSqe.ADDR_OFFSET + 8});
        int opcode = Byte.toUnsignedInt(ref.sq.sqes().get(JAVA_BYTE, off));
        if (opcode == IoUring.IORING_OP_SPLICE || opcode == IoUring.IORING_OP_TEE) {
            out.add(new long[] {IoUringSqe.SPLICE_FD_IN_OFFSET, IoUringSqe.SPLICE_FD_IN_OFFSET + 4});
        }
        return out;
    }

    /** What {@code field} (a {@link #worldOperands} range) of the SQE at byte {@code off} names in its side's world. */
    private static long sideNeutral(Side side, long off, long[] field) {
        MemorySegment sqes = side.sq.sqes();
        if (field[1] - field[0] == 4) {
            return side.world().sideNeutralFd(sqes.get(JAVA_INT, off + field[0]), side.ring.fd());
        }
        return side.world().sideNeutralAddress(sqes.get(JAVA_LONG, off + field[0]), side.buffers.address(),
                side.buffers.byteSize());
    }

    /**
     * The byte ranges of an SQE that hold addresses of the side's own memory ({@link FilterArgs}), which differ
     * between the sides: {@code off} (OPENAT2's open_how) and {@code addr} (a path, a sockaddr). None unless both
     * SQEs are of such an opcode.
     */
    private static List<long[]> pointers(byte refOpcode, byte subOpcode) {
        if (refOpcode != subOpcode) {
            return List.of();
        }
        return switch (Byte.toUnsignedInt(refOpcode)) {
            case IoUring.IORING_OP_OPENAT2 -> List.of(new long[] {IoUringSqe.OFF_OFFSET, IoUringSqe.ADDR_OFFSET + 8});
            case IoUring.IORING_OP_OPENAT, IoUring.IORING_OP_CONNECT ->
                List.<long[]>of(new long[] {IoUringSqe.ADDR_OFFSET, IoUringSqe.ADDR_OFFSET + 8});
            default -> List.of();
        };
    }

    /** The SQ array entries of the positions between the SQ head and tail; empty on a ring without an SQ array. */
    static List<Integer> pendingArray(RingObservation o) {
        if (o.sqArray().isEmpty()) {
            return List.of();
        }
        long n = Math.min(U32.distance(o.sqTail(), o.sqHead()), o.sqEntries());
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(o.sqArray().get((o.sqHead() + i) & (o.sqEntries() - 1)));
        }
        return out;
    }

    /** The CQE slots between the CQ head and tail (at most one ring's worth), byte for byte. */
    private static boolean cqeSlotsDiffer(Side ref, Counters reference, Side sub) {
        int visible = (int) Math.min(U32.distance(reference.cqTail(), reference.cqHead()), ref.cqEntries);
        if (visible == 0) {
            return false;
        }
        int start = reference.cqHead() & ref.cqMask;
        int first = Math.min(visible, ref.cqEntries - start);
        return slotsDiffer(ref, sub, start, first) || slotsDiffer(ref, sub, 0, visible - first);
    }

    private static boolean slotsDiffer(Side ref, Side sub, int fromIndex, int count) {
        if (count == 0) {
            return false;
        }
        long rOff = ref.cq.cqeOffset(fromIndex);
        long sOff = sub.cq.cqeOffset(fromIndex);
        long bytes = (long) count * ref.cqeBytes;
        return MemorySegment.mismatch(ref.cq.memory(), rOff, rOff + bytes, sub.cq.memory(), sOff, sOff + bytes) != -1;
    }

    private static boolean differ(MemorySegment a, MemorySegment b) {
        return a.mismatch(b) != -1;
    }

    private static String hex(MemorySegment m) {
        StringBuilder b = new StringBuilder();
        for (long i = 0; i < m.byteSize(); i += 4) {
            b.append(i == 0 ? "" : " ").append(Integer.toHexString(m.get(JAVA_INT, i)));
        }
        return b.toString();
    }
}
