package dev.ringspec.emulator.ops;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendRegistry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link KbufTest}'s scenarios on guest kernels of other versions (6.12's pinned rings check the ring's address
 * before its size; 7.x counts a legacy list), the emulator at the profile of each guest's capabilities. Runs on
 * the guests named by {@code -Dringspec.backends} (for example {@code guest:debian:6.12,guest:debian:7.2});
 * skipped when none is named, since each boots a virtual machine.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class KbufGuestTest {

    @TestFactory
    Stream<DynamicTest> kbufScenariosOnEachSelectedGuest() {
        List<Backend> guests = BackendRegistry.selected().stream()
                .filter(b -> b.name().startsWith("guest:")).toList();
        assumeFalse(guests.isEmpty(), "no guest kernel named (-Dringspec.backends=guest:debian:6.12)");
        List<BothSides.Scenario> scenarios = List.of(KbufTest::provideAndRemoveCountBuffersOldestFirst,
                KbufTest::provideBuffersPrepChecksEachFieldInTheKernelsOrder,
                KbufTest::removeBuffersPrepRefusesFieldsItDoesNotTake, KbufTest::aLegacyListHoldsAtMostUshrtMaxBuffers,
                KbufTest::bufferRingRegistrationChecksItsArgument, KbufTest::aGroupIsEitherARingOrAList,
                KbufTest::statusReportsTheKernelsHeadOfARing);
        return guests.stream().flatMap(g -> scenarios.stream().map(sc -> DynamicTest.dynamicTest(
                g.name() + " scenario " + scenarios.indexOf(sc), () -> {
                    KernelProfile profile = KernelProfile.forCapabilities(g.capabilities());
                    BothSides.sameOn(g, profile, List.of(), sc);
                })));
    }
}
