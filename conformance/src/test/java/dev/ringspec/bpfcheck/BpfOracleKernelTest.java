package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.SockFilter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A CI-sized oracle run against this kernel's socket filters: no difference, and the edges reached. */
@Tag("kernel")
class BpfOracleKernelTest {
    /** Generated programs; {@code -Dbpfcheck.programs=N} for a longer run. */
    private static final long PROGRAMS = Long.getLong("bpfcheck.programs", 20_000);

    @Test
    void generatedProgramsAgreeWithThisKernel() {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            StringWriter text = new StringWriter();
            BpfCheck.Summary s = new BpfCheck(new BpfOracle(kernel, SocketFilterModel.of(Set.of())),
                    BpfCheck.Config.of(11, PROGRAMS)).run(new PrintWriter(text, true));
            assertThat(s.findings()).as(text.toString()).isEmpty();
            assertThat(s.differing()).isZero();
            assertThat(s.accepted() + s.rejected() + s.outside()).isEqualTo(PROGRAMS);
            assertThat(s.accepted()).isGreaterThan(PROGRAMS / 4);
            assertThat(s.rejected()).isGreaterThan(PROGRAMS / 10);
            assertThat(s.exact()).isGreaterThan(s.byLength());
            for (String edge : List.of("div/mod by X", "shift by X", "LDX MSH", "LEN", "JSET",
                    "load past the packet's end", "load ending at the packet's end", "jump to the last instruction",
                    "scratch read", "RETURNED", "LOAD_FAILED", "DIVIDED_BY_ZERO", "check_load_and_stores",
                    "chk_code_allowed", "bpf_check_basics_ok")) {
                assertThat(s.coverage().count(edge)).as(edge).isPositive();
            }
        }
    }

    @Test
    void aWrongModelValueIsSeenExactly() {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            // ldh [0]; ret a on 01 02: the kernel returns 0x0102 = 258, the little-endian mutant 0x0201 = 513; a
            // 2-byte datagram is kept whole by either, so only the exact comparison tells them apart
            BpfCase c = new BpfCase(0, List.of(SockFilter.stmt(BPF_LD | BPF_H | BPF_ABS, 0),
                    SockFilter.stmt(BPF_RET | BPF_A, 0)), new byte[] {1, 2});
            assertThat(new BpfOracle(kernel, SocketFilterModel.of(Set.of())).check(c))
                    .isInstanceOf(BpfOracle.Verdict.Agreed.class);
            BpfOracle.Verdict mutant = new BpfOracle(kernel, SocketFilterModel.of(
                    Set.of(BpfMutant.HALFWORD_LITTLE_ENDIAN))).check(c);
            assertThat(mutant).isInstanceOfSatisfying(BpfOracle.Verdict.Differed.class,
                    d -> assertThat(d.difference().kind()).isEqualTo(BpfOracle.Kind.RESULT));
        }
    }
}
