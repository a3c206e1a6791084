package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_RSH;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static dev.ringspec.uapi.Filter.SKF_NET_OFF;

import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the generated cases reached: for programs both sides accepted and ran, how many contain each instruction
 * class and each edge form (division by X, shifts by X, loads at and past the packet's end, ...), how the model's
 * runs ended; for rejected programs, the checker function that refused them; and why cases were outside the model.
 */
public final class BpfCoverage {
    private static final String[] CLASSES = {"LD", "LDX", "ST", "STX", "ALU", "JMP", "RET", "MISC"};

    private final Map<String, Long> classes = new TreeMap<>();
    private final Map<String, Long> edges = new TreeMap<>();
    private final Map<String, Long> endings = new TreeMap<>();
    private final Map<String, Long> rejections = new TreeMap<>();
    private final Map<String, Long> outside = new TreeMap<>();

    public void accepted(BpfCase c, RunResult run) {
        endings.merge(run.ending().name(), 1L, Long::sum);
        List<SockFilter> program = c.program();
        boolean[] seen = new boolean[8];
        Set<String> forms = new HashSet<>();
        int n = program.size();
        for (int pc = 0; pc < n; pc++) {
            SockFilter insn = program.get(pc);
            seen[Filter.bpfClass(insn.code())] = true;
            forms.addAll(edgesOf(insn, pc, n, c.packetLength()));
        }
        for (String form : forms) {
            edges.merge(form, 1L, Long::sum);
        }
        for (int i = 0; i < seen.length; i++) {
            if (seen[i]) {
                classes.merge(CLASSES[i], 1L, Long::sum);
            }
        }
        if (n > 1000) {
            edges.merge("program longer than 1,000 instructions", 1L, Long::sum);
        }
        if (c.packetLength() == 0) {
            edges.merge("empty packet", 1L, Long::sum);
        }
    }

    public void rejected(CheckResult check) {
        String reason = check.reason();
        int colon = reason.indexOf(':');
        rejections.merge(colon < 0 ? reason : reason.substring(0, colon), 1L, Long::sum);
    }

    public void outside(String reason) {
        int colon = reason.indexOf(':', reason.indexOf(':') + 1);
        outside.merge(colon < 0 ? reason : reason.substring(0, colon), 1L, Long::sum);
    }

    /** The edge forms one instruction of an accepted program counts for (each program counts once per form). */
    private static List<String> edgesOf(SockFilter insn, int pc, int n, int packetLength) {
        int code = insn.code();
        int k = insn.k();
        return switch (Filter.bpfClass(code)) {
            case BPF_ALU -> switch (Filter.bpfOp(code)) {
                case BPF_DIV, BPF_MOD -> List.of(Filter.bpfSrc(code) == BPF_X ? "div/mod by X" : "div/mod by K");
                case BPF_LSH, BPF_RSH -> List.of(Filter.bpfSrc(code) == BPF_X ? "shift by X" : "shift by K");
                default -> k < 0 && Filter.bpfSrc(code) != BPF_X ? List.of("negative K") : List.of();
            };
            case BPF_LD, BPF_LDX -> loadEdges(code, k, packetLength);
            case BPF_JMP -> {
                int op = Filter.bpfOp(code);
                boolean toLast = op == BPF_JA ? pc + 1 + (long) k == n - 1
                        : pc + 1 + insn.jt() == n - 1 || pc + 1 + insn.jf() == n - 1;
                String form = op == BPF_JSET ? "JSET" : op == BPF_JA ? "JA" : "JEQ/JGT/JGE";
                yield toLast ? List.of(form, "jump to the last instruction") : List.of(form);
            }
            case BPF_RET -> Filter.bpfRval(code) == BPF_A ? List.of("RET A") : List.of();
            default -> List.of();
        };
    }

    private static List<String> loadEdges(int code, int k, int packetLength) {
        int mode = Filter.bpfMode(code);
        if (mode == BPF_LEN) {
            return List.of("LEN");
        }
        if (mode == BPF_MSH) {
            return List.of("LDX MSH");
        }
        if (mode == BPF_MEM) {
            return List.of("scratch read");
        }
        if (mode == BPF_IND) {
            return List.of("indirect load");
        }
        if (mode != BPF_ABS || Filter.bpfClass(code) != BPF_LD) {
            return List.of();
        }
        if (Integer.compareUnsigned(k, SKF_AD_OFF) >= 0) {
            return List.of("ancillary load");
        }
        if (k < 0) {
            return List.of(k >= SKF_NET_OFF ? "SKF_NET_OFF load" : "load below SKF_NET_OFF");
        }
        int size = Filter.bpfSize(code) == BPF_W ? 4 : Filter.bpfSize(code) == 0x08 ? 2 : 1;
        long end = (long) k + size;
        return end == packetLength ? List.of("load ending at the packet's end")
                : end > packetLength ? List.of("load past the packet's end") : List.of("load inside the packet");
    }

    public void print(PrintWriter out) {
        table(out, "instruction classes (accepted programs containing one)", classes);
        table(out, "edges (accepted programs containing one)", edges);
        table(out, "how the model's runs ended", endings);
        table(out, "rejected by", rejections);
        table(out, "outside the model", outside);
    }

    private static void table(PrintWriter out, String title, Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return;
        }
        out.printf("  %s:%n", title);
        counts.forEach((label, count) -> out.printf("    %-48s %,12d%n", label, count));
    }

    /** A count by label, 0 when never seen (for tests). */
    public long count(String label) {
        for (Map<String, Long> m : List.of(classes, edges, endings, rejections, outside)) {
            Long c = m.get(label);
            if (c != null) {
                return c;
            }
        }
        return 0;
    }
}
