package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringProbe;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every mutant changes what a small set of scenarios observes: the hooks are live, and these scenarios (each one
 * a rule of Appendix A) notice each deviation.
 */
class MutantsAreLiveTest {

    @ParameterizedTest
    @EnumSource(Mutant.class)
    void eachMutantChangesTheObservations(Mutant mutant) {
        assertThat(observe(EnumSet.of(mutant))).isNotEqualTo(observe(Set.of()));
    }

    @Test
    void theUnmutatedModelObservesTheSameTwice() {
        assertThat(observe(Set.of())).isEqualTo(observe(Set.of()));
    }

    private static String observe(Set<Mutant> mutants) {
        StringBuilder out = new StringBuilder();
        BpfFilterLiveness.observe(out, mutants);
        run(out, mutants, 4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, f -> {
            nops(f, 3, 0);
            f.reapAll();
            big(f, 34);
            f.submit();
        }, f -> f.cqTail() + " " + f.slot(3) + " " + f.slot(0).userData() + " " + f.sqFlags());
        run(out, mutants, 4, IORING_SETUP_CQE_MIXED | IORING_SETUP_CQSIZE, f -> {
            f.nop(1);
            big(f, 2);
            f.nop(3);
            f.submit();
        }, f -> "tail " + f.cqTail());
        run(out, mutants, 8, 0, f -> {
            for (int i = 0; i < 4; i++) {
                f.nop(i);
            }
            f.driver.sq().writeOnceArray(1, 99);
        }, f -> "dropped ret " + f.submit());
        run(out, mutants, 8, 0, f -> {
            f.nop(1);
            f.nop(2);
            f.driver.sq().writeOnceArray(0, 1);
            f.driver.sq().writeOnceArray(1, 0);
            f.submit();
        }, f -> "array " + f.userDatas(f.reapAll()));
        run(out, mutants, 4, IORING_SETUP_CQSIZE, f -> {
            nops(f, 4, 0);
            nops(f, 4, 10);
            f.reapAll();
            out.append("flags ").append(f.sqFlags());
            f.enter(0, 0, 0);
            out.append(" plain-enter tail ").append(f.cqTail());
            f.nop(20);
            f.publish(1);
            f.enter(2, 0, IORING_ENTER_GETEVENTS);
            out.append(" early-return tail ").append(f.cqTail());
            f.reapAll();
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
            f.reapAll();
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
        }, f -> " after flush " + f.sqFlags() + " " + f.userDatas(f.reapAll()));
        run(out, mutants, 8, 0, f -> {
            f.nop(1, IOSQE_IO_LINK);
            long at = f.nop(2, IOSQE_IO_LINK);
            Sqe.opFlags(f.driver.sqes(), at, 1 << 6);
            f.nop(3);
            f.submit();
        }, f -> "prep-chain " + f.reapAll());
        run(out, mutants, 8, 0, f -> {
            f.inject(1, -5, IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK);
            f.nop(2);
            f.submit();
            f.inject(3, -5, IOSQE_IO_LINK);
            f.nop(4);
            f.submit();
        }, f -> "skip-chain " + f.reapAll());
        run(out, mutants, 8, 0, f -> {
            f.nop(1, IOSQE_CQE_SKIP_SUCCESS);
            f.nop(2, IOSQE_IO_DRAIN);
            f.submit();
        }, f -> "drain " + f.reapAll());
        run(out, mutants, 8, 0, f -> {
            long at = f.nop(1);
            Sqe.opcode(f.driver.sqes(), at, 200);
            f.submit();
        }, f -> "opcode " + f.reapAll());
        run(out, mutants, 32, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, f -> {
            for (int i = 0; i < 25; i++) {
                Sqe.opFlags(f.driver.sqes(), f.nop(i), IORING_NOP_TW);
            }
            f.submit(0, 0);
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
        }, f -> "local task work " + f.cqTail());
        run(out, mutants, 8, 0, f -> {
            MemorySegment probe = f.memory.allocate(IoUringProbe.SIZE_BYTES);
            f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 0);
            out.append("probe ").append(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET));
        }, f -> "");
        return out.toString();
    }

    private static void run(StringBuilder out, Set<Mutant> mutants, int entries, int flags,
            Consumer<ModelFixture> steps, Function<ModelFixture, String> observation) {
        try (ModelFixture f = new ModelFixture(KernelProfile.LINUX_6_18, mutants)) {
            f.setup(entries, flags, 4);
            steps.accept(f);
            out.append(observation.apply(f)).append('\n');
        }
    }

    private static void nops(ModelFixture f, int count, int firstUserData) {
        for (int i = 0; i < count; i++) {
            f.nop(firstUserData + i);
        }
        f.submit();
    }

    private static void big(ModelFixture f, long userData) {
        long at = f.nop(userData);
        Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_CQE32);
    }
}
