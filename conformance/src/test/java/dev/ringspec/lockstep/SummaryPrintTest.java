package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingObservation;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The summary of a check: generated runs' catalogue hits apart from the replays', seeds only of this run's generated
 * runs (a replay's seed is the one recorded in its file, from another run), and every unstable case named.
 */
class SummaryPrintTest {
    private static final DivergenceCatalogue.Entry KNOWN = new DivergenceCatalogue.Entry("known-entry", "Enter:CQEs",
            "any", "o", "i", "e", "r", "kernel", "w", null, null, null, null);

    private static LockstepCheck.Finding finding(long seed, boolean fromReplay, Path file,
            DivergenceCatalogue.Entry entry, boolean stable) {
        RingObservation none = RingObservation.none(0);
        Divergence d = new Divergence(3, new Step.Enter(1, 0, 0), "CQEs", "[]", "[{ud 1}]", none, none);
        return new LockstepCheck.Finding(seed, fromReplay, file, List.of(new Step.Setup(4, 0, 0)), d,
                Optional.ofNullable(entry), null, null, null, stable);
    }

    private static String print(LockstepCheck.Summary s) {
        StringWriter text = new StringWriter();
        LockstepCheck.printSummary(new PrintWriter(text), s);
        return text.toString();
    }

    @Test
    void replaysAreNotCatalogueHitsAndTheirRecordedSeedsAreNotThisRunsSeeds() {
        LockstepCheck.Summary s = new LockstepCheck.Summary(2, 100, 1000, 1_000_000_000L, new Coverage(), List.of(
                finding(0, true, Path.of("a.json"), KNOWN, true), finding(1_001_472, true, Path.of("b.json"), KNOWN,
                        true), finding(17, false, null, KNOWN, true), finding(42, false, null, KNOWN, true)),
                new InvariantWatch.Totals());
        String text = print(s);
        assertThat(s.cataloguedDivergences()).hasSize(2);
        assertThat(text).containsPattern("generated runs: 0 new .*, 2 catalogued")
                .containsPattern("known kernel difference known-entry +2 run\\(s\\), first at seed 17")
                .contains("replays: 2 of 2 still show a catalogued difference", "known-entry in 2 replay(s)")
                .doesNotContain("seed 0", "seed 1001472");
    }

    @Test
    void everyUnstableCaseIsNamedWithItsSeed() {
        LockstepCheck.Summary s = new LockstepCheck.Summary(0, 300, 1000, 1_000_000_000L, new Coverage(), List.of(
                finding(120, false, Path.of("/tmp/out/replays/unstable/x.json"), null, false),
                finding(250, false, null, null, false)), new InvariantWatch.Totals());
        assertThat(print(s)).containsPattern("2 new \\(2 of them unstable")
                .contains("unstable seed 120: Enter:CQEs at step 3, saved as /tmp/out/replays/unstable/x.json",
                        "unstable seed 250: Enter:CQEs at step 3");
    }

    @Test
    void badReplayFilesAndAnEarlyStopAreInTheSummary() {
        LockstepCheck.Summary s = new LockstepCheck.Summary(1, 3, 10, 1_000_000L, new Coverage(), List.of(),
                new InvariantWatch.Totals(), List.of("/r/empty.json is not a ring replay (the file is empty); skipped"),
                true);
        assertThat(print(s)).contains("(1 bad replay file(s) skipped)", "stopped early",
                "bad replay: /r/empty.json is not a ring replay (the file is empty); skipped");
    }
}
