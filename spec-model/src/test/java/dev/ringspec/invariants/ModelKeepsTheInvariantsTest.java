package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Errno;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference model, with the 6.18 and the 7.1 profile, keeps every invariant through every exercise.
 */
class ModelKeepsTheInvariantsTest {
    private static void assertKept(RingExercises.Exercise exercise, RingExercises.Result result) {
        assertThat(result.ran()).as("setup of " + exercise).isTrue();
        Set<RingInvariant> broken = result.violations().stream().map(Violation::invariant)
                .collect(Collectors.toSet());
        assertThat(broken).as(exercise.name() + ": " + result.violations())
                .isEmpty();
    }

    static Stream<RingExercises.Exercise> exercises() {
        return RingExercises.all().stream();
    }

    @ParameterizedTest
    @MethodSource("exercises")
    void linux618ModelKeepsEveryInvariant(RingExercises.Exercise exercise) {
        RingExercises.Result result = exercise.run(new ModelIoUring(KernelProfile.LINUX_6_18, new UserMemory()),
                new UserMemory());
        assertKept(exercise, result);
    }

    @ParameterizedTest
    @MethodSource("exercises")
    void linux71ModelKeepsEveryInvariant(RingExercises.Exercise exercise) {
        RingExercises.Result result = exercise.run(new ModelIoUring(KernelProfile.LINUX_7_1, new UserMemory()),
                new UserMemory());
        assertKept(exercise, result);
    }

    @Test
    void modelRefusesAResizeThatWouldWrapAPending32ByteCqe() {
        UserMemory memory = new UserMemory();
        int flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE_MIXED;
        try (CheckedRing r = CheckedRing.setup(new ModelIoUring(KernelProfile.LINUX_6_18, memory), memory, 1, flags,
                4)) {
            r.nop(1, 0, 0);
            r.submit(0);
            r.consume(1);
            r.sqe(IORING_OP_NOP, 2, 0, IORING_NOP_CQE32, 0x1111, 0x2222, 0);
            r.submit(0);
            // the 32-byte CQE is at position 1: the last slot of a 2-entry ring, not of a 4-entry one
            assertThat(r.resize(1, 2, 0)).isEqualTo(-Errno.EOVERFLOW);
            assertThat(r.resize(1, 4, 0)).isZero();
            List<CqeReader.VisibleCqe> cqes = r.consume(2);
            assertThat(cqes).extracting(c -> c.cqe().userData()).containsExactly(2L);
            assertThat(cqes.getFirst().cqe().big0()).isEqualTo(0x1111);
            assertThat(r.violations()).isEmpty();
        }
    }

    @Test
    void everyInvariantIsCheckedByTheExercises() {
        Map<RingInvariant, InvariantChecker.Count> total = new EnumMap<>(RingInvariant.class);
        for (RingExercises.Exercise e : RingExercises.all()) {
            UserMemory memory = new UserMemory();
            total = InvariantChecker.sum(total, e.run(new ModelIoUring(KernelProfile.LINUX_6_18, memory), memory)
                    .counts());
        }
        for (RingInvariant invariant : RingInvariant.values()) {
            assertThat(total.get(invariant).checks()).as(invariant.name()).isPositive();
        }
    }
}
