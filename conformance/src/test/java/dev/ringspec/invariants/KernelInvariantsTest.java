package dev.ringspec.invariants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.UserMemory;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The running kernel under the invariant checker: it keeps every stated invariant through every exercise except
 * where the divergence catalogue records that it does not, and on Linux 6.18 it shows the catalogued behaviours.
 */
@Tag("kernel")
class KernelInvariantsTest {
    private static final DivergenceCatalogue CATALOGUE = DivergenceCatalogue.load();

    @BeforeEach
    void needsIoUring() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
    }

    static Stream<RingExercises.Exercise> exercises() {
        return RingExercises.all().stream();
    }

    private static RingExercises.Result run(String name) {
        RingExercises.Exercise exercise = RingExercises.all().stream().filter(e -> e.name().equals(name))
                .findFirst().orElseThrow();
        return exercise.run(new NativeIoUring(), new UserMemory());
    }

    private static void assumeLinux618() {
        String release = new NativeIoUring().release();
        assumeTrue(release.startsWith("6.18."), "the catalogued behaviours are pinned on 6.18, this is " + release);
    }

    @ParameterizedTest
    @MethodSource("exercises")
    void kernelBreaksNoInvariantTheCatalogueDoesNotRecord(RingExercises.Exercise exercise) {
        RingExercises.Result result = exercise.run(new NativeIoUring(), new UserMemory());
        assertThat(result.ran()).as("setup of " + exercise).isTrue();
        List<Violation> unexplained = result.violations().stream()
                .filter(v -> CATALOGUE.matchInvariant(v, Set.of()).isEmpty()).toList();
        assertThat(unexplained).as(exercise.name()).isEmpty();
    }

    @Test
    void linux618PutsASkippedRequestsPayloadIntoTheNextCqe() {
        assumeLinux618();
        List<Violation> v = run("CQE32 payloads, skipped and plain").violations();
        assertThat(v).extracting(Violation::invariant).containsOnly(RingInvariant.CQE_PAYLOAD_IS_ITS_REQUESTS);
        assertThat(CATALOGUE.matchInvariant(v.getFirst(), Set.of())).get()
                .extracting(DivergenceCatalogue.Entry::id).isEqualTo("cqe32-stale-big-cqe-after-skip");
    }

    @Test
    void linux618ZeroesPendingCqesWhenAResizeCrossesTheCounterWrap() {
        assumeLinux618();
        List<Violation> v = run("resize with the CQ head moved back across 2^32").violations();
        assertThat(v).extracting(Violation::invariant).containsOnly(RingInvariant.RESIZE_KEEPS_PENDING_CQES);
        assertThat(CATALOGUE.matchInvariant(v.getFirst(), Set.of())).get()
                .extracting(DivergenceCatalogue.Entry::id).isEqualTo("resize-loses-entries-across-counter-wrap");
    }

    @Test
    void linux618SplitsAPending32ByteCqeAcrossTheEndOfTheResizedRing() {
        assumeLinux618();
        List<Violation> v = run("resize with a 32-byte CQE at the new ring's last slot").violations();
        assertThat(v).extracting(Violation::invariant).containsOnly(RingInvariant.RESIZE_KEEPS_PENDING_CQES);
        assertThat(v.getFirst().detail()).contains("ud 2").contains("now wraps the last slot");
        assertThat(CATALOGUE.matchInvariant(v.getFirst(), Set.of())).get()
                .extracting(DivergenceCatalogue.Entry::id).isEqualTo("resize-wraps-a-32-byte-cqe");
    }

    @Test
    void linux618ResizeLeavesEveryPendingSqEntryNamingSqeZero() {
        assumeLinux618();
        List<Violation> v = run("resize keeps pending SQEs and CQEs").violations();
        assertThat(v).extracting(Violation::invariant).containsOnly(RingInvariant.RESIZE_KEEPS_PENDING_SQES);
        assertThat(v.getFirst().detail()).contains("ud 10").contains("sqe 0");
        assertThat(CATALOGUE.matchInvariant(v.getFirst(), Set.of())).get()
                .extracting(DivergenceCatalogue.Entry::id).isEqualTo("resize-drops-sq-array-mapping");
    }
}
