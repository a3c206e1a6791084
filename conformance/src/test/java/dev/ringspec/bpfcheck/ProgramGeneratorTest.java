package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MAXINSNS;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RSH;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The generator is reproducible by seed and reaches every edge the issue names. */
class ProgramGeneratorTest {
    @Test
    void aCaseIsReplayedByItsSeed() {
        long seed = ProgramGenerator.caseSeed(7, 12345);
        assertThat(ProgramGenerator.generate(seed)).isEqualTo(ProgramGenerator.generate(seed));
        assertThat(ProgramGenerator.generate(seed).seed()).isEqualTo(seed);
        assertThat(ProgramGenerator.caseSeed(7, 1)).isNotEqualTo(ProgramGenerator.caseSeed(7, 2))
                .isNotEqualTo(ProgramGenerator.caseSeed(8, 1));
    }

    @Test
    void twentyThousandCasesReachTheEdges() {
        Map<String, Integer> seen = new TreeMap<>();
        for (long i = 0; i < 20_000; i++) {
            BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(1, i));
            List<SockFilter> p = c.program();
            int n = p.size();
            count(seen, "empty program", n == 0);
            count(seen, "BPF_MAXINSNS", n == BPF_MAXINSNS);
            count(seen, "BPF_MAXINSNS + 1", n == BPF_MAXINSNS + 1);
            count(seen, "one instruction", n == 1);
            count(seen, "empty packet", c.packetLength() == 0);
            count(seen, "packet over 1500 bytes", c.packetLength() > 1500);
            for (int pc = 0; pc < n; pc++) {
                SockFilter f = p.get(pc);
                int code = f.code();
                count(seen, "div by X", code == (BPF_ALU | BPF_DIV | BPF_X));
                count(seen, "mod by K", code == (BPF_ALU | BPF_MOD | BPF_K) && f.k() != 0);
                count(seen, "div by K = 0", code == (BPF_ALU | BPF_DIV | BPF_K) && f.k() == 0);
                count(seen, "shift by K >= 32", (code == (BPF_ALU | BPF_LSH | BPF_K)
                        || code == (BPF_ALU | BPF_RSH | BPF_K)) && Integer.compareUnsigned(f.k(), 32) >= 0);
                count(seen, "shift by X", code == (BPF_ALU | BPF_LSH | BPF_X) || code == (BPF_ALU | BPF_RSH | BPF_X));
                count(seen, "LDX MSH", code == (BPF_LDX | BPF_B | BPF_MSH));
                count(seen, "LEN", code == (BPF_LD | BPF_W | BPF_LEN) || code == (BPF_LDX | BPF_W | BPF_LEN));
                count(seen, "JSET", Filter.bpfClass(code) == BPF_JMP && Filter.bpfOp(code) == BPF_JSET);
                count(seen, "ancillary load", code == (BPF_LD | BPF_W | BPF_ABS)
                        && Integer.compareUnsigned(f.k(), SKF_AD_OFF) >= 0);
                count(seen, "load ending at the packet's end", code == (BPF_LD | BPF_W | BPF_ABS)
                        && f.k() + 4 == c.packetLength());
                count(seen, "load past the packet's end", code == (BPF_LD | BPF_W | BPF_ABS) && f.k() >= 0
                        && f.k() + 4 > c.packetLength());
                count(seen, "negative constant", f.k() < 0);
                boolean ja = code == (BPF_JMP | BPF_JA);
                boolean conditional = Filter.bpfClass(code) == BPF_JMP && !ja;
                count(seen, "jump to the last instruction", conditional && pc + 1 + f.jt() == n - 1
                        || ja && pc + 1L + f.k() == n - 1);
                count(seen, "jump one past the end", conditional && pc + 1 + f.jf() == n
                        || ja && pc + 1L + f.k() == n);
                count(seen, "unknown code", !dev.ringspec.bpf.ClassicChecker.chkCodeAllowed(code));
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrder("empty program", "BPF_MAXINSNS", "BPF_MAXINSNS + 1",
                "one instruction", "empty packet", "packet over 1500 bytes", "div by X", "mod by K", "div by K = 0",
                "shift by K >= 32", "shift by X", "LDX MSH", "LEN", "JSET", "ancillary load",
                "load ending at the packet's end", "load past the packet's end", "negative constant",
                "jump to the last instruction", "jump one past the end", "unknown code");
    }

    private static void count(Map<String, Integer> seen, String label, boolean hit) {
        if (hit) {
            seen.merge(label, 1, Integer::sum);
        }
    }
}
