package dev.ringspec.lockstep;

import static dev.ringspec.lockstep.BpfPrograms.stmt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.bpf.ClassicBpf;
import dev.ringspec.bpf.ClassicProgram;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.SockFilter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter steps' forms (JSON, Java, C, shrinking) and the programs the generator writes for them. */
class FilterStepsTest {
    @TempDir
    Path dir;

    private static final long[] PROGRAM = {stmt(Filter.BPF_LD | Filter.BPF_W | Filter.BPF_ABS, 0),
        BpfPrograms.insn(Filter.BPF_JMP | Filter.BPF_JEQ | Filter.BPF_K, 0, 1, 7),
        stmt(Filter.BPF_RET | Filter.BPF_K, 0), stmt(Filter.BPF_RET | Filter.BPF_K, 1)};

    private static List<Step> filterRun() {
        return List.of(new Step.Setup(4, 0, 0), new Step.RegisterFiles(2, true, 0),
                new Step.RegisterBpfFilter(1, 0, 1, 0, 0, IoUring.IORING_OP_NOP, 0, PROGRAM.length, 0, 0, PROGRAM),
                Step.WriteSqe.nop(0, 0, 0, 0, 7), new Step.WriteArray(0, 0),
                new Step.WriteSocket(1, 0, 1, 2, 0, 0, 1, 8), new Step.WriteArray(1, 1),
                new Step.WriteOpenat(2, 0, -100, FilterArgs.NULL_PATH, 0, 0, 0, 9), new Step.WriteArray(2, 2),
                new Step.WriteConnect(3, 0, -1, 2, 80, 0x7f000001, 16, 0, 10), new Step.WriteArray(3, 3),
                new Step.PublishTail(4), new Step.Enter(4, 0, 0),
                new Step.WriteOpenat2(0, 0, -100, 0, 2, 0644, 0, 24, 0, 11), new Step.WriteArray(4, 0),
                new Step.PublishTail(1), new Step.Enter(1, 0, 0));
    }

    @Test
    void filterStepsSurviveJsonAndHaveTheirForms() {
        List<Step> steps = filterRun();
        ReplayCase c = new ReplayCase(7, "ref", "sub", "7.2.13", "Enter:CQEs", 12, "0", "-1", steps);
        String json = ReplayStore.toJson(c);
        assertThat(json).contains("\"op\" : \"registerBpfFilter\"", "\"op\" : \"writeSocket\"",
                "\"op\" : \"writeOpenat2\"", "\"op\" : \"writeConnect\"");
        assertThat(ReplayStore.fromJson(json)).isEqualTo(c);
        assertThat(StepForms.c(steps.get(2))).isEqualTo("step_register_bpf_filter(1, 0, 1, 0x0u, 0, 0, 0x0u, 4, 0, 0x0u, "
                + "(const unsigned long long[]) {0x20000000000000ull, 0x15000100000007ull, 0x6000000000000ull, "
                + "0x6000000000001ull}, 4)");
        assertThat(StepForms.java(steps.get(2))).startsWith("new Step.RegisterBpfFilter(1, 0, 1, 0x0, 0, 0, 0x0, 4, 0, "
                + "0x0, new long[] {0x20000000000000L, ");
        assertThat(steps.get(2).describe()).isEqualTo("registerBpfFilter(opcode 0, pdu_size 0, filter_len 4: ld [0]; "
                + "jeq #7, 0, 1; ret #0; ret #1)");
        assertThat(CReproducer.runtime()).contains("static int step_register_bpf_filter(",
                "static int step_register_task_bpf_filter(", "static int step_write_socket(",
                "static int step_write_openat(", "static int step_write_openat2(", "static int step_write_connect(");
    }

    @Test
    void shrinkingDropsInstructionsButKeepsTheLast() {
        List<Step> simpler = Shrinker.simplifications(filterRun().get(2));
        assertThat(simpler).anyMatch(s -> s instanceof Step.RegisterBpfFilter f && f.program().length == 3
                && f.program()[2] == PROGRAM[3]);
        assertThat(simpler).noneMatch(s -> s instanceof Step.RegisterBpfFilter f && f.program().length == 3
                && f.program()[2] == PROGRAM[2]);
    }

    /**
     * The generated programs, judged by the cBPF model (not by the generator): most pass io_uring's checker, some
     * are refused by it alone and some by bpf_check_classic; run on the context of the requests the generator
     * writes next, the accepted ones allow and deny alike.
     */
    @Test
    void generatedProgramsAreRefusedBothWaysAndAllowAndDenyAlike() {
        int accepted = 0;
        int ioUringOnly = 0;
        int classic = 0;
        int allows = 0;
        int denies = 0;
        for (long seed = 1; seed <= 300; seed++) {
            Generator g = new Generator(seed);
            g.reset();
            FilterSteps steps = new FilterSteps(g);
            for (int i = 0; i < 10; i++) {
                int opcode = i % 2 == 0 ? IoUring.IORING_OP_NOP : IoUring.IORING_OP_SOCKET;
                List<SockFilter> program = sockFilters(steps.program(opcode));
                if (ClassicBpf.check(program).rejected()) {
                    classic++;
                    continue;
                }
                if (ClassicBpf.checkIoUringFilter(program).rejected()) {
                    ioUringOnly++;
                    continue;
                }
                accepted++;
                RunResult r = ClassicBpf.runOnIoUringContext(ClassicProgram.of(program),
                        context(opcode, g.peekUserData() + (i % 3)));
                if (r.value() == 0) {
                    denies++;
                } else {
                    allows++;
                }
            }
        }
        assertThat(accepted).isGreaterThan(1500);
        assertThat(ioUringOnly).isGreaterThan(150);
        assertThat(classic).isGreaterThan(100);
        assertThat(allows).isGreaterThan(accepted / 5);
        assertThat(denies).isGreaterThan(accepted / 5);
    }

    /** An io_uring_bpf_ctx of a request the generator writes: a NOP, or an AF_INET stream SOCKET. */
    private static byte[] context(int opcode, long userData) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, userData);
        b.put(8, (byte) opcode);
        if (opcode == IoUring.IORING_OP_SOCKET) {
            b.put(10, (byte) 12);
            b.putInt(16, FilterSteps.AF_INET);
            b.putInt(20, 1);
        }
        return b.array();
    }

    private static List<SockFilter> sockFilters(long[] program) {
        List<SockFilter> out = new ArrayList<>();
        for (long insn : program) {
            out.add(new SockFilter(BpfPrograms.code(insn), BpfPrograms.jt(insn), BpfPrograms.jf(insn),
                    BpfPrograms.k(insn)));
        }
        return out;
    }

    /**
     * This kernel (6.18) refuses IORING_REGISTER_BPF_FILTER and has the four opcodes: a run of them, replayed by
     * its C reproducer, prints what the engine saw here, and the model agrees with the kernel on it.
     */
    @Test
    @Tag("kernel")
    void reproducerOfAFilterRunPrintsWhatTheEngineSawOnThisKernel() throws Exception {
        KernelTests.assumeIoUring();
        assumeTrue(CPrograms.gccWorks(), "gcc is not installed or cannot build a program here");
        List<Step> steps = filterRun();
        try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.referee(), ReferenceBackends.kernel())) {
            LockstepRunner.Outcome o = runner.run(steps, new Coverage());
            assertThat(o.diverged()).as("%s", o.divergence()).isFalse();
            assertThat(o.refusedSteps()).isZero();
            List<String> expected = runner.trace(steps, LockstepRunner.Role.SUBJECT);
            if (runner.bpfFilters()) {
                return; // a kernel with filters: the guest tests cover it
            }
            assertThat(expected.get(2)).startsWith("step 2: res -22 ");
            String source = CReproducer.generate("filters", steps, new boolean[steps.size()]);
            assertThat(CPrograms.compileAndRun(source, "filters.c", dir)).containsExactlyElementsOf(expected);
        }
    }
}
