package dev.ringspec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Profiles chosen by what a backend shows (ring-semantics.md section 1), by the release only between 7.2 and 7.3. */
class KernelProfileTest {

    private static KernelCapabilities caps(String release, Set<Feature> named, int registerOpcodes) {
        return new KernelCapabilities("test", release, 0x3ffff, 0, 62, List.of(), List.of(), 0,
                new KernelCapabilities.QueryOpcodes(63, registerOpcodes, 0x3ffff, 0, 0xff, 0x7f, 1), named, true, Set.of());
    }

    @Test
    void featuresDecideTheProfile() {
        Set<Feature> base = EnumSet.of(Feature.QUERY, Feature.CQE_MIXED, Feature.RESIZE_RINGS);
        assertThat(KernelProfile.forCapabilities(caps("7.9", base, 36))).isSameAs(KernelProfile.LINUX_6_18);
        Set<Feature> mixed = EnumSet.copyOf(base);
        mixed.add(Feature.SQE_MIXED);
        assertThat(KernelProfile.forCapabilities(caps("6.18", mixed, 37))).isSameAs(KernelProfile.LINUX_6_19);
        Set<Feature> seven = EnumSet.copyOf(mixed);
        seven.add(Feature.BPF_FILTER);
        assertThat(KernelProfile.forCapabilities(caps("x", seven, 38))).isSameAs(KernelProfile.LINUX_7_0);
        assertThat(KernelProfile.forCapabilities(caps("x", seven, 39))).isSameAs(KernelProfile.LINUX_7_1);
        assertThatThrownBy(() -> KernelProfile.forCapabilities(caps("6.6", EnumSet.noneOf(Feature.class), 30)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * 7.3 and 7.2 show the same capabilities; only 7.3's io_bpf_filter_clone (7.3-rc7 io_uring/bpf_filter.c, which
     * also sets the source's bpf_filters_cow) tells them apart, and no harmless probe sees it: the release decides.
     */
    @Test
    void theReleaseTellsSevenThreeFromSevenTwo() {
        Set<Feature> seven = EnumSet.of(Feature.QUERY, Feature.CQE_MIXED, Feature.RESIZE_RINGS, Feature.SQE_MIXED,
                Feature.BPF_FILTER);
        for (String release : List.of("7.3-cloud-amd64", "7.3", "7.4.1", "8.0.2")) {
            assertThat(KernelProfile.forCapabilities(fourQueryOpcodes(release, seven))).as(release)
                    .isSameAs(KernelProfile.LINUX_7_3);
        }
        for (String release : List.of("7.2.13+deb14-cloud-amd64", "7.2", "x", "")) {
            assertThat(KernelProfile.forCapabilities(fourQueryOpcodes(release, seven))).as(release)
                    .isSameAs(KernelProfile.LINUX_7_2);
        }
    }

    private static KernelCapabilities fourQueryOpcodes(String release, Set<Feature> named) {
        return new KernelCapabilities("test", release, 0x3ffff, 0, 64, List.of(), List.of(), 0,
                new KernelCapabilities.QueryOpcodes(65, 40, 0x3ffff, 0, 0xff, 0x7f, 4), named, true, Set.of());
    }

    @Test
    void the618ConstantsAreTheMeasuredOnes() {
        KernelProfile p = KernelProfile.LINUX_6_18;
        assertThat(p.opLast()).isEqualTo(63);
        assertThat(p.registerLast()).isEqualTo(36);
        assertThat(p.setupFlags()).isEqualTo(0x7ffff);
        assertThat(p.features()).isEqualTo(0x3ffff);
        assertThat(p.enterFlags()).isEqualTo(0xff);
        assertThat(p.sqeFlags()).isEqualTo(0x7f);
        assertThat(p.maxRestrictions()).isEqualTo(103);
    }

    @Test
    void laterProfilesSayWhatChangedFrom618() {
        KernelProfile p619 = KernelProfile.LINUX_6_19;
        assertThat(List.of(p619.opLast(), p619.registerLast(), p619.setupFlags(), p619.nrQueryOpcodes()))
                .containsExactly(65, 37, 0xfffff, 3);
        assertThat(List.of(p619.sqeMixed(), p619.sqRewind(), p619.resizeWritesSqArray(), p619.resizeSanitises(),
                p619.splitRestrictions(), p619.blindRestrictionsAndFilters()))
                .containsExactly(true, false, true, true, false, false);
        for (KernelProfile p : List.of(KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1)) {
            assertThat(List.of(p.opLast(), p.registerLast(), p.setupFlags(), p.features(), p.enterFlags(),
                    p.sqeFlags(), p.nrQueryOpcodes())).as(p.version())
                    .containsExactly(65, 38, 0x1fffff, 0x3ffff, 0xff, 0x7f, 3);
            assertThat(List.of(p.sqeMixed(), p.sqRewind(), p.resizeWritesSqArray(), p.resizeSanitises(),
                    p.splitRestrictions(), p.blindRestrictionsAndFilters())).as(p.version())
                    .containsOnly(true);
        }
        assertThat(KernelProfile.LINUX_7_1.version()).isEqualTo("7.1");
    }

    @Test
    void builderKeepsWhatItIsNotToldAndTakesOpcodesBelowOpLast() {
        OpDef echo = new OpDef(0x16, "READ", 0, (req, ctx) -> 0, (req, ctx) -> OpDef.COMPLETE);
        KernelProfile withRead = KernelProfile.LINUX_6_18.toBuilder().opcode(echo).build();
        assertThat(withRead.opLast()).isEqualTo(63);
        assertThat(withRead.maxRestrictions()).isEqualTo(103);
        assertThat(withRead.opcodes()).containsExactly(echo);
        assertThat(KernelProfile.LINUX_6_18.opcodes()).isEmpty();
        OpDef again = new OpDef(0x16, "READ2", 0, (req, ctx) -> 0, (req, ctx) -> OpDef.COMPLETE);
        assertThat(withRead.toBuilder().opcode(again).build().opcodes()).containsExactly(again);
        OpDef tooHigh = new OpDef(63, "NOP128", 0, (req, ctx) -> 0, (req, ctx) -> OpDef.COMPLETE);
        assertThatThrownBy(() -> KernelProfile.LINUX_6_18.toBuilder().opcode(tooHigh).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IORING_OP_LAST");
        assertThatThrownBy(() -> KernelProfile.builder("0.1").build()).isInstanceOf(IllegalArgumentException.class);
    }
}
