package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingObservation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure parts: replay JSON round trip, simplification candidates, merging, renumbering, the catalogue. */
class ReplayAndShrinkUnitTest {

    @Test
    void replayCaseSurvivesJsonWithEveryKindOfStep() {
        List<Step> steps = List.of(new Step.Setup(4, 0x40000, 8),
                new Step.WriteSqe(3, 0, 0x44, 1, -1, 0xc0ffeeL, 0xf00dL, -5, 0x21, 99, 2, 1),
                new Step.WriteSqe128(7, 63, 0x4, 0, 0, 0x1111L, 0x2222L, 0, 0x20, 100, 0, 0),
                new Step.WriteArray(3, -1), new Step.PublishTail(20), new Step.Enter(8, 1, 1), new Step.ConsumeCqes(3), new Step.ConsumeCqes(2, true),
                new Step.MoveCqHead(-2), new Step.RegisterFiles(3, false, 0b100110), new Step.UpdateFiles(1, 2, 5),
                new Step.UnregisterFiles(), new Step.RegisterBuffers(2, 512), new Step.UnregisterBuffers(),
                new Step.EnableRings(), new Step.Resize(8, 16, 8), new Step.OnOtherThread(new Step.Enter(0, 0, 1)));
        ReplayCase c = new ReplayCase(42, "ref", "sub", "6.18.44", "Enter:CqTail", 14, "3", "4", steps);
        String json = ReplayStore.toJson(c);
        assertThat(json).contains("\"op\" : \"onOtherThread\"", "\"op\" : \"writeSqe\"", "\"op\" : \"writeSqe128\"");
        assertThat(ReplayStore.fromJson(json)).isEqualTo(c);
        assertThat(c.fileName()).isEqualTo("Enter-CqTail-seed-42.json");
    }

    @Test
    void smallerValuesMoveTowardZeroAndFewerBitsClearOneBitEach() {
        assertThat(Shrinker.smaller(0)).isEmpty();
        assertThat(Shrinker.smaller(1)).containsExactly(0);
        assertThat(Shrinker.smaller(10)).containsExactly(0, 1, 5, 9);
        assertThat(Shrinker.smaller(-6)).containsExactly(0, -1, -3, -5);
        assertThat(Shrinker.smaller(Integer.MIN_VALUE)).containsExactly(0, -1);
        assertThat(Shrinker.fewerBits(0x2041)).containsExactly(0x2040, 0x2001, 0x0041);
    }

    @Test
    void adjacentCounterMovesMergeAndOthersDoNot() {
        assertThat(Shrinker.merge(new Step.PublishTail(2), new Step.PublishTail(5))).isEqualTo(new Step.PublishTail(7));
        assertThat(Shrinker.merge(new Step.MoveCqHead(-1), new Step.MoveCqHead(3))).isEqualTo(new Step.MoveCqHead(2));
        assertThat(Shrinker.merge(new Step.Enter(1, 0, 0), new Step.Enter(1, 0, 0))).isNull();
    }

    @Test
    void userDataIsRenumberedInOrderOfFirstAppearance() {
        List<Step> ops = List.of(Step.WriteSqe.nop(0, 0, 0, 0, 977), Step.WriteSqe.nop(1, 0, 0, 0, 12),
                Step.WriteSqe.nop(2, 0, 0, 0, 977));
        assertThat(Shrinker.renumberUserData(ops)).extracting(op -> ((Step.WriteSqe) op).userData())
                .containsExactly(1L, 2L, 1L);
    }

    @Test
    void a128ByteSqeIsRenumberedAndHasItsOwnCAndJavaForms() {
        Step.WriteSqe128 big = new Step.WriteSqe128(3, 63, 0x4, 0, 0, 0x1111L, 0, 0, 0x20, 500, 0, 0);
        List<Step> ops = List.of(Step.WriteSqe.nop(0, 0, 0, 0, 977), big, Step.WriteSqe.nop(2, 0, 0, 0, 500));
        assertThat(Shrinker.renumberUserData(ops)).extracting(op -> StepForms.value(op,
                StepForms.components(op)[9])).containsExactly(1L, 2L, 2L);
        assertThat(StepForms.c(big)).isEqualTo(
                "step_write_sqe128(3, 63, 0x4u, 0, 0, 0x1111ull, 0x0ull, 0, 0x20u, 0x1f4ull, 0, 0)");
        assertThat(StepForms.java(big)).isEqualTo("new Step.WriteSqe128(3, 63, 0x4, 0, 0, 4369L, 0L, 0, 0x20, 500L, 0, 0)");
        assertThat(CReproducer.runtime()).contains("static int step_write_sqe128(uint32_t slot, uint8_t opcode,");
        assertThat(big.describe()).isEqualTo("writeSqe128(slot 3: NOP128, flags IO_LINK, nop_flags CQE32, off 0x1111,"
                + " addr 0x0, ud 500)");
    }

    @Test
    void shippedCatalogueLoadsAndMatchesBySignatureOnly() {
        DivergenceCatalogue shipped = DivergenceCatalogue.load();
        Divergence d = new Divergence(3, new Step.Enter(1, 0, 0), "CqTail", "1", "2", RingObservation.none(0),
                RingObservation.none(0));
        assertThat(shipped.match(d)).isEmpty();
        DivergenceCatalogue one = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("x", "Enter:CqTail",
                "6.18", "o", "i", "e", "r", "kernel", "w", null, null, null, null)));
        assertThat(one.match(d)).isPresent();
        assertThat(one.match(new Divergence(3, new Step.OnOtherThread(new Step.Enter(1, 0, 0)), "CqTail", "1", "2",
                RingObservation.none(0), RingObservation.none(0)))).isEmpty();
    }

    @Test
    void anEntryWithReferenceSqFlagsMatchesOnlyWhileThoseFlagsAreSet() {
        DivergenceCatalogue catalogue = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("x",
                "Enter:CqTail", "6.18", "o", "i", "e", "r", "kernel", "w", 0x2, null, null, null)));
        RingObservation overflowing = RingObservation.Builder.emptyRing(8, 8, 0).sq(0, 0).sqFlags(0x2).cq(0, 8).build();
        RingObservation calm = RingObservation.Builder.emptyRing(8, 8, 0).sq(0, 0).sqFlags(0).cq(0, 8).build();
        assertThat(catalogue.match(new Divergence(3, new Step.Enter(1, 0, 0), "CqTail", "8", "9", overflowing,
                calm))).isPresent();
        assertThat(catalogue.match(new Divergence(3, new Step.Enter(1, 0, 0), "CqTail", "8", "9", calm,
                overflowing))).isEmpty();
        // Set before the step and cleared by it (a GETEVENTS flush emptied the overflow list): still a match.
        assertThat(catalogue.match(new Divergence(3, new Step.Enter(1, 0, 0), "CqTail", "8", "9", calm, calm, 0x2)))
                .isPresent();
        assertThat(catalogue.match(new Divergence(3, new Step.Enter(1, 0, 0), "CqTail", "8", "9", calm, calm, 0x1)))
                .isEmpty();
    }

    @Test
    void anEntryWithSubjectOnlyTextMatchesOnlyWhereTheReferenceLacksIt() {
        DivergenceCatalogue catalogue = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("x",
                "Enter:CQEs", "6.18", "o", "i", "e", "r", "kernel", "w", null, "big [", null, null)));
        RingObservation none = RingObservation.none(0);
        assertThat(catalogue.match(new Divergence(1, new Step.Enter(1, 0, 0), "CQEs", "[{ud 1}]",
                "[{ud 1, big [0x1, 0x2]}]", none, none))).isPresent();
        assertThat(catalogue.match(new Divergence(1, new Step.Enter(1, 0, 0), "CQEs", "[{ud 1}]", "[{ud 2}]", none,
                none))).isEmpty();
        assertThat(catalogue.match(new Divergence(1, new Step.Enter(1, 0, 0), "CQEs", "[{ud 1, big [0x3, 0x4]}]",
                "[{ud 1, big [0x1, 0x2]}]", none, none))).isEmpty();
    }

    @Test
    void theShippedReplaysAreOnTheClassPathWhateverTheWorkingDirectory() {
        ReplayStore shipped = ReplayStore.shipped().orElseThrow();
        List<String> problems = new java.util.ArrayList<>();
        List<ReplayStore.Entry> entries = shipped.load(problems::add);
        assertThat(problems).isEmpty();
        assertThat(entries).extracting(e -> e.file().getFileName().toString())
                .contains("cqe32-stale-big-cqe-after-skip.json", "cqe-mixed-stale-cache-after-skip.json");
    }
}
