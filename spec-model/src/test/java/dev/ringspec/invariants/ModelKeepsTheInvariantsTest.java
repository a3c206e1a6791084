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
    /**
     * The model's resizeRings copies pending SQEs by ring position and gives the new ring a zeroed SQ array, as
     * 6.18's io_register_resize_rings does: pending entries then all name SQE 0 (upstream 1fe703cc708f fixes the
     * kernel). Remove the entry when the model carries each pending entry's SQE and array entry over.
     */
    private static final Map<String, Set<RingInvariant>> MODEL_COPIES_THE_KERNEL = Map.of(
            "resize keeps pending SQEs and CQEs", Set.of(RingInvariant.RESIZE_KEEPS_PENDING_SQES));

    private static void assertKept(RingExercises.Exercise exercise, RingExercises.Result result) {
        assertThat(result.ran()).as("setup of " + exercise).isTrue();
        Set<RingInvariant> broken = result.violations().stream().map(Violation::invariant)
                .collect(Collectors.toSet());
        assertThat(broken).as(exercise.name() + ": " + result.violations())
                .isEqualTo(MODEL_COPIES_THE_KERNEL.getOrDefault(exercise.name(), Set.of()));
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
