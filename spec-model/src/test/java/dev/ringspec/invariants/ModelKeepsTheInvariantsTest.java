package dev.ringspec.invariants;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.UserMemory;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference model, with the 6.18 and the 7.1 profile, keeps every invariant through every exercise, except where
 * it still copies the kernel's code instead of the intent (listed, so that the fix shows as a failure here).
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
