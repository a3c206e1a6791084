package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An instrumented program behaves as the original on the model: same instructions at the same places, accepted,
 * and its run keeps the datagram exactly when the original returns the expected value at a RET.
 */
class InstrumentationTest {
    private static final SocketFilterModel MODEL = SocketFilterModel.of(Set.of());

    @Test
    void retAJumpsToAnEpilogueThatComparesWithTheExpectedValue() {
        List<SockFilter> program = List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_LEN, 0),
                SockFilter.stmt(BPF_RET | BPF_A, 0));
        Instrumentation.Instrumented i = Instrumentation.instrument(program, RunResult.returned(10, 2), 10);
        assertThat(i.program()).containsExactly(SockFilter.stmt(BPF_LD | BPF_W | BPF_LEN, 0),
                SockFilter.jump(BPF_JMP | BPF_JA, 0, 0, 0), SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 10, 0, 1),
                SockFilter.stmt(BPF_RET | BPF_K, -1), SockFilter.stmt(BPF_RET | BPF_K, 0));
        assertThat(i.expectedReceive()).isEqualTo(10);
        assertThat(i.exact()).isTrue();
    }

    @Test
    void generatedProgramsInstrumentedBehaveAsTheOriginalOnTheModel() {
        int compared = 0;
        for (long n = 0; n < 20_000; n++) {
            BpfCase c = ProgramGenerator.generate(ProgramGenerator.caseSeed(2, n));
            if (!MODEL.check(c.program()).accepted()) {
                continue;
            }
            RunResult run = MODEL.run(c.program(), c.packet());
            if (!run.insideModel()) {
                continue;
            }
            Instrumentation.Instrumented i = Instrumentation.instrument(c.program(), run, c.packetLength());
            if (i.program() == c.program()) {
                continue;
            }
            compared++;
            // every instruction but the returns stays where it was; the epilogue only appends
            for (int pc = 0; pc < c.program().size(); pc++) {
                SockFilter was = c.program().get(pc);
                if (Filter.bpfClass(was.code()) != BPF_RET) {
                    assertThat(i.program().get(pc)).as("instruction %d of seed %d", pc, c.seed()).isEqualTo(was);
                }
            }
            assertThat(MODEL.check(i.program()).accepted()).as("seed %d", c.seed()).isTrue();
            RunResult instrumented = MODEL.run(i.program(), c.packet());
            if (run.ending() == RunResult.Ending.RETURNED) {
                assertThat(instrumented.ending()).isEqualTo(RunResult.Ending.RETURNED);
                assertThat(instrumented.value()).as("seed %d", c.seed()).isEqualTo(Instrumentation.KEEP);
                // told another value, the same program drops
                Instrumentation.Instrumented wrong = Instrumentation.instrument(c.program(),
                        RunResult.returned(run.value() + 1, run.executed()), c.packetLength());
                assertThat(MODEL.run(wrong.program(), c.packet()).value()).as("seed %d", c.seed()).isZero();
            } else {
                assertThat(instrumented.ending()).isEqualTo(run.ending());
                assertThat(instrumented.value()).isEqualTo(run.value());
            }
        }
        assertThat(compared).isGreaterThan(5_000);
    }
}
