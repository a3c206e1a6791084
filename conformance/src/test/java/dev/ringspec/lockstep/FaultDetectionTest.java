package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine against a kernel with one perturbed behaviour: it must detect, shrink, report, save and replay. */
@Tag("kernel")
class FaultDetectionTest {
    @TempDir
    Path replays;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    private LockstepCheck check(FaultInjectingKernel.Fault fault, DivergenceCatalogue catalogue) {
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withReplayDirectory(replays)
                .withKernelSide(LockstepRunner.Role.REFERENCE);
        return new LockstepCheck(KernelTests.kernel("kernel"), KernelTests.faulty(fault), catalogue, config);
    }

    @Test
    void aFindingIsPrintedInFullBeforeItsSaveAndAFailedSaveIsOneSentence() throws Exception {
        // a directory that cannot be made (its parent is a file), which even root cannot write into
        Path notADirectory = Files.writeString(replays.resolve("a-file"), "x");
        StringWriter text = new StringWriter();
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withReplayDirectory(null)
                .withFindingsDirectory(notADirectory.resolve("replays")).withKernelSide(LockstepRunner.Role.REFERENCE);
        LockstepCheck.Summary s = new LockstepCheck(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.FLIP_RES_AFTER_THIRD_CQE), DivergenceCatalogue.empty(),
                config).run(new PrintWriter(text));

        assertThat(s.newDivergences()).hasSize(1);
        assertThat(s.newDivergences().getFirst().replayFile()).isNull();
        String report = text.toString();
        int diverges = report.indexOf("<-- diverges");
        int state = report.indexOf("ring state after step");
        int failed = report.indexOf("could not be saved in " + notADirectory.resolve("replays").toAbsolutePath());
        assertThat(diverges).as(report).isPositive();
        assertThat(state).as(report).isGreaterThan(diverges);
        assertThat(failed).as(report).isGreaterThan(state);
        assertThat(report.substring(failed).lines().findFirst().orElseThrow()).endsWith("printed above only");
    }

    @Test
    void flippedCqeResultIsDetectedShrunkReportedSavedAndReplayedFirst() throws Exception {
        StringWriter text = new StringWriter();
        LockstepCheck.Summary first = check(FaultInjectingKernel.Fault.FLIP_RES_AFTER_THIRD_CQE,
                DivergenceCatalogue.empty()).run(new PrintWriter(text));

        assertThat(first.newDivergences()).hasSize(1);
        LockstepCheck.Finding f = first.newDivergences().getFirst();
        assertThat(f.divergence().field()).isEqualTo("CQEs");
        assertThat(f.steps()).hasSizeLessThanOrEqualTo(MutationSelfCheck.MAX_SHRUNK_STEPS);
        assertThat(f.steps().getFirst()).isInstanceOf(Step.Setup.class);
        assertThat(f.steps().getLast()).isInstanceOf(Step.Enter.class);
        String report = text.toString();
        assertThat(report).contains("NEW DIVERGENCE (seed " + f.seed() + ")", "<-- diverges", "SqHead:", "CqTail:",
                "CQEs:", "<> ");
        assertThat(f.replayFile()).exists();
        assertThat(report).contains("replay saved: " + f.replayFile().toAbsolutePath());
        assertThat(Files.readString(f.replayFile())).contains("\"op\" : \"setup\"");
        Path c = replays.resolve(f.replayFile().getFileName().toString().replace(".json", ".c.txt"));
        assertThat(Files.readString(c)).contains("syscall(SYS_enter");

        // The next run replays the saved case first and finds it again without generating.
        LockstepCheck.Summary second = check(FaultInjectingKernel.Fault.FLIP_RES_AFTER_THIRD_CQE,
                DivergenceCatalogue.empty()).run(new PrintWriter(new StringWriter()));
        assertThat(second.replays()).isEqualTo(1);
        assertThat(second.findings().getFirst().fromReplay()).isTrue();
        assertThat(second.findings().getFirst().steps()).isEqualTo(f.steps());
    }

    @Test
    void shrinkingIsDeterministic() {
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withReplayDirectory(null).withSaveReplays(false);
        List<List<Step>> shrunk = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            LockstepCheck.Summary s = new LockstepCheck(KernelTests.kernel("kernel"),
                    KernelTests.faulty(FaultInjectingKernel.Fault.COUNT_DROPPED_SQES), DivergenceCatalogue.empty(),
                    config).run(new PrintWriter(new StringWriter()));
            shrunk.add(s.findings().getFirst().steps());
        }
        assertThat(shrunk.get(0)).isEqualTo(shrunk.get(1));
        assertThat(shrunk.get(0)).anySatisfy(op -> assertThat(op).isInstanceOf(Step.WriteArray.class));
    }

    @Test
    void aDivergenceThatDoesNotReproduceIsReportedUnstableNotShrunkAndKeptApart() {
        StringWriter text = new StringWriter();
        LockstepCheck.Summary s = check(FaultInjectingKernel.Fault.FLIP_RES_AT_RANDOM, DivergenceCatalogue.empty())
                .run(new PrintWriter(text));
        LockstepCheck.Finding f = s.findings().getFirst();
        assertThat(f.stable()).isFalse();
        assertThat(f.shrink()).isNull();
        assertThat(f.replayFile()).hasParent(replays.resolve("unstable"));
        // The budget goes on after it (a later flip may happen to repeat on every re-run and end it as a stable
        // divergence); later unstable ones are counted, and only the first is kept in full.
        assertThat(s.runs()).isGreaterThan((int) (f.seed() - LockstepCheck.Config.defaults().seed()) + 1);
        assertThat(s.findings().stream().filter(u -> !u.stable() && u.replayFile() != null)).containsExactly(f);
        assertThat(text.toString()).contains("UNSTABLE: the divergence below reproduced in", "unstable case saved");
        // Not among the replays run first next time.
        assertThat(new ReplayStore(replays).load()).noneMatch(e -> e.file().equals(f.replayFile()));
    }

    @Test
    void catalogueHitIsReportedApartAndNotAsNew() {
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withReplayDirectory(null).withSaveReplays(false);
        LockstepCheck.Summary found = new LockstepCheck(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.DROP_OVERFLOW_FLAG), DivergenceCatalogue.empty(), config)
                .run(new PrintWriter(new StringWriter()));
        String signature = found.findings().getFirst().divergence().signature();
        DivergenceCatalogue catalogue = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("test-entry",
                signature, "any", "flag cleared", "flag set", "FaultInjectingKernel", "none", "subject", "test", null, null, null, null)));

        // The same seed again, alone: the budget goes on after a catalogued hit, so other seeds would add findings.
        StringWriter text = new StringWriter();
        LockstepCheck.Summary again = new LockstepCheck(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.DROP_OVERFLOW_FLAG), catalogue,
                config.withSeed(found.findings().getFirst().seed()).withRuns(1))
                .run(new PrintWriter(text));
        assertThat(again.newDivergences()).isEmpty();
        assertThat(again.cataloguedDivergences()).hasSize(1);
        LockstepCheck.printSummary(new PrintWriter(text), again);
        assertThat(text.toString()).contains("known kernel difference test-entry");
    }

    @Test
    void aCarriedOverDifferenceLetsTheRunGoOnAndIsStillCounted() {
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withReplayDirectory(null).withSaveReplays(false);
        LockstepCheck.Summary found = new LockstepCheck(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.DROP_OVERFLOW_FLAG), DivergenceCatalogue.empty(), config)
                .run(new PrintWriter(new StringWriter()));
        LockstepCheck.Finding first = found.findings().getFirst();
        assertThat(first.divergence().field()).isEqualTo("SqFlags");
        String signature = "Enter:SqFlags|otherThread.Enter:SqFlags";
        DivergenceCatalogue carrying = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("test-entry",
                signature, "any", "flag cleared", "flag set", "FaultInjectingKernel", "none", "subject", "test", null,
                null, null, List.of("SqFlags"))));

        LockstepCheck.Summary again = new LockstepCheck(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.DROP_OVERFLOW_FLAG), carrying,
                config.withSeed(first.seed()).withRuns(1))
                .run(new PrintWriter(new StringWriter()));
        assertThat(again.newDivergences()).isEmpty();
        assertThat(again.cataloguedDivergences()).isNotEmpty()
                .allSatisfy(f -> assertThat(f.divergence().field()).isEqualTo("SqFlags"));
        // The run went on past the first difference instead of ending there.
        assertThat(again.steps()).isGreaterThan(first.steps().size());

        // The same steps through a runner without the catalogue still end at the difference.
        try (LockstepRunner plain = new LockstepRunner(KernelTests.kernel("kernel"),
                KernelTests.faulty(FaultInjectingKernel.Fault.DROP_OVERFLOW_FLAG))) {
            assertThat(plain.run(first.steps(), null).diverged()).isTrue();
        }
    }

    @Test
    void aCatalogueEntryCannotCarryOverACounter() {
        assertThatThrownBy(() -> new DivergenceCatalogue.Entry("x", "Enter:CqTail", "any", "o", "i", "e", "r",
                "kernel", "w", null, null, null, List.of("CqTail")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot copy");
    }
}
