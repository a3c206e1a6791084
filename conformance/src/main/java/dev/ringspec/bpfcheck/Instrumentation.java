package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_MAXINSNS;
import static dev.ringspec.uapi.Filter.BPF_RET;

import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a program the checker accepted into one whose delivery tells whether the kernel's run returned exactly the
 * model's value, without moving any instruction or changing any jump:
 *
 * <ul>
 * <li>The model's run ended at a RET with value v: each {@code RET K} becomes {@code RET #KEEP} where K = v and
 * {@code RET #0} elsewhere; each {@code RET A} becomes a {@code JA} to an epilogue appended after the last
 * instruction, {@code JEQ #v, 0, 1; RET #KEEP; RET #0}. The datagram arrives whole exactly when the kernel's run
 * returned v at a RET.
 * <li>The run ended without a RET (a failed load or a division by an X of zero, which return 0; an ancillary
 * device load without a device, which returns A): every RET returns what tells it apart from that ending,
 * {@code #KEEP} for an ending of 0 and {@code #0} otherwise. An ending of 0 must drop although every RET keeps:
 * exact. An ending of v &gt; 0 must keep {@code min(length, v)} bytes although every RET drops: exact in the
 * ending, and in v as far as the length shows it.
 * </ul>
 *
 * <p>A program whose epilogue would not fit within {@code BPF_MAXINSNS} runs as it is, observed by its length
 * only: dropped for 0, else {@code min(length, v)} bytes. {@link Instrumented#exact} says which.
 */
public final class Instrumentation {
    /** What an instrumented RET returns to keep the whole datagram. */
    static final int KEEP = -1;
    private static final int EPILOGUE = 3;

    private Instrumentation() {
    }

    /**
     * The program to run and the receive result it must give ({@code -EAGAIN} for a drop, else the bytes kept).
     *
     * @param exact whether the observation pins the model's value exactly ({@link Instrumentation})
     */
    public record Instrumented(List<SockFilter> program, long expectedReceive, boolean exact) {
        public String describeExpected() {
            return expectedReceive == -Errno.EAGAIN ? "dropped" : expectedReceive + " bytes kept";
        }
    }

    /** Instruments {@code program} (accepted by the checker) for the model's {@code run} on a packet of that length. */
    public static Instrumented instrument(List<SockFilter> program, RunResult run, int packetLength) {
        if (!run.insideModel()) {
            throw new IllegalArgumentException("a run outside the model is skipped, never compared: " + run);
        }
        int v = run.value();
        boolean returned = run.ending() == RunResult.Ending.RETURNED;
        boolean hasRetA = program.stream().anyMatch(i -> i.code() == (BPF_RET | BPF_A));
        if (returned && hasRetA && program.size() + EPILOGUE > BPF_MAXINSNS) {
            return uninstrumented(program, run, packetLength);
        }
        int n = program.size();
        List<SockFilter> out = new ArrayList<>(n + EPILOGUE);
        for (int pc = 0; pc < n; pc++) {
            SockFilter insn = program.get(pc);
            boolean retK = insn.code() == (BPF_RET | BPF_K);
            boolean retA = insn.code() == (BPF_RET | BPF_A);
            if (!retK && !retA) {
                out.add(insn);
            } else if (!returned) {
                out.add(SockFilter.stmt(BPF_RET | BPF_K, v == 0 ? KEEP : 0));
            } else if (retK) {
                out.add(SockFilter.stmt(BPF_RET | BPF_K, insn.k() == v ? KEEP : 0));
            } else {
                out.add(SockFilter.jump(BPF_JMP | BPF_JA, n - pc - 1, 0, 0));
            }
        }
        if (returned && hasRetA) {
            out.add(SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, v, 0, 1));
            out.add(SockFilter.stmt(BPF_RET | BPF_K, KEEP));
            out.add(SockFilter.stmt(BPF_RET | BPF_K, 0));
        }
        long expected = returned ? packetLength : byLength(v, packetLength);
        return new Instrumented(out, expected, returned || v == 0);
    }

    /** Whether {@code b} is {@code a} with at most the K of some {@code RET K} instructions changed. */
    static boolean sameShape(List<SockFilter> a, List<SockFilter> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            SockFilter x = a.get(i);
            SockFilter y = b.get(i);
            if (!x.equals(y) && !(x.code() == (BPF_RET | BPF_K) && y.code() == (BPF_RET | BPF_K)
                    && x.jt() == y.jt() && x.jf() == y.jf())) {
                return false;
            }
        }
        return true;
    }

    /** {@code program} as it is, observed by its length only. */
    public static Instrumented uninstrumented(List<SockFilter> program, RunResult run, int packetLength) {
        return new Instrumented(program, byLength(run.value(), packetLength), false);
    }

    /** What the receiver gets from a run that returns {@code v}: nothing for 0, else at most v bytes. */
    static long byLength(int v, int packetLength) {
        return v == 0 ? -Errno.EAGAIN : Math.min(packetLength, Integer.toUnsignedLong(v));
    }
}
