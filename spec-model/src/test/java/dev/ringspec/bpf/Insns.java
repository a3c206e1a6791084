package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_RET;

import dev.ringspec.uapi.SockFilter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Small builders for test programs: {@code BPF_STMT} and {@code BPF_JUMP} as in linux/filter.h. */
final class Insns {
    private Insns() {
    }

    static SockFilter stmt(int code, int k) {
        return SockFilter.stmt(code, k);
    }

    static SockFilter jump(int code, int k, int jt, int jf) {
        return SockFilter.jump(code, k, jt, jf);
    }

    static SockFilter retK(int k) {
        return stmt(BPF_RET | BPF_K, k);
    }

    static List<SockFilter> prog(SockFilter... insns) {
        return Arrays.asList(insns);
    }

    /** {@code count} copies of {@code insn} followed by {@code tail}. */
    static List<SockFilter> repeat(SockFilter insn, int count, SockFilter... tail) {
        List<SockFilter> program = new ArrayList<>(Collections.nCopies(count, insn));
        program.addAll(Arrays.asList(tail));
        return program;
    }
}
