package dev.ringspec.bpf;

import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A classic program decoded into parallel arrays for the interpreter: one {@link SockFilter} per index, no objects
 * per instruction. It is not checked: run only what a checker accepted, or expect runs outside the model.
 */
public final class ClassicProgram {
    final short[] code;
    final byte[] jt;
    final byte[] jf;
    final int[] k;
    private final List<SockFilter> instructions;

    private ClassicProgram(List<SockFilter> instructions) {
        this.instructions = instructions;
        int n = instructions.size();
        code = new short[n];
        jt = new byte[n];
        jf = new byte[n];
        k = new int[n];
        for (int i = 0; i < n; i++) {
            SockFilter insn = instructions.get(i);
            code[i] = (short) insn.code();
            jt[i] = (byte) insn.jt();
            jf[i] = (byte) insn.jf();
            k[i] = insn.k();
        }
    }

    /**
     * Decodes {@code program}, 1 to {@code BPF_MAXINSNS} instructions.
     *
     * @throws NullPointerException if the program or an instruction is null
     * @throws IllegalArgumentException if the program is empty or longer than {@code BPF_MAXINSNS}
     */
    public static ClassicProgram of(List<SockFilter> program) {
        Objects.requireNonNull(program, "program");
        if (program.isEmpty() || program.size() > Filter.BPF_MAXINSNS) {
            throw new IllegalArgumentException("a classic program has 1 to " + Filter.BPF_MAXINSNS
                    + " instructions, not " + program.size());
        }
        for (int i = 0; i < program.size(); i++) {
            if (program.get(i) == null) {
                throw new NullPointerException("instruction " + i + " of the program is null");
            }
        }
        return new ClassicProgram(List.copyOf(program));
    }

    /** {@link #of(List)} of the given instructions. */
    public static ClassicProgram of(SockFilter... program) {
        return of(Arrays.asList(Objects.requireNonNull(program, "program")));
    }

    public int length() {
        return code.length;
    }

    public List<SockFilter> instructions() {
        return instructions;
    }

    @Override
    public String toString() {
        return instructions.toString();
    }
}
