package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
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
        observe7x(out, mutants);
        return out.toString();
    }

    /** The 7.x rules (per-task restrictions, the restriction split, SQE_MIXED, SQ_REWIND), on the 7.2 profile. */
    private static void observe7x(StringBuilder out, Set<Mutant> mutants) {
        run7(out, mutants, f -> {
            // a second registration: -EPERM, and the first set (READV only: a NOP is denied) stays
            out.append("task ").append(restrictTask(f, SQE_OP, IORING_OP_READV));
            out.append(" again ").append(restrictTask(f, SQE_OP, IORING_OP_NOP));
            out.append(" nop ").append(nopOnNewRing(f));
            f.model.forkTask(false);
            out.append(" forked nop ").append(nopOnNewRing(f));
        });
        run7(out, mutants, f -> {
            f.model.withCapSysAdmin(false).freshTask();
            out.append("unprivileged ").append(restrictTask(f, SQE_OP, IORING_OP_READV));
        });
        run7(out, mutants, f -> {
            // only the SQE half: register opcodes stay free; only the register half: SQEs stay free
            restrictTask(f, SQE_OP, IORING_OP_NOP);
            f.setup(4, 0);
            MemorySegment probe = f.memory.allocate(IoUringProbe.SIZE_BYTES);
            out.append("split probe ").append(f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 0));
            f.model.close(f.ring);
            f.ring = null;
            f.model.freshTask();
            restrictTask(f, REGISTER_OP, IORING_REGISTER_PROBE);
            out.append(" nop ").append(nopOnNewRing(f));
        });
        run7(out, mutants, f -> {
            f.setup(4, IORING_SETUP_SQE_MIXED);
            Sqe.opcode(f.driver.sqes(), f.nop(1), IORING_OP_NOP128);
            f.nop(99);
            f.nop(3);
            out.append("mixed ").append(f.submit()).append(" head ").append(f.sqHead())
                    .append(' ').append(f.reapAll());
            Sqe.opcode(f.driver.sqes(), f.nop(4), IORING_OP_NOP128);
            f.nop(5);
            out.append(" last slot ").append(f.submit()).append(' ').append(f.reapAll());
        });
        run7(out, mutants, f -> {
            f.setup(4, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY);
            f.nop(1);
            f.nop(2);
            f.enter(2, 0, 0);
            f.enter(2, 0, 0);
            out.append("rewind head ").append(f.sqHead()).append(' ').append(f.userDatas(f.reapAll()));
        });
    }

    private static final int SQE_OP = IORING_RESTRICTION_SQE_OP;
    private static final int REGISTER_OP = IORING_RESTRICTION_REGISTER_OP;

    /** {@code io_uring_register(-1, RESTRICTIONS)} with one entry of {@code type} and {@code value}. */
    private static int restrictTask(ModelFixture f, int type, int value) {
        MemorySegment a = f.memory.allocate(32, 8);
        a.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) 1);
        a.set(JAVA_SHORT, IoUringTaskRestriction.RESTRICTIONS_OFFSET + IoUringRestriction.OPCODE_OFFSET,
                (short) type);
        a.set(JAVA_BYTE, IoUringTaskRestriction.RESTRICTIONS_OFFSET + IoUringRestriction.REGISTER_OP_OFFSET,
                (byte) value);
        return f.model.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, a, 1);
    }

    /** A NOP on a ring set up now (the fixture's ring before is closed): its CQE's res. */
    private static int nopOnNewRing(ModelFixture f) {
        if (f.ring != null) {
            f.model.close(f.ring);
            f.ring = null;
        }
        f.setup(4, 0);
        f.nop(1);
        f.submit();
        return f.reapAll().getFirst().res();
    }

    private static void run7(StringBuilder out, Set<Mutant> mutants, Consumer<ModelFixture> steps) {
        try (ModelFixture f = new ModelFixture(KernelProfile.LINUX_7_2, mutants)) {
            f.model.forkTask(false);
            steps.accept(f);
            out.append('\n');
        }
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
