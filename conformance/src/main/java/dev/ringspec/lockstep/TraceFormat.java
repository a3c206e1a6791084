package dev.ringspec.lockstep;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.seam.U32;
import dev.ringspec.uapi.IoUringProbe;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The trace's lines, written once as printf formats in the C reproducers' runtime
 * ({@code reproducers/ringspec-reproducer.h}, {@code #define TRACE_...}): the C reproducer prints them, and the
 * engine's trace ({@link LockstepRunner#trace}) reads them from there and formats them in Java, so a C program's
 * output and the engine's trace of the same steps can be compared line for line.
 */
final class TraceFormat {
    /** After a step on a ring: the result, then SQ head, tail, dropped, flags and CQ head, tail, overflow, flags. */
    static final String STEP = format("TRACE_STEP");
    /** After a step with no ring (before the first setup, or after a failed one). */
    static final String STEP_NO_RING = format("TRACE_STEP_NO_RING");
    /** A step the engine refused: it ran on neither side. */
    static final String REFUSED = format("TRACE_REFUSED");
    /** Appended to a PROBE step's line: the {@code last_op} and {@code ops_len} written back. */
    static final String PROBE = format("TRACE_PROBE");
    /** The line after the last step: the SQEs between the SQ head and tail, each as {@link #SQE}. */
    static final String SQES = format("TRACE_SQES");
    static final String SQE = format("TRACE_SQE");
    /** The last line: the CQE slots between the CQ head and tail, each as {@link #CQE}, {@link #CQE_BIG} on CQE32. */
    static final String CQES = format("TRACE_CQES");
    static final String CQE = format("TRACE_CQE");
    static final String CQE_BIG = format("TRACE_CQE_BIG");
    static final String CQE_END = format("TRACE_CQE_END");
    static final String NO_RING = format("TRACE_NO_RING");

    private TraceFormat() {
    }

    /**
     * Formats a C printf format in Java: {@code %u} takes a u32 (passed as an int), {@code %llu} and {@code %llx}
     * a u64 (a long), {@code %d} and {@code %x} an int.
     */
    static String format(String cFormat, Object... args) {
        Object[] javaArgs = args.clone();
        StringBuilder java = new StringBuilder();
        int arg = 0;
        for (int i = 0; i < cFormat.length(); i++) {
            char c = cFormat.charAt(i);
            if (c != '%') {
                java.append(c);
                continue;
            }
            String spec = cFormat.startsWith("%llu", i) ? "%llu" : cFormat.startsWith("%llx", i) ? "%llx"
                    : cFormat.substring(i, i + 2);
            switch (spec) {
                case "%u" -> {
                    javaArgs[arg] = U32.value((Integer) args[arg]);
                    java.append("%d");
                }
                case "%llu" -> {
                    javaArgs[arg] = Long.toUnsignedString((Long) args[arg]);
                    java.append("%s");
                }
                case "%llx" -> java.append("%x");
                case "%d", "%x" -> java.append(spec);
                default -> throw new IllegalArgumentException("format " + spec + " is not one the trace uses");
            }
            arg++;
            i += spec.length() - 1;
        }
        return String.format(java.toString(), javaArgs);
    }

    /** The format the C runtime defines as {@code #define name "..."}. */
    private static String format(String name) {
        Matcher m = Pattern.compile("(?m)^#define " + name + " \"([^\"\\\\]*)\"$").matcher(CReproducer.runtime());
        if (!m.find()) {
            throw new IllegalStateException("the reproducers' runtime defines no trace format " + name);
        }
        return m.group(1);
    }

    static String stepLine(int index, Counters o) {
        if (!o.exists()) {
            return format(STEP_NO_RING, index, o.result());
        }
        return format(STEP, index, o.result(), o.sqHead(), o.sqTail(), o.sqDropped(), o.sqFlags(), o.cqHead(),
                o.cqTail(), o.cqOverflow(), o.cqFlags());
    }

    /** The line of step {@code index} as {@code traced} saw it, with what a PROBE step wrote into its argument. */
    static String stepLine(int index, Step step, Side traced) {
        String line = stepLine(index, traced.observeCounters());
        if (step.effective() instanceof Step.Probe p) {
            line += probeSuffix(Byte.toUnsignedInt(traced.probeArg(p).get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)),
                    Byte.toUnsignedInt(traced.probeArg(p).get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET)));
        }
        return line;
    }

    static String refusedLine(int index) {
        return format(REFUSED, index);
    }

    static boolean isRefused(String line) {
        return line.endsWith(": refused");
    }

    static String probeSuffix(int lastOp, int opsLen) {
        return format(PROBE, lastOp, opsLen);
    }

    static String sqesLine(Side s) {
        if (!s.hasRing()) {
            return SQES + NO_RING;
        }
        StringBuilder b = new StringBuilder(SQES);
        for (Side.PendingSqe e : s.pendingSqes()) {
            b.append(format(SQE, e.position(), e.opcode(), e.flags(), e.userData()));
        }
        return b.toString();
    }

    /** The CQE slots between head and tail, one by one (a 32-byte CQE of a CQE_MIXED ring is two), byte for byte. */
    static String cqesLine(Side s) {
        if (!s.hasRing()) {
            return CQES + NO_RING;
        }
        int head = s.cq.readOnceHead();
        long n = Math.min(U32.distance(s.cq.loadAcquireTail(), head), s.cqEntries);
        StringBuilder b = new StringBuilder(CQES);
        for (int i = 0; i < n; i++) {
            int slot = (head + i) & s.cqMask;
            b.append(format(CQE, s.cq.userData(slot), s.cq.res(slot), s.cq.flags(slot)));
            if (s.cqeBytes == 32) {
                b.append(format(CQE_BIG, s.cq.bigCqe(slot, 0), s.cq.bigCqe(slot, 1)));
            }
            b.append(CQE_END);
        }
        return b.toString();
    }

    /** The pending SQEs as a divergence value: {@code [{pos P: opcode O, flags 0xF, ud U}, ...]}. */
    static String pendingSqesValue(Side s) {
        List<String> each = s.pendingSqes().stream()
                .map(e -> format(SQE, e.position(), e.opcode(), e.flags(), e.userData()).trim()).toList();
        return "[" + String.join(", ", each) + "]";
    }

    /**
     * {@link #pendingSqesValue(Side)}, then the 8-byte word of the SQE array that holds byte {@code at} (where the
     * two sides' pending SQEs first differ, {@link Comparison#pendingSqeMismatch}) as this side has it, with the
     * SQE fields that word holds: {@code [...] at pos 29 byte 4 (opcode flags ioprio fd): 06 00 00 00 07 00 00 00}.
     */
    static String pendingSqesValue(Side s, long at) {
        String list = pendingSqesValue(s);
        long sqeBytes = s.sq.sqeSizeBytes();
        if (at < 0 || at >= s.sqEntries * sqeBytes) {
            return list;
        }
        int index = (int) (at / sqeBytes);
        int byteInSqe = (int) (at % sqeBytes);
        int word = byteInSqe & ~7;
        int position = s.pendingSqes().stream().filter(p -> (p.position() & s.sqMask) == index)
                .mapToInt(Side.PendingSqe::position).findFirst().orElse(index);
        StringBuilder b = new StringBuilder(list).append(" at pos ").append(U32.value(position)).append(" byte ")
                .append(byteInSqe).append(" (").append(sqeWord(word)).append("):");
        for (int i = 0; i < 8; i++) {
            b.append(String.format(" %02x", s.sq.sqes().get(JAVA_BYTE, index * sqeBytes + word + i)));
        }
        return b.toString();
    }

    /** The fields of {@code struct io_uring_sqe} in the 8-byte word at {@code offset}. */
    private static String sqeWord(int offset) {
        return switch (offset) {
            case 0 -> "opcode flags ioprio fd";
            case 8 -> "off";
            case 16 -> "addr";
            case 24 -> "len op_flags";
            case 32 -> "user_data";
            case 40 -> "buf_index personality file_index";
            case 48 -> "addr3";
            case 56 -> "__pad2";
            default -> "cmd";
        };
    }
}
